"""Console pages for on-call, the report and the checklists, through the Flask test client.

Signed in as tests/test_admin.py does (the code texted to an admin's number); without a
session every page leads to the sign-in and every POST is refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from flows.line import DEFAULT_CONFIG
from ivr import create_app
from ivr.cli.report import report
from tests.conftest import FrozenClock, Twilio, app_config
from tests.test_admin import Console
from tests.test_oncall import ANNA, BENGT, after_hours_viva_call
from tests.test_report import known_week
from tests.test_report_svg import SINCE, UNTIL, bars, cli_json


@pytest.fixture
def console(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(app_config(database_url, clock, ONCALL_REFRESH_SECONDS=60))
    yield app
    app.extensions["ivr.store"].dispose()


@pytest.fixture
def admin(console: Flask) -> Console:
    signed_in = Console(console)
    assert signed_in.sign_in().status_code == 302
    return signed_in


def test_without_a_signed_in_admin_every_page_is_refused(console: Flask, clock: FrozenClock) -> None:
    visitor = Console(console)
    for path in ("/admin/oncall", "/admin/report", "/admin/report.csv", "/admin/checklists"):
        response = visitor.get(path)
        assert response.status_code == 302 and response.location.endswith("/admin/logga-in")
    visitor.get("/admin/logga-in")  # a valid CSRF token, but no session
    assert visitor.post("/admin/oncall", who="bengt").status_code == 403
    assert visitor.post("/admin/oncall/1/clear").status_code == 403
    assert console.extensions["ivr.store"].oncall_overrides(clock()) == []


def test_a_swap_without_the_form_token_is_refused(console: Flask, admin: Console, clock: FrozenClock) -> None:
    admin.get("/admin/oncall")
    response = admin.post("/admin/oncall", token="forged", who="bengt")
    assert response.status_code == 400 and "Formuläret gick inte att skicka" in response.get_data(as_text=True)
    assert console.extensions["ivr.store"].oncall_overrides(clock()) == []


def test_a_swap_made_in_the_console_rings_the_new_person_from_the_next_call(
    console: Flask, admin: Console, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    admin.sign_in()  # twelve hours on: the morning's session has expired (8 h, by the line's clock)
    twilio = Twilio(console.test_client())
    assert after_hours_viva_call(twilio, "CA" + "1" * 32) == ANNA  # the worker has read the (empty) swaps
    page = admin.get("/admin/oncall").get_data(as_text=True)
    assert "Anna Andersson (+46701740610)" in page and "Inga byten" in page
    made = admin.post("/admin/oncall", who="bengt", start="21:00", end="2026-11-26T08:00", note="Anna sjuk")
    assert made.status_code == 303
    # Within the refresh period (60 s): the worker that made the swap reads it again at once.
    assert after_hours_viva_call(twilio, "CA" + "2" * 32) == BENGT
    page = admin.get("/admin/oncall?saved=1").get_data(as_text=True)
    assert "Sparat" in page and "#1 2026-11-25 21:00 - 2026-11-26 08:00: Bengt Berg" in page
    chain = re.search(r'<ol id="chain-now">(.*?)</ol>', page, re.S)
    assert chain is not None and chain.group(1).index("Bengt Berg") < chain.group(1).index("Reserv")
    cleared = admin.post("/admin/oncall/1/clear")
    assert cleared.status_code == 303
    assert after_hours_viva_call(twilio, "CA" + "3" * 32) == ANNA
    # One audit trail: each action once, by the signed-in admin (masked number, keyed hash), as the console's others.
    events = [e for e in console.extensions["ivr.store"].events() if e["channel"] == "admin"]
    assert [(e["kind"], e["data"]["by"]) for e in events] == [(kind, "+46...698") for kind in (
        "admin_signed_in", "admin_signed_in", "oncall_override_set", "oncall_override_cleared")]
    assert len({e["session_id"] for e in events}) == 1 and events[0]["session_id"].startswith("admin:")
    assert events[2]["data"]["id"] == 1 and events[2]["data"]["person"] == "bengt"
    assert "+46701740698" not in str(events)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        # Swedish only, no file path, no list of roster ids (the form's list offers the people).
        ({"number": "nobody"}, "Välj en person i listan, eller skriv ett giltigt telefonnummer."),
        ({"who": "bengt", "start": "2026-11-25T18:00", "end": "2026-11-25T17:00"}, "måste vara efter starttiden"),
        ({"who": "bengt", "end": "igår"}, "Till: tiden går inte att läsa. Välj datum och tid."),
        ({"who": "bengt", "replaces": "dina"}, "Välj i listan vem bytet gäller i stället för."),
        ({}, "Välj en person i listan, eller skriv ett telefonnummer."),
    ],
)
def test_a_bad_swap_is_refused_with_the_form_and_its_reason(
    console: Flask, admin: Console, form: dict[str, str], message: str
) -> None:
    admin.get("/admin/oncall")
    response = admin.post("/admin/oncall", **form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'role="alert"' in page and 'aria-invalid="true"' in page
    assert "roster.yaml" not in page.split('role="alert"')[1].split("</p>")[0] and " / " not in message
    if form.get("number"):
        assert f'value="{form["number"]}"' in page  # what was typed is kept
    elif form.get("who"):
        assert f'<option value="{form["who"]}" selected>' in page  # what was chosen is kept
    assert console.extensions["ivr.store"].oncall_overrides(console.extensions["ivr.clock"]()) == []


def test_clearing_a_swap_that_is_not_in_force_says_so(admin: Console) -> None:
    admin.get("/admin/oncall")
    response = admin.post("/admin/oncall/7/clear")
    assert response.status_code == 404 and "Byte nummer 7 gäller inte längre." in response.get_data(as_text=True)


def test_the_report_page_draws_the_figures_of_ivr_report_json(
    console: Flask, admin: Console, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    known_week(console, Twilio(console.test_client()), clock)
    admin.sign_in()  # the week has passed on the line's clock: a new session
    expected = {row["system"] or "": row for row in cli_json(database_url, SINCE, UNTIL)["systems"]}
    response = admin.get(f"/admin/report?since={SINCE}&until={UNTIL}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    outcomes = re.search(r'<figure id="chart-outcomes"[^>]*>(.*?)</figure>', page, re.S)
    assert outcomes is not None
    drawn = bars(outcomes.group(1))
    assert drawn[("viva", "on_call_manager")] == expected["viva"]["on_call_manager"] == 3
    assert drawn[("viva", "resolved")] == expected["viva"]["resolved"]
    assert all(ET.fromstring(svg) is not None for svg in re.findall(r"<svg.*?</svg>", page, re.S))
    out = tmp_path / "cli.csv"
    CliRunner().invoke(report, ["--database", database_url, "--since", SINCE, "--until", UNTIL, "--csv", str(out)])
    download = admin.get(f"/admin/report.csv?since={SINCE}&until={UNTIL}")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=felsokningslinjen-")
    assert download.data == out.read_bytes()


def test_a_bad_report_period_is_a_form_error(admin: Console) -> None:
    response = admin.get("/admin/report?since=förra+veckan")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert admin.get("/admin/report.csv?since=2026-12-01&until=2026-11-01").status_code == 400


def test_the_checklists_page_shows_every_system_in_words(console: Flask, admin: Console) -> None:
    page = admin.get("/admin/checklists").get_data(as_text=True)
    for checklist in console.extensions["ivr.line"].library.checklists:
        assert f'id="checklist-{checklist.id}"' in page
    assert "Tryck 1 för ja, 2 för nej." in page and "Kontorstid: Viva-supporten" in page
    english = admin.get("/admin/checklists?lang=en").get_data(as_text=True)
    assert "Office hours:" in english


def test_gaps_in_the_next_two_weeks_are_highlighted_and_a_swap_fills_one(
    database_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for path in DEFAULT_CONFIG.iterdir():
        (config / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    roster_file = config / "roster.yaml"
    roster_file.write_text(roster_file.read_text(encoding="utf-8").replace("start_week: 2026-W48",
                                                                             "start_week: 2026-W49"), encoding="utf-8")
    app = create_app(app_config(database_url, clock, CONFIG_DIR=str(config)))
    admin = Console(app)
    clock.set("2026-11-25T12:00")  # week 48 has nobody until Monday 30 November 08:00
    assert admin.sign_in().status_code == 302
    page = admin.get("/admin/oncall").get_data(as_text=True)
    assert '<li class="gap"><strong>Ingen i beredskap</strong> 2026-11-25 12:00 – 2026-11-30 08:00' in page
    assert admin.post("/admin/oncall", who="anna", end="2026-11-26T08:00").status_code == 303
    page = admin.get("/admin/oncall").get_data(as_text=True)
    assert "2026-11-25 12:00 – 2026-11-26 08:00" not in page
    assert '<li class="gap"><strong>Ingen i beredskap</strong> 2026-11-26 08:00 – 2026-11-30 08:00' in page
    app.extensions["ivr.store"].dispose()
