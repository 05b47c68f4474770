"""The /admin console through Flask's test client: sign-in by SMS code, sessions, CSRF, limits, audit, pages."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ivr import create_app
from ivr.notify import LogNotifier
from ivr.store import Store
from tests.conftest import CALLER, PUBLIC_URL, FrozenClock, Twilio, app_config, local

ADMIN = "+46701740698"  # config/line.yaml admins: "070-174 06 98"
OTHER = "+46701112233"  # a valid number that is not an admin


class Console:
    """A browser's view of the console: its cookies, the CSRF token of the last page, the texts sent."""

    def __init__(self, app: Flask, address: str = "192.0.2.10") -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.address = address
        self.token = ""

    @property
    def notifier(self) -> LogNotifier:
        notifier = self.app.extensions["ivr.notifier"]
        assert isinstance(notifier, LogNotifier)
        return notifier

    def get(self, path: str) -> TestResponse:
        response = self.client.get(path, base_url=PUBLIC_URL, environ_base={"REMOTE_ADDR": self.address})
        found = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, token: str | None = None, **form: str) -> TestResponse:
        data = {"csrf_token": self.token if token is None else token, **form}
        # Over https Flask-WTF also wants a same-site Referer, as a browser sends.
        response = self.client.post(path, data=data, base_url=PUBLIC_URL, headers={"Referer": PUBLIC_URL + "/admin/"},
                                    environ_base={"REMOTE_ADDR": self.address})
        response.get_data()
        response.close()  # as a WSGI server does once the answer is sent: what waits for that runs now
        return response

    def last_code(self, to: str = ADMIN) -> str:
        texts = [sent["body"] for sent in self.notifier.sent if sent["kind"] == "sms" and sent["to"] == to]
        assert texts, f"no SMS to {to}"
        found = re.search(r"\b(\d{6})\b", texts[-1])
        assert found
        return found.group(1)

    def sign_in(self, number: str = ADMIN) -> TestResponse:
        self.get("/admin/logga-in")
        self.post("/admin/logga-in", number=number)
        self.get("/admin/kod")
        return self.post("/admin/kod", code=self.last_code(number))


@pytest.fixture
def console(app: Flask) -> Console:
    return Console(app)


def admin_events(store: Store) -> list[dict[str, Any]]:
    return [event for event in store.events() if event["channel"] == "admin"]


def test_nothing_without_signing_in(console: Console) -> None:
    for path in ("/admin/", "/admin/driftinfo", "/admin/sok"):
        response = console.get(path)
        assert response.status_code == 302 and response.location.endswith("/admin/logga-in")
    console.get("/admin/logga-in")
    # A POST with a valid CSRF token but no session is refused.
    response = console.post("/admin/driftinfo", system="viva", text="Viva ligger nere.", action="post")
    assert response.status_code == 403
    assert "Logga in först" in response.get_data(as_text=True)


def test_an_unknown_console_page_is_the_consoles_own_404(console: Console, twilio: Twilio) -> None:
    console.sign_in()
    response = console.get("/admin/finns-inte")
    text = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Sidan finns inte. Välj en sida i menyn." in text and "Inloggad: +46...698" in text
    # Other unknown paths keep their plain answer (Twilio never sees a console page).
    other = twilio.post("/voice/finns-inte")
    assert other.status_code == 404 and "Välj en sida i menyn" not in other.get_data(as_text=True)


def test_purge_removes_expired_sign_in_codes_and_old_attempts(console: Console, app: Flask,
                                                             clock: FrozenClock) -> None:
    console.get("/admin/logga-in")
    console.post("/admin/logga-in", number=ADMIN)  # a code and an attempt, now
    store: Store = app.extensions["ivr.store"]
    now = clock.moment
    kept = store.purge(now - timedelta(days=90), now - timedelta(hours=24))
    assert kept["admin_codes"] == 0 and kept["admin_attempts"] == 0
    later = now + timedelta(days=2)
    gone = store.purge(later - timedelta(days=90), later - timedelta(hours=24))
    assert gone["admin_codes"] == 1 and gone["admin_attempts"] >= 1


def test_sign_in_with_the_texted_code(console: Console, app: Flask) -> None:
    console.get("/admin/logga-in")
    response = console.post("/admin/logga-in", number="070-174 06 98")
    assert response.status_code == 302
    [sms] = console.notifier.sent
    assert sms["to"] == ADMIN and sms["from"] == "+46141225000"
    assert "Gäller i 10 minuter" in sms["body"]
    console.get("/admin/kod")
    response = console.post("/admin/kod", code=console.last_code())
    assert response.status_code == 302 and response.location.endswith("/admin/")
    page = console.get("/admin/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Inloggad: +46...698" in text
    assert '<meta http-equiv="refresh"' not in text and 'src="/admin/static/now.js"' in text
    cookie = page.request.headers.get("Cookie") or ""
    assert "ivr_admin=" in cookie
    [event] = admin_events(app.extensions["ivr.store"])
    assert event["kind"] == "admin_signed_in"
    assert event["data"] == {"by": "+46...698", "role": "admin", "method": "sms"}
    assert ADMIN not in str(event)


def test_session_cookie_is_secure_httponly_samesite(console: Console) -> None:
    response = console.get("/admin/logga-in")
    header = response.headers["Set-Cookie"]
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


def test_a_code_works_once_and_expires(console: Console, clock: FrozenClock) -> None:
    console.get("/admin/logga-in")
    console.post("/admin/logga-in", number=ADMIN)
    code = console.last_code()
    clock.moment += timedelta(minutes=11)
    console.get("/admin/kod")
    response = console.post("/admin/kod", code=code)
    assert response.status_code == 400 and "gått ut" in response.get_data(as_text=True)
    clock.moment -= timedelta(minutes=11)
    assert console.sign_in().status_code == 302
    used = console.last_code()
    # The same code again, in a browser that asked for it: used up (it asks for a new one, which differs).
    other = Console(console.app, "192.0.2.11")
    other.get("/admin/logga-in")
    other.post("/admin/logga-in", number=ADMIN)
    other.get("/admin/kod")
    if other.last_code() != used:
        assert other.post("/admin/kod", code=used).status_code == 400
    assert other.post("/admin/kod", code=other.last_code()).status_code == 302


def test_admin_and_other_numbers_get_the_same_answer_by_the_same_path(console: Console, app: Flask) -> None:
    """The lead's decision: a number that is not an admin's is never texted; both take the same path (the same
    transactions on the database, the same page) and the admin's text is tried only after the answer has gone."""
    import traceback

    from sqlalchemy import event

    store: Store = app.extensions["ivr.store"]
    begun: list[str] = []

    def count(conn: object) -> None:
        """Note which console function opened each transaction (the sender's, after the answer, aside)."""
        frames = [frame for frame in traceback.extract_stack() if "/ivr/" in frame.filename]
        if any("outbox/sender.py" in frame.filename or "oncall_cache.py" in frame.filename for frame in frames):
            return  # the text tried once the answer has gone; the on-call cache's periodic refresh
        caller = next(frame for frame in reversed(frames) if "/ivr/store/" not in frame.filename)
        begun.append(f"{caller.filename.rsplit('/ivr/', 1)[1]}:{caller.name}")

    def transactions(visitor: Console, number: str) -> tuple[list[str], TestResponse]:
        begun.clear()
        response = visitor.post("/admin/logga-in", number=number)
        return list(begun), response

    unlisted = Console(console.app, "192.0.2.12")
    console.get("/admin/logga-in")
    unlisted.get("/admin/logga-in")
    event.listen(store.engine, "begin", count)
    try:
        listed_work, listed = transactions(console, ADMIN)
        unlisted_work, response = transactions(unlisted, OTHER)
    finally:
        event.remove(store.engine, "begin", count)
    # The same transactions from the same functions, in the same order: the attempt, the code (with the admin's
    # text in its transaction), the session.
    assert listed_work == unlisted_work and len(listed_work) >= 3, (listed_work, unlisted_work)
    assert "admin/signin.py:send_code" in listed_work
    assert (response.status_code, response.location) == (listed.status_code, listed.location)

    def page(visitor: Console) -> str:
        return re.sub(r'value="[^"]+"', "", visitor.get("/admin/kod").get_data(as_text=True))  # the CSRF token aside

    assert page(unlisted) == page(console).replace("+46...698", "+46...233")
    # Only the admin's code went out, through the outbox, blanked once delivered (no code kept).
    rows = store.outbox.rows()
    assert [row["kind"] for row in rows] == ["admin_code"]
    assert all(row["state"] == "logged" and row["body"] is None and row["target"] is None for row in rows)
    assert [sms["to"] for sms in console.notifier.sent] == [ADMIN]
    # A wrong code is answered and audited alike for both.
    assert unlisted.post("/admin/kod", code="123456").status_code == 400
    assert console.post("/admin/kod", code="123456" if console.last_code() != "123456" else "654321").status_code == 400
    refused = [event["data"]["by"] for event in admin_events(store) if event["kind"] == "admin_sign_in_refused"]
    assert refused == ["+46...233", "+46...698"]


def test_no_code_is_ever_logged(console: Console, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    console.sign_in()
    code = re.search(r"\b(\d{6})\b", console.notifier.sent[0]["body"])
    assert code is not None and code.group(1) not in caplog.text


def test_a_bad_number_is_a_form_error(console: Console) -> None:
    console.get("/admin/logga-in")
    response = console.post("/admin/logga-in", number="hej")
    assert response.status_code == 400
    assert "Skriv ett telefonnummer" in response.get_data(as_text=True)


def test_another_address_cannot_exhaust_an_admins_sign_in(console: Console) -> None:
    attacker = Console(console.app, "198.51.100.7")
    attacker.get("/admin/logga-in")
    assert [attacker.post("/admin/logga-in", number=ADMIN).status_code for _ in range(4)] == [302, 302, 302, 429]
    attacker.get("/admin/kod")
    assert {attacker.post("/admin/kod", code=f"{guess:06d}").status_code for guess in range(8)} >= {400, 429}
    # The admin, from her own address, still gets a code and signs in with it.
    assert console.sign_in().location.endswith("/admin/")
    assert console.get("/admin/").status_code == 200


def test_code_requests_are_limited_per_number_and_address(console: Console) -> None:
    console.get("/admin/logga-in")
    assert [console.post("/admin/logga-in", number=ADMIN).status_code for _ in range(3)] == [302] * 3
    response = console.post("/admin/logga-in", number=ADMIN)
    assert response.status_code == 429 and "För många försök" in response.get_data(as_text=True)
    other = Console(console.app, "192.0.2.30")
    other.get("/admin/logga-in")
    assert other.post("/admin/logga-in", number=ADMIN).status_code == 302


def test_code_guesses_are_limited_per_address(console: Console) -> None:
    console.get("/admin/logga-in")
    console.post("/admin/logga-in", number=OTHER)
    console.get("/admin/kod")
    statuses = [console.post("/admin/kod", code=f"{guess:06d}").status_code for guess in range(11)]
    assert statuses[:5] == [400] * 5 and statuses[-1] == 429


def test_wrong_guesses_void_the_code(console: Console, app: Flask) -> None:
    console.get("/admin/logga-in")
    console.post("/admin/logga-in", number=ADMIN)
    code = console.last_code()
    console.get("/admin/kod")
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(5):
        assert console.post("/admin/kod", code=wrong).status_code == 400
    assert console.post("/admin/kod", code=code).status_code in (400, 429)
    kinds = [event["kind"] for event in admin_events(app.extensions["ivr.store"])]
    assert kinds and set(kinds) == {"admin_sign_in_refused"}


def test_a_wrong_csrf_token_is_refused(console: Console) -> None:
    console.sign_in()
    console.get("/admin/driftinfo")
    response = console.post("/admin/driftinfo", token="not-the-token", system="viva", text="Viva ligger nere.",
                            action="post")
    assert response.status_code == 400 and "Formuläret gick inte att skicka" in response.get_data(as_text=True)
    assert console.app.extensions["ivr.store"].announcements(console.app.extensions["ivr.clock"]()) == {}


def test_webhooks_keep_their_signature_check_and_skip_csrf(app: Flask, twilio: Twilio) -> None:
    assert app.test_client().post("/voice", data={"CallSid": "CA" + "2" * 32, "From": CALLER}).status_code == 403
    assert twilio.call("/voice").status_code == 200  # signed, no CSRF token


def test_post_preview_extend_and_clear_an_announcement(console: Console, app: Flask, clock: FrozenClock) -> None:
    console.sign_in()
    console.get("/admin/driftinfo")
    text = "Viva har driftstörning sedan 09.00. IT-enheten arbetar med felet."
    preview = console.post("/admin/driftinfo", system="viva", text=text, until="12:00", action="preview")
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and f"Driftinfo Viva: {text}" in body
    assert "Vill du ändå gå igenom felsökningen? Tryck 1 för ja, 2 för nej." in body
    store: Store = app.extensions["ivr.store"]
    assert store.announcements(clock()) == {}
    assert console.post("/admin/driftinfo", system="viva", text=text, until="12:00", action="post").status_code == 302
    [(system, item)] = store.announcements(clock()).items()
    assert (system, item["text"], item["by"]) == ("viva", text, "admin:+46...698")
    console.get("/admin/driftinfo")
    assert console.post("/admin/driftinfo/viva/forlang", until="16:00").status_code == 302
    assert app.extensions["ivr.store"].announcements(clock())["viva"]["until"].hour == 15  # 16:00 in Stockholm
    console.get("/admin/driftinfo")
    assert console.post("/admin/driftinfo/viva/ta-bort").status_code == 302
    assert store.announcements(clock()) == {}
    kinds = [(e["kind"], e["system"]) for e in admin_events(store)]
    assert kinds == [("admin_signed_in", None), ("announcement_posted", "viva"), ("announcement_extended", "viva"),
                     ("announcement_cleared", "viva")]


def test_announcement_rules_are_ivr_announces(console: Console, app: Flask) -> None:
    console.sign_in()
    console.get("/admin/driftinfo")
    # The shared rules (ivr/operations/announcements.py), their messages in the console's Swedish.
    for form, message in [({"system": "viva", "text": "Viva “nere”"}, "de är inte vanliga sms-tecken: “ ”"),
                          ({"system": "okänt", "text": "Nere."}, "Välj ett system i listan."),
                          ({"system": "viva", "text": "x" * 150}, "får plats i ett sms med rubriken"),
                          ({"system": "viva", "text": "Nere.", "until": "08:00"}, "har redan passerat"),
                          ({"system": "viva", "text": "Nere.", "until": "i morgon"}, "välj datum och tid")]:
        response = console.post("/admin/driftinfo", action="post", **form)
        assert response.status_code == 400 and message in response.get_data(as_text=True), form
    assert app.extensions["ivr.store"].announcements(app.extensions["ivr.clock"]()) == {}


def test_sign_out_ends_the_session(console: Console) -> None:
    console.sign_in()
    console.get("/admin/")
    assert console.post("/admin/logga-ut").status_code == 302
    assert console.get("/admin/").status_code == 302


def test_an_admin_taken_off_the_list_is_signed_out(tmp_path: Any, database_url: str, clock: FrozenClock) -> None:
    app = create_app(app_config(database_url, clock))
    try:
        console = Console(app)
        console.sign_in()
        assert console.get("/admin/").status_code == 200
        line = app.extensions["ivr.line"]
        app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, admins=frozenset()))
        assert console.get("/admin/").status_code == 302
    finally:
        app.extensions["ivr.store"].dispose()


@pytest.fixture
def dev_app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    application = create_app(app_config(database_url, clock, ADMIN_COOKIE_SECURE=False))
    yield application
    application.extensions["ivr.store"].dispose()


def test_secure_cookie_can_be_turned_off_for_local_http(dev_app: Flask) -> None:
    header = dev_app.test_client().get("/admin/logga-in").headers["Set-Cookie"]
    assert "Secure" not in header and "HttpOnly" in header


def test_lookup_by_receipt_code_is_part_of_the_call_log_and_audited(console: Console, app: Flask,
                                                                      clock: FrozenClock) -> None:
    from tests.test_lookup import call_and_code

    clock.set("2026-11-25T22:00")
    code = call_and_code(app, "2 2 1 2 2")  # Viva omsorg, one user, after hours
    console.sign_in()
    console.get("/admin/calls")
    moved = console.post("/admin/sok", code=code.lower())  # an old form or bookmark
    assert moved.status_code == 303 and moved.location.endswith(f"/admin/calls?kod={code.lower()}")
    page = console.get(moved.location)
    assert page.status_code == 200 and f"<td>{code}</td>" in page.get_data(as_text=True)
    assert console.get("/admin/calls?kod=ABCDEF").status_code == 404
    looked = [e["data"] for e in admin_events(app.extensions["ivr.store"]) if e["kind"] == "session_looked_up"]
    who = {"by": "+46...698", "role": "admin", "method": "sms"}
    assert looked == [{**who, "code": code, "by_number": False, "found": 1},
                      {**who, "code": "ABCDEF", "by_number": False, "found": 0}]


def test_now_shows_calls_incidents_announcements_chain_and_health(console: Console, app: Flask, tmp_path: Path,
                                                                  clock: FrozenClock, twilio: Twilio) -> None:
    stamp = tmp_path / "repair-alert.stamp"
    app.extensions["ivr.settings"] = dataclasses.replace(app.extensions["ivr.settings"], alert_stamp=str(stamp))
    clock.set("2026-11-25T22:00")
    store: Store = app.extensions["ivr.store"]
    store.announce("viva", "Viva ligger nere.", None, clock(), by="cli")
    twilio.call("/voice", sid="CA" + "5" * 32)
    twilio.call("/voice/input", sid="CA" + "5" * 32, Digits="2")  # Viva omsorg, at its first step
    console.sign_in()
    page = console.get("/admin/").get_data(as_text=True)
    row = re.search(r'<td>Viva omsorg</td><td>steg 1 av \d+</td><td><a href="(/admin/calls/\d+)">22.00<', page)
    assert row is not None, page
    told = console.get(row.group(1)).get_data(as_text=True)  # the call in progress opens its timeline
    assert "Valde Viva omsorg." in told and "Inget utfall" in told
    assert "Pågående samtal (1)" in page
    assert "<strong>Viva</strong>: Viva ligger nere." in page
    assert "Databasen: fungerar" in page and "Senaste samtal eller sms: 2026-11-25 22.00" in page
    assert "Reservsvar (fallback eller fel) i dag: nej" in page
    chain = re.search(r'<ol id="chain">(.*?)</ol>', page, re.S)
    assert chain is not None
    names = re.findall(r"<li>(.*?)</li>", chain.group(1))
    expected = [person.name for person in app.extensions["ivr.line"].roster.chain_at(clock())]
    assert names == expected and names
    assert "Inga öppna incidenter." in page
    for sid in ("6", "7", "8"):  # three callers finish Viva unresolved: an incident
        caller = f"+4670{sid * 7}"
        twilio.post("/voice", CallSid="CA" + sid * 32, From=caller, To="+46141225000")
        for key in ("1", "1", "2", "1", "1"):  # Viva, go on past the notice, W missing, several, online
            twilio.post("/voice/input", CallSid="CA" + sid * 32, From=caller, To="+46141225000", Digits=key)
    page = console.get("/admin/").get_data(as_text=True)
    # The incident the reports opened: open, nobody has acknowledged it, three callers.
    assert ("<li class=\"warn\"><strong>Viva</strong>: öppen – öppnad 22.00. 3 som ringt, 0 arbetsplatser, "
            "0 väntar på sms.</li>") in page, page
    assert "Incidenter (1)" in page
    stamp.write_text(local("2026-11-25T21:50").isoformat())  # the fallback alerted the admins at 21.50
    assert "i dag: <strong class=\"error\">ja, senast 21.50</strong>" in console.get("/admin/").get_data(as_text=True)
    stamp.write_text(local("2026-11-24T21:50").isoformat())  # yesterday's
    assert "Reservsvar (fallback eller fel) i dag: nej" in console.get("/admin/").get_data(as_text=True)
    still = console.get("/admin/?uppdatera=nej").get_data(as_text=True)  # the reloads can be stopped
    assert 'http-equiv="refresh"' not in still and "Sidan uppdateras inte själv" in still


def test_now_shows_an_acknowledged_incident_by_the_managers_name_until_klar(
        console: Console, app: Flask, clock: FrozenClock, twilio: Twilio) -> None:
    from tests.test_incidents import ANNA, VIVA_ON_CALL, manager_took_a_viva_call
    from tests.test_incidents import call as staff_call
    from tests.test_incidents import text as staff_text

    manager_took_a_viva_call(app, twilio, clock)  # 22:00: Anna presses 1 on a Viva call
    clock.set("2026-11-25T22:10")
    staff_call(twilio, "CA" + "2" * 32, "+46701740602", "1", "2")  # told; an SMS when it is fixed
    console.sign_in()
    page = console.get("/admin/").get_data(as_text=True)
    assert ("<strong>Viva</strong>: kvitterad – öppnad 22.00; kvitterad 22.00 av Anna Andersson. 2 som ringt, "
            "0 arbetsplatser, 1 väntar på sms.") in page, page
    assert "+4670174061" not in page  # a name, never a number
    clock.set("2026-11-25T23:50")  # a caller goes through the checklist anyway: news for the incident
    staff_call(twilio, "CA" + "3" * 32, "+46701740603", "1", "1", *VIVA_ON_CALL[1:])
    clock.set("2026-11-26T00:05")  # past midnight, news within two hours: still live, shown with its date
    console.sign_in()  # the sign-in of 22.10 has lapsed
    assert ("kvitterad – öppnad 2026-11-25 22.00; kvitterad 2026-11-25 22.00 av Anna Andersson. 3 som ringt"
            in console.get("/admin/").get_data(as_text=True))
    staff_text(twilio, ANNA, "KLAR", "SM" + "1" * 32)
    assert "Inga öppna incidenter." in console.get("/admin/").get_data(as_text=True)


def test_a_line_wide_announcement_from_the_console_is_heard_before_the_menu(console: Console, app: Flask,
                                                                            twilio: Twilio) -> None:
    console.sign_in()
    console.get("/admin/driftinfo")
    text = "Nätet ligger nere i hela kommunen. IT-enheten arbetar med felet."
    preview = console.post("/admin/driftinfo", system="alla", text=text, action="preview").get_data(as_text=True)
    assert f"Driftinfo för alla system: {text}" in preview
    assert console.post("/admin/driftinfo", system="alla", text=text, action="post").status_code == 302
    twiml = twilio.call("/voice").get_data(as_text=True)
    assert twiml.index("Driftinfo för alla system: Nätet ligger nere") < twiml.index("Tryck siffran")
    texted = twilio.post("/sms", From=CALLER, To="+46141225000", Body="hej", MessageSid="SM" + "1" * 32)
    body = texted.get_data(as_text=True)
    assert body.index(f"Driftinfo för alla system: {text}") < body.index("Svara med siffran")
    console.get("/admin/driftinfo")
    assert console.post("/admin/driftinfo/alla/ta-bort").status_code == 302
    assert "Driftinfo för alla" not in twilio.call("/voice", sid="CA" + "3" * 32).get_data(as_text=True)


def test_ivr_announce_all_posts_the_line_wide_announcement(database_url: str, app: Flask, clock: FrozenClock) -> None:
    from click.testing import CliRunner

    from ivr.cli import main

    result = CliRunner().invoke(main, ["announce", "alla", "Nätet ligger nere i hela kommunen.",
                                       "--database", database_url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("posted: alla: Nätet ligger nere")
    store: Store = app.extensions["ivr.store"]
    assert store.announcements(clock.moment + timedelta(days=365 * 20))["alla"]["text"] == \
        "Nätet ligger nere i hela kommunen."
    result = CliRunner().invoke(main, ["announce", "alla", "x" * 150, "--database", database_url])
    assert result.exit_code == 1 and "fit in one SMS" in result.output
    result = CliRunner().invoke(main, ["announce", "--clear", "--all", "--database", database_url])
    assert result.exit_code == 0 and "cleared: alla" in result.output


def test_announcements_by_admin_sms_are_audited_too(app: Flask, twilio: Twilio) -> None:
    twilio.post("/sms", From=ADMIN, To="+46141225000", Body="DRIFT viva Viva ligger nere.", MessageSid="SM" + "a" * 32)
    twilio.post("/sms", From=ADMIN, To="+46141225000", Body="KLAR viva", MessageSid="SM" + "b" * 32)
    events = admin_events(app.extensions["ivr.store"])
    assert [(e["kind"], e["system"], e["data"]["by"], e["data"]["via"]) for e in events] == [
        ("announcement_posted", "viva", "+46...698", "sms"), ("announcement_cleared", "viva", "+46...698", "sms")]
    assert all(e["caller_key"] and ADMIN not in str(e) for e in events)


def test_the_cookie_holds_only_an_id_and_signing_out_revokes_a_copy(app: Flask) -> None:
    console = Console(app)
    before = console.get("/admin/logga-in")
    console.sign_in()
    [cookie] = [item for item in console.client._cookies.values() if item.key == "ivr_admin"]  # noqa: SLF001
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", cookie.value) and "." not in cookie.value  # a token, no data
    assert cookie.value not in before.headers.get("Set-Cookie", "")  # signing in gave a new token
    thief = app.test_client()
    thief.set_cookie("ivr_admin", cookie.value, domain=cookie.domain)
    assert thief.get("/admin/", base_url=PUBLIC_URL).status_code == 200
    console.get("/admin/")
    assert console.post("/admin/logga-ut").status_code == 302
    assert thief.get("/admin/", base_url=PUBLIC_URL).status_code == 302  # the copy opens nothing now
    assert console.get("/admin/").status_code == 302


def test_a_session_ends_at_its_expiry(app: Flask, clock: FrozenClock) -> None:
    console = Console(app)
    console.sign_in()
    assert console.get("/admin/").status_code == 200
    clock.moment += timedelta(hours=8, minutes=1)
    assert console.get("/admin/").status_code == 302


def test_a_bad_session_hours_setting_refuses_to_start(database_url: str, clock: FrozenClock) -> None:
    from ivr.config import ConfigError

    with pytest.raises(ConfigError, match="ADMIN_SESSION_HOURS"):
        create_app(app_config(database_url, clock, ADMIN_SESSION_HOURS="lots"))
