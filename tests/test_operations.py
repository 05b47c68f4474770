"""Running the line: announcements, incidents, the staff list and PIN, purge, pseudonyms."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, text

from ivr.cli import main
from tests.conftest import LINE_NUMBER, FrozenClock, Twilio, local
from tests.twiml_helpers import spoken

STAFF = "+46701740699"  # inside the shipped work-mobile prefix +4670174
OUTSIDER = "+46731234567"
ADMIN = "+46701740698"


def call(twilio: Twilio, sid: str, caller: str, *keys: str) -> bytes:
    """One call from a number, pressing keys; the last TwiML."""
    body = twilio.post("/voice", CallSid=sid, From=caller, To=LINE_NUMBER).data
    for key in keys:
        body = twilio.post("/voice/input", CallSid=sid, From=caller, To=LINE_NUMBER, Digits=key).data
    return body


def text_line(twilio: Twilio, sender: str, body: str, sid: str) -> list[str]:
    response = twilio.post("/sms", From=sender, To=LINE_NUMBER, Body=body, MessageSid=sid)
    return [node.text or "" for node in ET.fromstring(response.data).iter("Message")]


# --- announcements ---------------------------------------------------------------

def test_announcement_is_heard_first_and_the_caller_may_end_there(app: Flask, twilio: Twilio,
                                                                  clock: FrozenClock) -> None:
    store = app.extensions["ivr.store"]
    store.announce("viva", "Viva har driftstörning sedan 14.00. IT-enheten arbetar med felet.",
                   local("2026-11-25T18:00"), clock(), by="test")
    body = call(twilio, "CA" + "a" * 32, STAFF, "1")
    assert "Viva har driftstörning sedan klockan fjorton" in spoken(body)  # 14.00 said in words
    assert "Vill du ändå gå igenom felsökningen?" in spoken(body)
    body = twilio.post("/voice/input", CallSid="CA" + "a" * 32, From=STAFF, To=LINE_NUMBER, Digits="2").data
    assert "IT-enheten arbetar med felet" in spoken(body)
    outcome = [e for e in store.events("voice:CA" + "a" * 32) if e["kind"] == "outcome"]
    assert outcome[0]["data"]["outcome"] == "deflected"


def test_caller_may_go_on_with_the_checklist_after_the_announcement(app: Flask, twilio: Twilio,
                                                                    clock: FrozenClock) -> None:
    app.extensions["ivr.store"].announce("npo", "Inera har problem med NPÖ.", None, clock(), by="test")
    body = call(twilio, "CA" + "b" * 32, STAFF, "4", "1")
    assert "Steg 1 av 5" in spoken(body)


def test_announcement_expires_by_itself(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    app.extensions["ivr.store"].announce("viva", "Viva ligger nere.", local("2026-11-25T11:00"), clock(), by="t")
    assert "Viva ligger nere" in spoken(call(twilio, "CA" + "c" * 32, STAFF, "1"))
    clock.set("2026-11-25T11:00")
    body = call(twilio, "CA" + "d" * 32, STAFF, "1")
    assert "Viva ligger nere" not in spoken(body) and "Steg 1 av 3" in spoken(body)


def test_announcement_by_sms_reaches_texters(app: Flask, twilio: Twilio) -> None:
    assert text_line(twilio, ADMIN, "DRIFT Viva omsorg Appen svarar inte sedan 09.30.", "SM1") == [
        "Driftinfo för Viva omsorg är publicerad."
    ]
    replies = text_line(twilio, STAFF, "viva omsorg", "SM2")
    assert replies == ["Driftinfo Viva omsorg: Appen svarar inte sedan 09.30.",
                       "Vill du ändå gå igenom felsökningen? Svara JA eller NEJ."]
    assert text_line(twilio, STAFF, "nej", "SM3") == ["Tack. IT-enheten arbetar med felet."]
    assert text_line(twilio, ADMIN, "KLAR viva omsorg", "SM4") == ["Driftinfo för Viva omsorg är borttagen."]
    assert text_line(twilio, STAFF, "viva omsorg", "SM5")[0].startswith("Viva omsorg 1/4:")


def test_drift_from_a_number_that_is_not_an_administrator_is_ordinary_text(app: Flask, twilio: Twilio) -> None:
    replies = text_line(twilio, STAFF, "DRIFT viva Allt är trasigt", "SM1")
    assert replies[0].startswith("Felsökningslinjen.")
    assert app.extensions["ivr.store"].announcements(local("2026-11-25T10:00")) == {}


def test_ivr_announce_posts_lists_and_clears(database_url: str) -> None:
    runner = CliRunner()
    base = ["--database", database_url]
    result = runner.invoke(main, ["announce", "viva", "Viva har driftstörning.", "--until", "2099-01-01T18:00", *base])
    assert result.exit_code == 0, result.output
    assert result.output == "posted: viva: Viva har driftstörning. (until 2099-01-01 18:00)\n"
    assert runner.invoke(main, ["announce", "--list", *base]).output == (
        "viva: Viva har driftstörning. (until 2099-01-01 18:00)\n")
    assert runner.invoke(main, ["announce", "--clear", "viva", *base]).output == "cleared: viva\n"
    bad = runner.invoke(main, ["announce", "viva", "Det är ’trasigt’", *base])
    assert bad.exit_code == 1 and "not plain SMS text: ’" in bad.output
    unknown = runner.invoke(main, ["announce", "vivva", "x", *base])
    assert unknown.exit_code == 2 and "unknown system 'vivva'" in unknown.output


# --- incidents -------------------------------------------------------------------
# A report is a caller who finished a checklist unresolved. Reports are told to the next caller; they
# never answer a step for her, and the manager's incident SMS comes only from a caller whose own
# answers send her to Chef i beredskap (issue 19).

ROSTER = {"+46701740610", "+46701740611", "+46701740612", "+46701740613"}  # config/roster.yaml
VIVA_ON_CALL = ("1", "2", "1", "1")  # Viva after hours: W missing, several users, network fine


def to_roster(app: Flask) -> list[str]:
    """The bodies of every SMS sent to a person on the roster (receipts to callers left out)."""
    return [m["body"] for m in app.extensions["ivr.notifier"].sent if m["kind"] == "sms" and m["to"] in ROSTER]


def report(twilio: Twilio, sid: str, caller: str) -> bytes:
    """A staff call that finishes Viva unresolved (after hours: on to Chef i beredskap)."""
    return call(twilio, sid, caller, *VIVA_ON_CALL)


def test_other_reports_never_answer_for_the_caller(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    # The reproduction: two callers only chose Trygghetslarm and answered step 1; the third
    # answers every step herself, "nej" to "Har fler än du samma fel?" included.
    clock.set("2026-12-01T21:50")
    call(twilio, "CA" + "1" * 32, "+46701740880", "8", "2")
    clock.set("2026-12-01T21:55")
    call(twilio, "CA" + "2" * 32, "+46701740881", "8", "2")
    clock.set("2026-12-01T22:00")
    body = call(twilio, "CA" + "3" * 32, "+46701741234", "8", "2", "2", "2", "2")
    assert "kollegor har anmält fel" not in spoken(body)
    outcome = [e for e in app.extensions["ivr.store"].events("voice:CA" + "3" * 32) if e["kind"] == "outcome"]
    assert outcome[0]["data"]["outcome"] == "wait_for_office_hours"
    assert outcome[0]["data"]["facts"]["multiple_users"] is False
    assert to_roster(app) == []


def test_reports_are_told_and_every_step_is_still_asked(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    # Two colleagues finished Viva omsorg with "several users: yes"; the third says nobody else has it.
    clock.set("2026-11-25T22:00")
    for index in range(2):
        call(twilio, f"CA{index:032d}", f"+4670174060{index}", "2", "1", "1", "2", "2")
    body = call(twilio, "CA" + "9" * 32, "+46701740609", "2")
    assert "2 kollegor har anmält fel i Viva omsorg den senaste halvtimmen." in spoken(body)
    assert "Steg 1 av 4" in spoken(body) and "Har fler än du samma fel?" in spoken(body)
    for key in ("2", "1", "2", "2"):
        body = twilio.post("/voice/input", CallSid="CA" + "9" * 32, From="+46701740609", To=LINE_NUMBER,
                           Digits=key).data
    outcome = [e for e in app.extensions["ivr.store"].events("voice:CA" + "9" * 32) if e["kind"] == "outcome"]
    assert outcome[0]["data"]["outcome"] == "wait_for_office_hours"  # her own "no", not the others' "yes"
    assert "<Dial" not in body.decode()


def test_callers_who_did_not_finish_or_were_helped_are_no_reports(app: Flask, twilio: Twilio,
                                                                   clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    for index in range(3):
        call(twilio, f"CA{index:032d}", f"+4670174060{index}", "1", "2")  # answered step 1, hung up
    for index in range(3, 6):
        call(twilio, f"CA{index:032d}", f"+4670174060{index}", "1", "1")  # solved at step 1
    body = call(twilio, "CA" + "9" * 32, "+46701740609", "1", "2")
    assert "kollegor har anmält fel" not in spoken(body)
    assert "Steg 2 av 3" in spoken(body)
    assert to_roster(app) == []


def test_third_caller_sent_to_the_manager_makes_one_incident_sms(app: Flask, twilio: Twilio,
                                                                 clock: FrozenClock) -> None:
    clock.set("2026-11-25T21:40")
    report(twilio, "CA" + "1" * 32, "+46701740601")
    clock.set("2026-11-25T21:50")
    report(twilio, "CA" + "2" * 32, "+46701740602")
    assert to_roster(app) == []
    clock.set("2026-11-25T22:05")
    body = call(twilio, "CA" + "3" * 32, "+46701740603", "1")
    assert "2 kollegor har anmält fel i Viva den senaste halvtimmen." in spoken(body)
    assert to_roster(app) == []  # choosing the system alerts nobody: only a finished checklist can
    for key in VIVA_ON_CALL[1:]:
        twilio.post("/voice/input", CallSid="CA" + "3" * 32, From="+46701740603", To=LINE_NUMBER, Digits=key)
    assert to_roster(app) == [
        "Felsökningslinjen: 3 anmälningar om Viva sedan kl 21.40. Flera användare verkar drabbade."]
    report(twilio, "CA" + "4" * 32, "+46701740604")  # the fourth: no second SMS
    assert len(to_roster(app)) == 1


def test_texters_who_finished_are_reports(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    for index in range(2):
        for step, body in enumerate(("viva", "nej", "ja", "ja")):
            text_line(twilio, f"+4670174060{index}", body, f"SM{index}{step}")
    text_line(twilio, "+46701740605", "viva", "SM5a")  # chose, never finished: no report
    body = call(twilio, "CA" + "9" * 32, "+46701740609", "1")
    assert "2 kollegor har anmält fel i Viva" in spoken(body)


def test_no_incident_sms_when_the_rules_do_not_send_this_caller_to_the_manager(app: Flask, twilio: Twilio,
                                                                             clock: FrozenClock) -> None:
    # Two NPÖ callers reached the manager (nobody can browse); the third reports Inera's outage.
    clock.set("2026-11-25T22:00")
    for index in range(2):
        call(twilio, f"CA{index:032d}", f"+4670174060{index}", "4", "1", "2", "2", "2", "1")
    call(twilio, "CA" + "9" * 32, "+46701740609", "4", "1", "1", "1")
    outcome = [e for e in app.extensions["ivr.store"].events("voice:CA" + "9" * 32) if e["kind"] == "outcome"]
    assert outcome[0]["data"]["outcome"] == "supplier_outage"
    assert to_roster(app) == []


def test_incident_sms_counts_every_report_not_just_the_threshold(app: Flask, twilio: Twilio,
                                                                 clock: FrozenClock) -> None:
    # Four callers in office hours (reports, but no SMS); the fifth, after 16:30, goes to the manager.
    clock.set("2026-11-25T16:10")
    for index in range(4):
        report(twilio, f"CA{index:032d}", f"+4670174060{index}")
    assert to_roster(app) == []
    clock.set("2026-11-25T16:35")
    report(twilio, "CA" + "5" * 32, "+46701740605")
    assert to_roster(app) == [
        "Felsökningslinjen: 5 anmälningar om Viva sedan kl 16.10. Flera användare verkar drabbade."]


def test_a_long_incident_keeps_its_first_report_and_one_sms(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T21:40")
    for index in range(8):
        report(twilio, f"CA{index:032d}", f"+4670174060{index}")
        clock.moment += timedelta(minutes=5)
    assert [body[:60] for body in to_roster(app)] == ["Felsökningslinjen: 3 anmälningar om Viva sedan kl 21.40. Fle"]


def test_the_same_caller_three_times_is_not_an_incident(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    for index in range(3):
        report(twilio, f"CA{index:032d}", STAFF)
    assert "kollegor har anmält fel" not in spoken(call(twilio, "CA" + "9" * 32, STAFF, "1"))
    assert to_roster(app) == []


def test_incident_in_office_hours_sends_no_sms(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    for index in range(3):
        report(twilio, f"CA{index:032d}", f"+4670174060{index}")
    body = call(twilio, f"CA{3:032d}", "+46701740603", "1")
    assert "3 kollegor har anmält fel i Viva" in spoken(body)
    assert to_roster(app) == []


def test_a_later_incident_gets_its_own_sms(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T20:00")
    for index in range(3):
        report(twilio, f"CA{index:032d}", f"+4670174060{index}")
    clock.moment += timedelta(hours=2)
    for index in range(3, 6):
        report(twilio, f"CA{index:032d}", f"+4670174060{index}")
    assert [body[:40] for body in to_roster(app)] == [
        "Felsökningslinjen: 3 anmälningar om Viva", "Felsökningslinjen: 3 anmälningar om Viva"]


# --- staff list and PIN ----------------------------------------------------------

VIVA_AFTER_HOURS = ("1", "2", "1", "1")  # W: missing; several users; network fine


def test_caller_not_on_the_staff_list_never_reaches_the_manager(twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    body = call(twilio, "CA" + "e" * 32, OUTSIDER, *VIVA_AFTER_HOURS)
    assert ET.fromstring(body).find("Dial") is None
    assert spoken(body).startswith("Jag ringer inte chef i beredskap nu. Ditt nummer finns inte i personallistan.")
    assert "IT-beredskap" not in spoken(body)


def press(twilio: Twilio, sid: str, caller: str, *keys: str) -> bytes:
    """Keys on a call already under way; the last TwiML."""
    body = b""
    for key in keys:
        body = twilio.post("/voice/input", CallSid=sid, From=caller, To=LINE_NUMBER, Digits=key).data
    return body


def test_staff_pin_is_asked_before_the_first_step_and_lets_another_phone_escalate(
        twilio: Twilio, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_STAFF_PIN", "4711")
    clock.set("2026-11-25T22:00")
    body = call(twilio, "CA" + "f" * 32, OUTSIDER, "1")  # Viva chosen: the code comes before step 1
    assert spoken(body).startswith("Ditt nummer finns inte i personallistan. Med din personalkod")
    assert "Steg 1" not in spoken(body)
    gather = ET.fromstring(body).find("Gather")
    assert gather is not None and gather.get("finishOnKey") == "#"
    body = press(twilio, "CA" + "f" * 32, OUTSIDER, "1234")
    assert spoken(body).startswith("Fel kod.") and "personalkod" in spoken(body)
    body = press(twilio, "CA" + "f" * 32, OUTSIDER, "4711")
    assert spoken(body).startswith("Koden stämmer. Viva.") and "Steg 1 av 3" in spoken(body)
    body = press(twilio, "CA" + "f" * 32, OUTSIDER, *VIVA_AFTER_HOURS[1:])
    assert ET.fromstring(body).find("Dial/Number").text == "+46701740610"  # type: ignore[union-attr]


def test_wrong_pin_three_times_keeps_the_caller_from_the_manager_and_is_not_asked_again(
        twilio: Twilio, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_STAFF_PIN", "4711")
    clock.set("2026-11-25T22:00")
    call(twilio, "CA" + "9" * 32, OUTSIDER, "1")
    body = press(twilio, "CA" + "9" * 32, OUTSIDER, "0000", "0000", "0000")
    assert spoken(body).startswith("Fel kod. Ditt nummer finns inte i personallistan. Jag går igenom stegen med dig")
    assert "Steg 1 av 3" in spoken(body)
    body = press(twilio, "CA" + "9" * 32, OUTSIDER, *VIVA_AFTER_HOURS[1:])
    assert ET.fromstring(body).find("Dial") is None and ET.fromstring(body).find("Gather") is None
    assert spoken(body).startswith("Jag ringer inte chef i beredskap nu. Ditt nummer finns inte i personallistan")
    assert "personalkod" not in spoken(body)


def test_skipping_the_code_goes_on_to_the_steps_as_not_staff(twilio: Twilio, clock: FrozenClock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_STAFF_PIN", "4711")
    clock.set("2026-11-25T22:00")
    call(twilio, "CA" + "8" * 32, OUTSIDER, "1")
    body = press(twilio, "CA" + "8" * 32, OUTSIDER, "")  # just #
    assert spoken(body).startswith("Ditt nummer finns inte i personallistan. Jag går igenom stegen med dig")
    body = press(twilio, "CA" + "8" * 32, OUTSIDER, *VIVA_AFTER_HOURS[1:])
    assert ET.fromstring(body).find("Dial") is None and "personalkod" not in spoken(body)


@pytest.mark.parametrize(("caller", "at"), [(STAFF, "2026-11-25T22:00"), (OUTSIDER, "2026-11-25T10:00")],
                         ids=["staff_phone", "office_hours"])
def test_the_code_is_asked_only_of_a_number_off_the_list_after_hours(
        twilio: Twilio, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, caller: str, at: str) -> None:
    monkeypatch.setenv("IVR_STAFF_PIN", "4711")
    clock.set(at)
    body = call(twilio, "CA" + "7" * 32, caller, "1")
    assert "personal" not in spoken(body) and spoken(body).startswith("Viva.")


def test_sms_pin(twilio: Twilio, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_STAFF_PIN", "4711")
    clock.set("2026-11-25T22:00")
    assert text_line(twilio, OUTSIDER, "viva", "SM0") == [
        "Ditt nummer finns inte i personallistan. Med personalkoden når du chef i beredskap om stegen inte "
        "hjälper. Svara med koden, annars NEJ."]
    replies = text_line(twilio, OUTSIDER, "4711", "SM1")
    assert replies[0] == "Koden stämmer." and "1/3" in replies[1]
    for index, body in enumerate(["nej", "ja"]):
        text_line(twilio, OUTSIDER, body, f"SM{index + 2}")
    assert text_line(twilio, OUTSIDER, "ja", "SM4") == [
        "Alla steg är gjorda. Svara RING så ringer vi upp dig och kopplar dig till chef i beredskap."]


def test_sms_pin_skipped_with_nej(twilio: Twilio, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_STAFF_PIN", "4711")
    clock.set("2026-11-25T22:00")
    text_line(twilio, OUTSIDER, "viva", "SM0")
    replies = text_line(twilio, OUTSIDER, "NEJ", "SM1")
    assert replies[0].startswith("Ditt nummer finns inte i personallistan. Jag går igenom stegen")
    for index, body in enumerate(["nej", "ja"]):
        text_line(twilio, OUTSIDER, body, f"SM{index + 2}")
    last = text_line(twilio, OUTSIDER, "ja", "SM4")
    assert "personalkod" not in " ".join(last) and "Ditt nummer finns inte i personallistan" in last[0]


def test_staff_list_can_be_switched_off(database_url: str, clock: FrozenClock) -> None:
    from dataclasses import replace

    from ivr import create_app
    from tests.conftest import app_config

    app = create_app(app_config(database_url, clock))
    line = app.extensions["ivr.line"]
    app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, staff_required=False))
    clock.set("2026-11-25T22:00")
    body = call(Twilio(app.test_client()), "CA" + "8" * 32, OUTSIDER, *VIVA_AFTER_HOURS)
    assert ET.fromstring(body).find("Dial/Number") is not None
    app.extensions["ivr.store"].dispose()


# --- privacy ---------------------------------------------------------------------

def test_no_raw_caller_number_in_the_audit_table(app: Flask, twilio: Twilio, clock: FrozenClock,
                                                 database_url: str) -> None:
    clock.set("2026-11-25T22:00")
    call(twilio, "CA" + "7" * 32, STAFF, *VIVA_AFTER_HOURS)
    for index, body in enumerate(["npo", "ja", "nej"]):
        text_line(twilio, STAFF, body, f"SM{index}")
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = [" ".join(str(v) for v in row) for row in conn.execute(text("SELECT * FROM events"))]
    engine.dispose()
    assert len(rows) > 8
    for needle in (STAFF, STAFF[1:], "0701740699", "701740699"):
        assert not [row for row in rows if needle in row], needle
    keys = {e["caller_key"] for e in app.extensions["ivr.store"].events()}
    assert len(keys) == 1 and None not in keys  # one pseudonym for one person on both channels


def test_purge_removes_exactly_what_is_older(database_url: str, clock: FrozenClock, app: Flask,
                                             twilio: Twilio) -> None:
    store = app.extensions["ivr.store"]
    clock.set("2026-08-01T10:00")
    call(twilio, "CA" + "1" * 32, STAFF, "1")
    clock.set("2026-11-20T10:00")
    call(twilio, "CA" + "2" * 32, STAFF, "1")
    counts = store.purge(local("2026-09-01T00:00"), local("2026-11-24T10:00"))
    assert counts["sessions"] == 1 and counts["callers_forgotten"] == 1
    remaining = {e["session_id"] for e in store.events()}
    assert remaining == {"voice:CA" + "2" * 32}
    kept = store.get("voice:CA" + "2" * 32)
    assert kept is not None and kept.caller is None
