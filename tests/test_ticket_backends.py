"""Each ticket backend against a real server on loopback: SMTP with STARTTLS and AUTH, and HTTP fakes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from flows.line import load_line
from flows.model import Outcome
from flows.routing import Decision
from flows.ticket import Ticket, ticket_content
from flows.ticket_settings import SPEC
from ivr.tickets import TicketError
from ivr.tickets.easit import EasitBackend
from ivr.tickets.email import EmailBackend
from ivr.tickets.topdesk import TopdeskBackend
from ivr.tickets.webhook import SIGNATURE_HEADER, WebhookBackend
from tests.ticket_fakes import (
    SMTP_PASSWORD,
    SMTP_USER,
    FakeITSM,
    SmtpServer,
    easit_created,
    loopback_cert,  # noqa: F401 - a fixture
    smtp_server,  # noqa: F401 - a fixture
    topdesk_created,
)

LINE = load_line()
AT = datetime(2026, 11, 25, 21, 4, tzinfo=UTC)


def sample(code: str = "K7QX2M", **extra: int) -> Ticket:
    checklist = LINE.library.by_id("viva")
    answers = {step.id: False for step in checklist.steps}
    return ticket_content(LINE, Decision(Outcome.WAIT_FOR_OFFICE_HOURS, "viva", {}), answers,
                          outcome="wait_for_office_hours", at=AT, code=code, channel="voice", caller="+46701740699",
                          **extra)


def options(backend: str, **given: object) -> dict[str, object]:
    return {**SPEC[backend][1], **given}


# --- e-mail -------------------------------------------------------------------------------------------


def email_backend(server: SmtpServer, password: str = SMTP_PASSWORD) -> EmailBackend:
    return EmailBackend(options("email", host=server.host, port=server.port, to="itsupport@kommun.test",
                                ca_file=server.ca_file, **{"from": "linjen@kommun.test"}), SMTP_USER, password)


def test_email_over_starttls_with_auth_then_a_reply_on_the_same_subject(smtp_server: SmtpServer) -> None:  # noqa: F811
    backend = email_backend(smtp_server)
    first = sample(incident=7, callers=3, workplaces=2)
    remote = backend.create(first, "voice:CA1:ticket")
    backend.add(str(remote), sample("M2P9XK", incident=7, callers=4, workplaces=2), "voice:CA2:ticket")
    mailbox = smtp_server.mailbox
    assert mailbox.starttls == [True, True] and mailbox.logins == [SMTP_USER, SMTP_USER]
    created, reply = mailbox.mails
    assert created["From"] == "linjen@kommun.test" and created["To"] == "itsupport@kommun.test"
    assert created["Subject"] == first.brief and "Viva" in created["Subject"]
    assert created["Message-ID"] == remote
    body = created.get_content()
    for step in first.steps:
        assert f"{step.number}. {step.question} {step.answer}" in body
    assert reply["Subject"] == f"Re: {first.brief}"
    assert reply["In-Reply-To"] == remote and reply["References"] == remote
    assert "4 som ringt, från 2 arbetsplatser" in reply.get_content()


def test_email_subject_names_system_and_code(smtp_server: SmtpServer) -> None:  # noqa: F811
    email_backend(smtp_server).create(sample(), "k")
    subject = smtp_server.mailbox.mails[0]["Subject"]
    assert "Viva" in subject and "K7QX2M" in subject


def test_email_wrong_password_is_not_retried(smtp_server: SmtpServer) -> None:  # noqa: F811
    with pytest.raises(TicketError) as refused:
        email_backend(smtp_server, password="wrong").create(sample(), "k")
    assert not refused.value.retryable and "535" in str(refused.value)
    assert smtp_server.mailbox.mails == []


def test_email_server_down_is_retried() -> None:
    settings = options("email", host="127.0.0.1", port=1, to="a@b.test", **{"from": "c@d.test"})
    backend = EmailBackend(settings, None, None)
    with pytest.raises(TicketError) as down:
        backend.create(sample(), "k")
    assert down.value.retryable and "connection" in str(down.value)


# --- Easit GO -------------------------------------------------------------------------------------------


def test_easit_posts_the_import_with_basic_auth_and_keeps_the_database_id() -> None:
    with FakeITSM((201, easit_created("88123"))) as easit:
        backend = EasitBackend(options("easit", url=easit.url + "/", import_handler="felsokningslinjen"), "api-key-1")
        assert backend.create(sample(), "voice:CA1:ticket") == "88123"
        backend.add("88123", sample("M2P9XK", incident=3, callers=2, workplaces=1), "voice:CA2:ticket")
    created, note = easit.seen
    assert (created.method, created.path) == ("POST", "/integration-api/items")
    assert created.headers["Authorization"] == "Basic " + base64.b64encode(b"api-key-1:").decode()
    body = created.json()
    assert body["importHandlerIdentifier"] == "felsokningslinjen"
    properties = {item["name"]: item["content"] for item in body["itemToImport"][0]["property"]}
    assert properties["Subject"] == sample().brief and properties["ExternalReference"] == "K7QX2M"
    assert "Stegen, som de frågades och besvarades:" in properties["Description"]
    noted = {item["name"]: item["content"] for item in note.json()["itemToImport"][0]["property"]}
    assert noted["ID"] == "88123" and noted["Description"].startswith("Ännu en medarbetare")


@pytest.mark.parametrize(("answer", "retryable", "words"), [
    ((400, {"message": "Property Subject is missing"}), False, "Property Subject is missing"),
    ((401, {"message": "Unauthorized"}), False, "401"),
    ((503, None), True, "503"),
    ("timeout", True, "timeout"),
])
def test_easit_failures_say_what_failed(answer: object, retryable: bool, words: str) -> None:
    with FakeITSM((201, easit_created("1"))) as easit:
        easit.script.append(answer)  # type: ignore[arg-type]
        backend = EasitBackend(options("easit", url=easit.url, import_handler="h", timeout_seconds=1), "k")
        with pytest.raises(TicketError) as failed:
            backend.create(sample(), "k")
    assert failed.value.retryable is retryable and words in str(failed.value)


def test_easit_handler_error_in_a_200_is_a_refusal() -> None:
    with FakeITSM((200, {"importItemResult": [{"id": "1", "result": "ERROR", "message": "Unknown handler"}]})) as easit:
        with pytest.raises(TicketError) as refused:
            EasitBackend(options("easit", url=easit.url, import_handler="h"), "k").create(sample(), "k")
    assert not refused.value.retryable and "Unknown handler" in str(refused.value)


# --- TOPdesk --------------------------------------------------------------------------------------------


def test_topdesk_creates_an_incident_then_adds_an_action() -> None:
    incident = "9f0c2a1e-1111-4c3b-9d0e-2a7b9e0f4d21"
    with FakeITSM((201, topdesk_created(incident))) as topdesk:
        backend = TopdeskBackend(options("topdesk", url=topdesk.url, category="Verksamhetssystem",
                                         operator_group_id="og-1"), "api-operator", "app-password")
        assert backend.create(sample(), "voice:CA1:ticket") == incident
        backend.add(incident, sample("M2P9XK", incident=3, callers=2, workplaces=1), "voice:CA2:ticket")
    created, action = topdesk.seen
    assert (created.method, created.path) == ("POST", "/tas/api/incidents")
    assert created.headers["Authorization"] == "Basic " + base64.b64encode(b"api-operator:app-password").decode()
    body = created.json()
    assert len(body["briefDescription"]) <= 80 and body["externalNumber"] == "K7QX2M"
    assert body["caller"] == {"dynamicName": "Felsökningslinjen", "phoneNumber": "070-174 06 99"}
    assert body["category"] == {"name": "Verksamhetssystem"} and body["operatorGroup"] == {"id": "og-1"}
    assert "<br>1. " in body["request"]
    assert (action.method, action.path) == ("PUT", f"/tas/api/incidents/id/{incident}")
    assert "2 som ringt, från 1 arbetsplatser" in action.json()["action"]


def test_topdesk_looked_up_caller() -> None:
    with FakeITSM((201, topdesk_created("x"))) as topdesk:
        TopdeskBackend(options("topdesk", url=topdesk.url, caller_lookup_email="it@kommun.test"), "u", "p").create(
            sample(), "k")
    body = topdesk.seen[0].json()
    assert body["callerLookup"] == {"email": "it@kommun.test"} and "caller" not in body


def test_topdesk_refusal_carries_its_message() -> None:
    answer = [{"message": "The value for the field 'briefDescription' is too long."}]
    with FakeITSM((400, answer)) as topdesk:
        with pytest.raises(TicketError) as refused:
            TopdeskBackend(options("topdesk", url=topdesk.url), "u", "p").create(sample(), "k")
    assert not refused.value.retryable and "briefDescription" in str(refused.value)


# --- webhook --------------------------------------------------------------------------------------------


def test_webhook_signs_the_exact_body() -> None:
    with FakeITSM((200, {"id": "T-1"})) as hook:
        backend = WebhookBackend(options("webhook", url=hook.url + "/hook"), "shared-secret")
        assert backend.create(sample(), "voice:CA1:ticket") == "T-1"
        backend.add("T-1", sample("M2P9XK", incident=3, callers=2, workplaces=1), "voice:CA2:ticket")
    created, added = hook.seen
    assert (created.method, created.path) == ("POST", "/hook")
    expected = "sha256=" + hmac.new(b"shared-secret", created.body, hashlib.sha256).hexdigest()
    assert created.headers[SIGNATURE_HEADER] == expected
    assert created.headers["Idempotency-Key"] == "voice:CA1:ticket"
    assert created.json()["event"] == "ticket.created" and created.json()["ticket"]["code"] == "K7QX2M"
    assert added.json()["event"] == "ticket.caller_added" and added.json()["ticket_id"] == "T-1"
    assert added.json()["ticket"]["callers"] == 2


def test_unknown_host_is_a_dns_failure() -> None:
    backend = WebhookBackend(options("webhook", url="https://itsm.invalid/hook", timeout_seconds=2), "s")
    with pytest.raises(TicketError) as failed:
        backend.create(sample(), "k")
    assert failed.value.retryable and ("DNS" in str(failed.value) or "connection" in str(failed.value))


# --- ivr check: the tickets section ----------------------------------------------------------------------


def test_check_names_file_and_field(tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG
    from flows.validate import validate

    config = Path(str(tmp_path)) / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line_yaml = config / "line.yaml"
    text = line_yaml.read_text("utf-8").replace("  backend: none ", "  backend: email\n  email: {host: smtp.k.test, "
                                                 "port: 99999, from: nobody, to: it@k.test, password_env: a-b}\n #")
    line_yaml.write_text(text, "utf-8")
    line, problems = validate(DEFAULT_CHECKLISTS, config)
    assert line is None
    assert any(problem.endswith("line.yaml: tickets.email.port: must be a port number, e.g. 587")
               for problem in problems), problems
    assert any("line.yaml: tickets.email.from: must be an e-mail address" in problem for problem in problems)
    assert any("line.yaml: tickets.email.password_env: must be the name of an environment variable" in problem
               for problem in problems)


def test_shipped_config_files_no_tickets() -> None:
    assert LINE.settings.tickets.backend == "none" and not LINE.settings.tickets.enabled
    assert LINE.settings.tickets.alert_after_minutes == 120
    assert LINE.settings.tickets.decline_seconds == 60


def test_decline_seconds_is_checked(tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG
    from flows.validate import validate

    config = Path(str(tmp_path)) / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line_yaml = config / "line.yaml"
    line_yaml.write_text(line_yaml.read_text("utf-8").replace("decline_seconds: 60", "decline_seconds: -1"), "utf-8")
    line, problems = validate(DEFAULT_CHECKLISTS, config)
    assert line is None
    assert any(problem.endswith("line.yaml: tickets.decline_seconds: must be a whole number of seconds from 0 to 600")
               for problem in problems), problems


def test_check_production_refuses_a_backend_without_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from flows.ticket_settings import TicketSettings
    from ivr.operations.production import ticket_problems

    settings = TicketSettings("topdesk", options=options("topdesk", url="https://k.topdesk.net"))
    line = replace(LINE, settings=replace(LINE.settings, tickets=settings))
    monkeypatch.delenv("IVR_TOPDESK_USER", raising=False)
    monkeypatch.setenv("IVR_TOPDESK_APP_PASSWORD", "x")
    assert ticket_problems(line, "config/line.yaml") == [
        "config/line.yaml: tickets.topdesk: the environment variable IVR_TOPDESK_USER is not set "
        "(the backend's secret is read from it)"]
