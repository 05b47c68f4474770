"""`ivr report`: figures from real conversations driven through the signed webhooks."""

from __future__ import annotations

import csv
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from flows.line import load_line
from flows.moments import parse_moment
from ivr.cli.report import report
from ivr.reports.report import Report, SystemFigures, build_report
from tests.conftest import PUBLIC_URL, STOCKHOLM, FrozenClock, Twilio, local, sms_session

LIBRARY = load_line().library
TEXTER_A, TEXTER_B, TEXTER_C, TEXTER_D = "+46701740601", "+46701740602", "+46701740603", "+46701740604"
UNTIL = "2026-11-26T00:00"
MESSAGE_NUMBERS = itertools.count(1)  # each text a MessageSid of its own: equal ones are retries


def sid(name: str) -> str:
    """A CallSid of the right shape, readable in failures."""
    return "CA" + name.rjust(32, "0")


def call(twilio: Twilio, name: str, *keys: str) -> None:
    """One call: the welcome, then each key ("" is silence)."""
    twilio.call("/voice", sid=sid(name))
    for key in keys:
        assert twilio.call("/voice/input", sid=sid(name), Digits=key).status_code == 200


def text(twilio: Twilio, sender: str, *bodies: str) -> None:
    """One sender's texts, in order."""
    for body in bodies:
        response = twilio.post("/sms", From=sender, To="+46141225000", Body=body,
                               MessageSid=f"SM{next(MESSAGE_NUMBERS):032d}")
        assert response.status_code == 200


def dial_on_call(twilio: Twilio, parent: str, accept: bool, attempts: int = 1) -> None:
    """The on-call dial: the manager presses 1 (or nobody answers each number)."""
    if accept:
        twilio.post(f"/voice/whisper/accept?call={parent}&attempt=0", CallSid="CA" + "9" * 32, Digits="1")
        twilio.call("/voice/dial/on_call?attempt=0", sid=parent, DialCallStatus="completed")
        return
    for attempt in range(attempts):
        twilio.call(f"/voice/dial/on_call?attempt={attempt}", sid=parent, DialCallStatus="no-answer")


def known_week(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    """The conversations the figures below are about (Wednesday 25 November 2026, plus one old call)."""
    clock.set("2026-11-10T10:00")
    call(twilio, "old", "1", "1")  # Viva, solved at step 1, two weeks earlier
    clock.set("2026-11-25T10:00")
    call(twilio, "v1", "1", "1")  # Viva: solved at home_drive
    twilio.call("/voice/status", sid=sid("v1"), CallStatus="completed")  # ended after its outcome: not abandoned
    call(twilio, "v2", "1", "1")  # Viva: solved at home_drive
    call(twilio, "v3", "4", "1", "1", "1")  # NPÖ: Inera shows an outage
    call(twilio, "v4", "2", "", "", "")  # Viva omsorg: silence three times
    call(twilio, "v5")  # hangs up at the menu
    twilio.call("/voice/status", sid=sid("v5"), CallStatus="completed")
    call(twilio, "v6", "1", "2", "0", "2", "2", "2", "2", "2")  # Viva, back to the menu, Viva omsorg: IT support
    twilio.call("/voice/dial/it_support", sid=sid("v6"), DialCallStatus="no-answer")
    call(twilio, "v9", "1", "2", "1", "1")  # Viva in office hours: Viva support (local contact)
    text(twilio, TEXTER_A, "time care", "nej", "ja", "nej", "ja")  # network and login work: IT portal
    clock.set("2026-11-25T11:00")
    text(twilio, TEXTER_A, "npo", "ja", "STOPP")  # the same texter, a new problem, stopped at step 2
    clock.set("2026-11-25T17:30")
    call(twilio, "v8", "1", "2", "1", "1")  # Viva after hours: nobody answers, the manager is texted
    dial_on_call(twilio, sid("v8"), accept=False, attempts=2)
    clock.set("2026-11-25T17:40")
    call(twilio, "v7", "1", "2", "1", "1")  # Viva after hours: the manager presses 1 (she knows: an incident)
    dial_on_call(twilio, sid("v7"), accept=True)
    clock.set("2026-11-25T20:00")  # over incidents.known_hours later: Viva's incident is no longer known
    text(twilio, TEXTER_B, "viva", "nej", "ja", "ja", "RING")  # after hours by SMS, call-back accepted
    clock.set("2026-11-25T22:00")
    events = app.extensions["ivr.store"].events(sms_session(app, TEXTER_B))
    leg = next(e for e in events if e["kind"] == "callback_requested")["data"]["sid"]
    placed = app.extensions["ivr.notifier"].sent[-1]  # the call Twilio would now place: its TwiML URL
    twilio.post(placed["url"].removeprefix(PUBLIC_URL), CallSid=leg, From="+46141225000", To=TEXTER_B)
    dial_on_call(twilio, leg, accept=True)
    text(twilio, TEXTER_C, "viva omsorg", "nej", "ja", "nej", "nej")  # one user after hours: wait


def figures(result: Report) -> dict[str, SystemFigures]:
    """Rows by checklist id ("" for no system)."""
    return {row.system or "": row for row in result.systems}


def week(app: Flask) -> Report:
    return build_report(app.extensions["ivr.store"].events(), LIBRARY,
                        since=local("2026-11-19T00:00"), until=local(UNTIL))


def test_build_report_counts_the_known_week(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    known_week(app, twilio, clock)
    result = week(app)
    rows = figures(result)
    assert [row.system for row in result.systems] == [c.id for c in LIBRARY.checklists] + [None]
    viva = rows["viva"]
    assert (viva.voice, viva.sms, viva.resolved, viva.solved_by_step) == (5, 1, 2, {"home_drive": 2})
    assert (viva.local_contact, viva.on_call_manager, viva.abandoned) == (1, 3, 0)
    # v7 and the SMS call-back were connected; v8 texted the manager; one call-back asked for.
    assert (viva.on_call_connected, viva.on_call_manager_sms, viva.on_call_callback) == (2, 1, 1)
    omsorg = rows["viva_omsorg"]
    assert (omsorg.voice, omsorg.sms, omsorg.it_support, omsorg.wait_for_office_hours, omsorg.abandoned) == (
        2, 1, 1, 1, 1)
    npo = rows["npo"]
    assert (npo.voice, npo.sms, npo.supplier_outage, npo.abandoned, npo.resolved) == (1, 1, 1, 1, 0)
    time_care = rows["time_care"]
    assert (time_care.voice, time_care.sms, time_care.it_portal, time_care.abandoned) == (0, 1, 1, 0)
    nothing = rows[""]
    assert (nothing.name, nothing.voice, nothing.sms, nothing.abandoned) == ("(no system chosen)", 1, 0, 1)
    for quiet in ("pascal", "cosmic_link", "swedlock", "trygghetslarm", "alfa_ecare"):
        assert rows[quiet].sessions == 0
    total = result.total
    assert (total.voice, total.sms, total.resolved, total.supplier_outage, total.it_support, total.it_portal,
            total.local_contact, total.on_call_manager, total.wait_for_office_hours, total.abandoned) == (
        9, 4, 2, 1, 1, 1, 1, 3, 1, 3)
    # Every conversation ends in exactly one column, except that abandoned ones have no outcome.
    assert total.sessions == (total.resolved + total.supplier_outage + total.it_support + total.it_portal
                              + total.local_contact + total.on_call_manager + total.wait_for_office_hours
                              + total.abandoned)


def test_csv_has_one_row_per_system_with_every_figure(
    app: Flask, twilio: Twilio, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    known_week(app, twilio, clock)
    out = tmp_path / "week.csv"
    result = CliRunner().invoke(report, ["--database", database_url, "--since", "7d", "--until", UNTIL,
                                         "--csv", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["system"] for row in rows] == [c.id for c in LIBRARY.checklists] + [""]
    by_id = {row["system"]: row for row in rows}
    assert by_id["viva"] == {
        "period_start": "2026-11-19T00:00:00+01:00", "period_end": "2026-11-26T00:00:00+01:00",
        "system": "viva", "name": "Viva", "key": "1", "voice_sessions": "5", "sms_sessions": "1", "sessions": "6",
        "resolved": "2", "solved_by_step": "home_drive:2", "supplier_outage": "0", "it_support": "0",
        "it_portal": "0", "local_contact": "1", "on_call_manager": "3", "on_call_connected": "2",
        "on_call_manager_sms": "1", "on_call_callback": "1", "wait_for_office_hours": "0", "deflected": "0",
        "incident_known": "0",
        "abandoned": "0", "unknown_by_step": "",
    }
    assert by_id["npo"]["name"] == "NPÖ" and by_id["npo"]["supplier_outage"] == "1"
    assert by_id[""]["name"] == "(no system chosen)" and by_id[""]["abandoned"] == "1"
    # The table: Swedish headings, the period, a row per system and the totals.
    lines = result.output.splitlines()
    assert lines[0] == "Felsökningslinjen, period 2026-11-19 00:00 till 2026-11-26 00:00"
    assert lines[2].split() == ["System", "Samtal", "SMS", "Löst", "IT-support", "IT-portal", "Lokalt", "Leverantör",
                                "Chef", "i", "beredskap", "Väntar", "Driftinfo", "Kvitterat", "Avbrutna"]
    viva_line = next(line for line in lines if line.startswith("Viva "))
    assert viva_line.split() == ["Viva", "5", "1", "2", "0", "0", "1", "0", "3", "0", "0", "0", "0"]
    total_line = next(line for line in lines if line.startswith("Totalt"))
    assert total_line.split() == ["Totalt", "9", "4", "2", "1", "1", "1", "1", "3", "1", "0", "0", "3"]
    assert "Viva: löst vid steg 1 (home_drive): 2" in lines
    assert "Viva: chef i beredskap 3: kopplad 2, sms till chefen 1, uppringning begärd 1" in lines


def test_since_window_leaves_out_older_events(
    app: Flask, twilio: Twilio, clock: FrozenClock, database_url: str
) -> None:
    known_week(app, twilio, clock)
    runner = CliRunner()

    def viva(*period: str) -> dict[str, object]:
        result = runner.invoke(report, ["--database", database_url, "--json", *period])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        return next(row for row in data["systems"] if row["system"] == "viva")

    assert viva("--since", "7d", "--until", UNTIL)["resolved"] == 2
    assert viva("--since", "30d", "--until", UNTIL)["resolved"] == 3  # the call of 10 November
    old = viva("--since", "2026-11-10", "--until", "2026-11-10")  # a bare --until date includes that day
    assert (old["voice"], old["resolved"], old["solved_by_step"], old["sessions"]) == (1, 1, {"home_drive": 1}, 1)
    evening = viva("--since", "2026-11-25T17:00", "--until", UNTIL)
    assert (evening["voice"], evening["sms"], evening["on_call_manager"], evening["resolved"]) == (2, 1, 3, 0)


def test_a_new_problem_texted_after_an_outcome_is_a_conversation_of_its_own(
    app: Flask, twilio: Twilio
) -> None:
    text(twilio, TEXTER_D, "viva", "ja")  # solved at step 1
    text(twilio, TEXTER_D, "MENY", "npo", "nej", "ja", "ja")  # no sms_started: MENY after an outcome
    rows = figures(build_report(app.extensions["ivr.store"].events(), LIBRARY))
    assert (rows["viva"].sms, rows["viva"].resolved, rows["viva"].abandoned) == (1, 1, 0)
    assert (rows["npo"].sms, rows["npo"].supplier_outage, rows["npo"].abandoned) == (1, 1, 0)


def test_an_expired_sms_conversation_is_abandoned_and_the_next_text_starts_another(
    app: Flask, twilio: Twilio, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T10:00")
    text(twilio, TEXTER_D, "npo", "ja")
    clock.set("2026-11-25T12:01")  # past sms_line.quiet_minutes
    text(twilio, TEXTER_D, "ja")  # an answer to the old question: the line starts over at the menu
    rows = figures(build_report(app.extensions["ivr.store"].events(), LIBRARY))
    assert (rows["npo"].sms, rows["npo"].abandoned) == (1, 1)
    # The restarted conversation got only the menu so far: it has no system and no outcome.
    assert (rows[""].sms, rows[""].abandoned) == (1, 1)


def test_an_unfinished_conversation_counts_as_abandoned_under_its_system(app: Flask, twilio: Twilio) -> None:
    call(twilio, "u1", "3", "1")  # Time Care, step 1 answered, then the caller hangs up
    call(twilio, "u2", "3", "1")  # the same, and Twilio's status callback says so
    twilio.call("/voice/status", sid=sid("u2"), CallStatus="completed")
    rows = figures(build_report(app.extensions["ivr.store"].events(), LIBRARY))
    assert (rows["time_care"].voice, rows["time_care"].abandoned) == (2, 2)


def test_periods_parse_durations_dates_and_times() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_moment("24h", now, STOCKHOLM) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert parse_moment("7d", now, STOCKHOLM) == datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    assert parse_moment("2026-11-01", now, STOCKHOLM) == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert parse_moment("2026-11-01", now, STOCKHOLM, end_of_day=True) == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)
    assert parse_moment("2026-07-01T08:00", now, STOCKHOLM) == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def test_bad_period_and_unreachable_database_are_clear_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(report, ["--database", f"sqlite:///{tmp_path / 'x.sqlite3'}", "--since", "lastweek"])
    assert result.exit_code == 2 and "use a duration such as 7d" in result.output
    result = runner.invoke(report, ["--database", f"sqlite:///{tmp_path / 'x.sqlite3'}", "--since", "2099-01-01"])
    assert result.exit_code == 2 and "is not before --until" in result.output
    result = runner.invoke(report, ["--database", f"sqlite:///{tmp_path / 'empty.sqlite3'}"])
    assert result.exit_code == 1 and "ivr db upgrade" in result.output


@pytest.mark.parametrize("channel", ["voice", "sms"])
def test_only_audit_events_count_not_session_rows(channel: str) -> None:
    at = local("2026-11-25T10:00")
    events = [
        {"id": 1, "session_id": f"{channel}:x", "seq": 1, "at": at, "kind": f"{'call' if channel == 'voice' else 'sms'}"
         "_started", "channel": channel, "system": None, "data": {}},
        {"id": 2, "session_id": f"{channel}:x", "seq": 2, "at": at, "kind": "system_chosen", "channel": channel,
         "system": "pascal", "data": {}},
    ]
    rows = figures(build_report(events, LIBRARY))
    assert getattr(rows["pascal"], channel) == 1 and rows["pascal"].abandoned == 1


def test_a_deflected_call_is_counted_in_the_json_and_the_table(
    app: Flask, twilio: Twilio, clock: FrozenClock, database_url: str
) -> None:
    clock.set("2026-11-25T10:00")
    app.extensions["ivr.store"].announce("viva", "Viva ligger nere.", None, clock(), by="test")
    call(twilio, "d1", "1", "2")  # Viva, hears the announcement, answers 2 to "go on?": deflected
    period = ["--database", database_url, "--since", "2026-11-25", "--until", "2026-11-25"]
    result = CliRunner().invoke(report, [*period, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    viva = next(row for row in data["systems"] if row["system"] == "viva")
    assert (viva["voice"], viva["deflected"], viva["abandoned"]) == (1, 1, 0)
    assert data["total"]["deflected"] == 1
    table = CliRunner().invoke(report, period)
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    header = lines[2]
    assert "Driftinfo" in header.split()
    viva_line = next(line for line in lines if line.startswith("Viva "))
    # Each figure is right-aligned under its heading: the figure ending where "Driftinfo" ends.
    end = header.index("Driftinfo") + len("Driftinfo")
    assert viva_line[:end].split()[-1] == "1"


def test_vet_inte_answers_are_counted_by_step(app: Flask, twilio: Twilio, clock: FrozenClock, database_url: str,
                                              tmp_path: Path) -> None:
    clock.set("2026-11-25T22:00")
    call(twilio, "u1", "2", "3", "1", "2", "2")  # Viva omsorg: "vet inte" to several users, then to the end
    call(twilio, "u2", "2", "3")  # the same, then hangs up (no outcome): still counted
    clock.moment += timedelta(minutes=31)  # past the resume offer for u2's dropped call (same phone)
    call(twilio, "u3", "2", "2", "1", "2", "2")  # answered no: not counted
    rows = figures(build_report(app.extensions["ivr.store"].events(), LIBRARY))
    assert rows["viva_omsorg"].unknown_by_step == {"multiple_users": 2}
    assert rows["viva_omsorg"].wait_for_office_hours == 2
    period = ["--database", database_url, "--since", "2026-11-25", "--until", "2026-11-25"]
    out = tmp_path / "day.csv"
    table = CliRunner().invoke(report, [*period, "--csv", str(out)])
    assert table.exit_code == 0, table.output
    assert "Viva omsorg: vet inte vid steg 1 (multiple_users): 2" in table.output.splitlines()
    with out.open(encoding="utf-8-sig", newline="") as handle:
        by_id = {row["system"]: row for row in csv.DictReader(handle)}
    assert by_id["viva_omsorg"]["unknown_by_step"] == "multiple_users:2"


def test_the_periods_incidents_are_in_the_json_the_table_and_their_own_csv(
        app: Flask, twilio: Twilio, clock: FrozenClock, database_url: str, tmp_path: Path) -> None:
    from tests.test_incidents import ANNA, manager_took_a_viva_call
    from tests.test_incidents import call as staff_call
    from tests.test_incidents import text as staff_text

    manager_took_a_viva_call(app, twilio, clock)  # 22:00: Anna presses 1 on a Viva call
    clock.set("2026-11-25T22:10")
    staff_call(twilio, "CA" + "2" * 32, "+46701740602", "1", "2")  # told, asks for an SMS when fixed
    clock.set("2026-11-25T23:05")
    assert staff_text(twilio, ANNA, "KLAR", "SM" + "1" * 32)[0].startswith("Löst: Viva")
    period = ["--database", database_url, "--since", "2026-11-25", "--until", "2026-11-25"]
    result = CliRunner().invoke(report, [*period, "--json"])
    assert result.exit_code == 0, result.output
    [incident] = json.loads(result.output)["incidents"]
    assert {key: value for key, value in incident.items() if key != "id"} == {
        "system": "viva", "name": "Viva", "state": "resolved", "opened_at": "2026-11-25T21:00:00+00:00",
        "acknowledged_by": "Anna Andersson", "acknowledged_at": "2026-11-25T21:00:00+00:00", "escalated_at": None,
        "resolved_at": "2026-11-25T22:05:00+00:00", "callers": 2, "workplaces": 0, "waiting": 1}
    out, systems = tmp_path / "incidents.csv", tmp_path / "systems.csv"
    table = CliRunner().invoke(report, [*period, "--csv", str(systems), "--incidents-csv", str(out)])
    assert table.exit_code == 0, table.output
    assert ("  Viva: löst; öppnad 2026-11-25 22:00, kvitterad av Anna Andersson 2026-11-25 22:00, eskalerad -, "
            "löst 2026-11-25 23:05; 2 som ringt, 0 arbetsplatser, 1 väntar på sms") in table.output.splitlines()
    with out.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["system"], row["state"], row["acknowledged_by"], row["escalated_at"], row["callers"]) == (
        "viva", "resolved", "Anna Andersson", "", "2")
    with systems.open(encoding="utf-8-sig", newline="") as handle:
        assert "state" not in next(csv.reader(handle))  # the systems' CSV keeps its columns
    # The next day knows nothing of it.
    later = CliRunner().invoke(report, ["--database", database_url, "--since", "2026-11-27", "--until", "2026-11-27"])
    assert "Incidenter: inga" in later.output.splitlines()
