"""Golden SMS conversations: whole conversations replayed through the real /sms webhook.

Each file in tests/golden/sms/ is one conversation: when it starts (`at`,
Stockholm time), who texts (`from`), and the messages sent (`sends`, one per
webhook; "@+130m" lets 130 minutes pass, "@dup" is Twilio re-sending the
previous message with the same MessageSid). When the line calls back after
RING, the simulator answers as the carer; `manager_keys` (default always 1)
and `dial_status` play the on-call manager's side as in the voice goldens.
`expected` holds the outcome and its checklist, the call-backs placed, the
numbers they dialled, the SMS the app sent, and every line of the transcript:
`caller`/`line` are texts, `call_line`/`line_to_manager`/`manager` are said
on the call-back, `system` describes what happened.

Every case runs on a fresh database: SQLite, and PostgreSQL too when
IVR_TEST_DATABASE_URL is set.

    UPDATE_GOLDEN=1 pytest tests/test_sms_golden.py   # rewrite `expected`

then read the diff: a golden is only as right as the person who checked it.
A case with `known_bug` holds the behaviour the line should have; it must
fail (strict xfail) until the bug is fixed, and is never rewritten.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from twilio.request_validator import RequestValidator

from flows.line import load_line
from flows.model import Outcome
from ivr.privacy import sms_session_id
from ivr.simulator.common import Entry, ScriptedKeys
from ivr.simulator.simulate import simulate
from ivr.simulator.sms import ScriptedSends, SmsPhone, SmsResult, parse_send
from tests.golden_support import STOCKHOLM, UPDATE, after_decline_time, golden_app, read_case, write_case

GOLDEN = Path(__file__).parent / "golden" / "sms"
CASES = sorted(GOLDEN.glob("*.yaml"))
INPUTS = ("description", "at", "from", "sends", "dial_status", "manager_keys", "known_bug", "announcements",
          "known_incidents", "tickets", "staff_pin")
LINE = load_line()
# Chef i beredskap's numbers (everyone in the roster, and the two the line started with), E.164
# and the national way (070-174 06 10): never in an SMS in callback mode.
ON_CALL_NUMBERS = sorted({"+46701740610", "+46701740611",
                          *(person.number for person in LINE.roster.people.values())})
ON_CALL_DIGITS = [number.removeprefix("+46") for number in ON_CALL_NUMBERS]  # "701740610"
WEDNESDAY_EVENING = datetime(2026, 11, 25, 22, 0, tzinfo=STOCKHOLM)
CHAIN = [person.number for person in LINE.roster.chain_at(WEDNESDAY_EVENING)]  # who is tried then


def replay(case: dict[str, Any], database_url: str) -> tuple[SmsResult, dict[str, Any] | None]:
    """Run one case's conversation against a fresh app on the given database (and, with `tickets:`, the
    outbox once the caller can no longer decline: tests/golden_support.after_decline_time)."""
    with golden_app(case, database_url) as app:
        phone = SmsPhone(app, sender=str(case["from"]))
        manager = case.get("manager_keys")
        result = phone.converse(
            ScriptedSends(str(send) for send in case["sends"]),
            manager_keys=None if manager is None else ScriptedKeys(str(manager)),
            dial_status=[str(status) for status in case.get("dial_status") or []],
        )
        return result, after_decline_time(app)


def line(entry: Entry) -> dict[str, str]:
    """A transcript line as the golden files write it: {who: text}."""
    if entry.get("to") == "manager":
        who = "line_to_manager"
    elif entry.get("via") == "call" and entry["who"] != "manager":
        who = f"call_{entry['who']}"
    else:
        who = entry["who"]
    return {who: entry["text"]}


def observed(result: SmsResult, later: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `expected` section this conversation would have."""
    found = {
        "outcome": result.outcome["outcome"] if result.outcome else None,
        "checklist": result.outcome["checklist"] if result.outcome else None,
        "calls_placed": len(result.calls_placed),
        "dialed": result.dialed,
        "sms_count": len(result.sms),
        "transcript": [line(entry) for entry in result.transcript],
    }
    if later is not None:
        found["after_decline_time"] = later
    return found


def texted_on_call_number(texts: list[str]) -> list[str]:
    """The texts that give away an on-call number, in any format."""
    found = []
    for text in texts:
        digits = re.sub(r"\D", "", text)
        if any(number in text for number in ON_CALL_NUMBERS) or any(d in digits for d in ON_CALL_DIGITS):
            found.append(text)
    return found


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_sms_golden(path: Path, database_url: str, request: pytest.FixtureRequest) -> None:
    case = read_case(path)
    assert {"description", "at", "from", "sends"} <= set(case), f"{path.name}: inputs missing"
    assert set(case) <= {*INPUTS, "expected"}, f"{path.name}: unknown keys"
    if case.get("known_bug"):
        request.applymarker(pytest.mark.xfail(reason=str(case["known_bug"]), strict=True))
    result, later = replay(case, database_url)
    assert result.errors == []
    # Inputs the conversation never used mean the case does not test what it says.
    assert result.unused_sends == []
    assert result.unused_manager_keys == [], "manager keys left over"
    assert result.unused_dial_status == [], "dial statuses left over"
    # Callback mode: the carer is called back and bridged, never texted the manager's number.
    assert texted_on_call_number([text for replies in result.replies for text in replies]) == []
    if UPDATE and not case.get("known_bug"):
        write_case(path, case, INPUTS, observed(result, later))
        return
    assert "expected" in case, f"{path.name}: no expected section (run with UPDATE_GOLDEN=1)"
    assert observed(result, later) == case["expected"]


# --- what the goldens must cover -----------------------------------------------------------


@cache
def expected_cases() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(name, case) for every golden that is not a known bug; read once for the tests below (not to be changed)."""
    return tuple((path.stem, case) for path in CASES if not (case := read_case(path)).get("known_bug"))


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 35


def test_the_line_is_in_callback_mode() -> None:
    """The goldens (and the no-number check) are written for on_call_by: callback."""
    assert LINE.settings.sms_on_call_by == "callback"


@pytest.mark.parametrize("hour", ["10:00", "22:00"])
def test_every_system_has_a_golden_in_and_after_office_hours(hour: str) -> None:
    covered = {case["expected"]["checklist"] for _, case in expected_cases()
               if str(case["at"]).endswith(hour) and str(case["at"]).startswith("2026-11-25")}
    assert covered >= {checklist.id for checklist in LINE.library.checklists}


def test_every_checklist_outcome_has_a_golden() -> None:
    """Every outcome a checklist can end in (deflected needs an outage notice: not covered here)."""
    outcomes = {case["expected"]["outcome"] for _, case in expected_cases()}
    assert outcomes >= {outcome.value for outcome in Outcome if outcome.value != "deflected"}


def test_the_goldens_use_every_keyword_and_answer_form() -> None:
    sends = {str(send) for _, case in expected_cases() for send in case["sends"]}
    for word in ("MENY", "HJÄLP", "HJALP", "STOPP", "AVSLUTA", "ENGLISH", "RING", "kanske", "hej",
                 "J", " ja ", "Nej.", "klar", "OK", "2", "@dup", "@+130m",
                 "viva omsorg", "VIVAOMSORG", "npo", "npö", "alfa", "Time Care MA"):
        assert word in sends, f"no golden sends {word!r}"
    assert {str(n) for n in range(1, 10)} <= sends


# Issue 13, "found by trying": each phrase the SMS line once misread has a golden of its own.
FOUND_BY_TRYING = ("ok", "klar", "ja det funkar nu", "nej det funkar inte", "nä", "jo", "ja", "ring mig",
                   "vivaomsrog", "Trygghetlarm", "swedlok", "omsorg", "larm", "ecare", "Tack!", "HJÄLP")


def test_the_goldens_send_every_phrase_found_by_trying() -> None:
    sends = {str(send) for _, case in expected_cases() for send in case["sends"]}
    assert [phrase for phrase in FOUND_BY_TRYING if phrase not in sends] == []


def test_ring_offer_goldens_accept_natural_yeses_and_survive_other_replies() -> None:
    """After "Svara RING", a plain yes or "ring mig" calls back, and RING still works after other replies."""
    cases = dict(expected_cases())
    for name in ("ring_offer_ja_calls_back", "ring_offer_ring_mig_calls_back", "ring_offer_survives_other_replies"):
        assert cases[name]["expected"]["calls_placed"] == 1, name
        assert cases[name]["expected"]["dialed"] == CHAIN[:1], name


def test_acknowledgements_get_one_short_sms_and_no_answer() -> None:
    """"ok", "klar" and a thumbs-up at a step: one SMS back, the question, and the step is not answered."""
    case = dict(expected_cases())["reply_ok_is_not_yes"]
    transcript = case["expected"]["transcript"]
    for index, entry in enumerate(transcript):
        if entry.get("caller") in ("ok", "klar", "👍"):
            hint = transcript[index + 1]["line"]
            assert hint.startswith("Svara JA") and " på frågan: " in hint, hint  # "JA, NEJ eller VET INTE" too
            assert "caller" in transcript[index + 2]  # one SMS, then the carer's next text
    assert case["expected"]["outcome"] == "wait_for_office_hours"  # "ok" did not record several users


def test_an_on_call_golden_rings_once_and_bridges() -> None:
    """RING twice: one call, bridged to the first on-call number."""
    # Two RINGs for the same offer (MENY between them starts a new checklist that may ring again).
    rings = [case for _, case in expected_cases()
             if [str(s).casefold() for s in case["sends"]].count("ring") >= 2
             and "meny" not in [str(s).casefold() for s in case["sends"]]]
    assert rings
    for case in rings:
        assert case["expected"]["calls_placed"] == 1
        assert case["expected"]["dialed"][:1] == CHAIN[:1]


def test_no_golden_texts_an_on_call_number() -> None:
    """The stored transcripts too: no text from the line names Chef i beredskap's number."""
    for name, case in expected_cases():
        texts = [entry["line"] for entry in case["expected"]["transcript"] if "line" in entry]
        assert texted_on_call_number(texts) == [], name


def test_the_number_check_sees_every_format() -> None:
    for text in ("Ring +46701740610", "Ring 070-174 06 11", "070 174 06 10", "0701740611"):
        assert texted_on_call_number([text]) == [text]
    assert texted_on_call_number(["Ring IT-supporten 0141-22 50 47"]) == []


# --- the SMS phone itself ------------------------------------------------------------------


def session_id(app: Flask, number: str) -> str:
    """The store's key for a sender's conversation (a keyed pseudonym of the number)."""
    with app.app_context():
        return sms_session_id(number)



def test_sms_phone_signs_like_twilio(app: Flask) -> None:
    """With another token the app refuses the first message: the phone does sign."""
    phone = SmsPhone(app)
    phone.validator = RequestValidator("not-the-apps-token")
    result = phone.converse(["viva", "nej"])
    assert result.requests == 1
    assert result.errors == ["POST /sms answered HTTP 403"]
    assert result.unused_sends == ["nej"]


def test_a_retried_message_gets_the_same_reply_and_does_not_advance(app: Flask) -> None:
    result = SmsPhone(app).converse(["viva", "nej", "@dup", "ja"])
    assert result.errors == []
    first, no, retried, yes = result.replies
    assert retried == no
    assert no[0].startswith("Viva 2/3:") and yes[0].startswith("Viva 3/3:")
    events = app.extensions["ivr.store"].events(session_id(app, "+46701740699"))
    assert [event["data"]["yes"] for event in events if event["kind"] == "answer"] == [False, True]


def test_a_second_ring_places_no_second_call(app: Flask) -> None:
    sends = ["@+12h", "viva", "nej", "ja", "ja", "RING", "RING", "@dup", "ring"]
    result = SmsPhone(app).converse(sends)  # Wednesday 10:00 + 12 hours: after hours
    assert result.errors == []
    assert len(result.calls_placed) == 1
    assert result.calls_placed[0]["to"] == "+46701740699"
    key = session_id(app, "+46701740699").removeprefix("sms:")  # the URL names no phone number
    assert result.calls_placed[0]["url"] == f"{app.config['PUBLIC_URL']}/voice/callback?sms={key}"
    assert result.dialed == CHAIN[:1]
    assert result.replies[-1] == result.replies[-2] == result.replies[-3]


def test_time_passes_between_messages(app: Flask) -> None:
    result = SmsPhone(app).converse(["viva", "@+121m", "nej"])
    assert {"who": "system", "text": "TID GÅR/TIME PASSES: 121 min, nu/now 2026-11-25 12:01"} in result.transcript
    assert result.replies[-1][0] == "Det har gått en stund, så vi startar om."


def test_send_tokens() -> None:
    assert parse_send("viva") == ("text", "viva")
    assert parse_send("@dup") == ("dup", "")
    assert parse_send("@+130m") == parse_send("@+130") == parse_send("@+7800s")
    assert parse_send("@+2h")[1] == parse_send("@+120m")[1]
    assert parse_send("@@dup") == ("text", "@dup")
    for bad in ("@later", "@+", "@+5y", "@-5m"):
        with pytest.raises(ValueError):
            parse_send(bad)
    with pytest.raises(ValueError, match="nothing to re-send"):
        ScriptedSends(["@+5m", "@dup"])


def test_cli_simulate_sms_prints_the_conversation() -> None:
    result = CliRunner().invoke(simulate, [
        "--sms", "--at", "2026-11-25T22:00", "--send", "viva", "--send", "nej", "--send", "ja",
        "--send", "ja", "--send", "RING",
    ], catch_exceptions=False)
    assert result.exit_code == 0
    output = result.output
    assert "DU: viva" in output
    assert "LINJEN: Viva 1/3: " in output
    assert "LINJEN: Alla steg är gjorda. Svara RING" in output
    assert "  (samtal/call) LINJEN: Hej, det här är Felsökningslinjen som ringer upp om Viva." in output
    assert "    CHEFEN: 1" in output
    assert output.endswith("Utfall/outcome: on_call_manager\n")


def test_cli_simulate_sms_json() -> None:
    result = CliRunner().invoke(simulate, [
        "--send", "6", "--send", "ja", "--send", "nej", "--send", "nej", "--send", "nej",
        "--send", "nej", "--send", "RING", "--at", "2026-11-25T22:00", "--manager-keys", "- 2",
        "--from", "+46701740698", "--json",
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sender"] == "+46701740698"
    assert data["outcome"]["outcome"] == "on_call_manager"
    assert [call["to"] for call in data["calls_placed"]] == ["+46701740698"]
    assert data["dialed"] == CHAIN
    assert [sms["to"] for sms in data["sms"]] == CHAIN[:1]
    assert len(data["replies"]) == 7 and data["errors"] == [] and data["unused_sends"] == []


def test_cli_simulate_sms_interactive_ends_on_an_empty_line_or_end_of_input() -> None:
    for typed in ("viva\n@bad\nnej\n\nja\n", "viva\nnej\n", "viva\nnej\nq\nja\n"):
        result = CliRunner().invoke(simulate, ["--sms", "--at", "2026-11-25T10:00"], input=typed)
        assert result.exit_code == 0, result.output
        assert "Viva 2/3" in result.output and "Viva 3/3" not in result.output
    assert "unknown token '@bad'" in CliRunner().invoke(
        simulate, ["--sms"], input="@bad\n\n").output


def test_cli_simulate_sms_refuses_bad_options() -> None:
    assert CliRunner().invoke(simulate, ["--sms", "--keys", "1"]).exit_code == 2
    result = CliRunner().invoke(simulate, ["--send", "@dup"])
    assert result.exit_code == 2 and "nothing to re-send" in result.output
    assert "@+130m" in CliRunner().invoke(simulate, ["--help"]).output
