"""Workplaces (issue 19 part 6): staff.directory names callers' workplaces; incidents count them.

Through the signed webhooks: a caller from another workplace gives the manager one SMS (not a call), and
`IT` from the manager needs no confirmation once two workplaces are known. `ivr check` reads the CSV.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from flows.directory import load_directory
from flows.line import DEFAULT_CONFIG
from flows.yamlfile import DataError
from ivr.cli.main import main
from tests.conftest import FrozenClock, Twilio
from tests.test_incidents import ANNA, VIVA_ON_CALL, call, incidents, manager_took_a_viva_call, sent, text

EXAMPLE = DEFAULT_CONFIG / "directory.example.csv"
NORR, SOLGARDEN = "Hemtjänst Norr", "Solgårdens äldreboende"


@pytest.fixture
def with_directory(app: Flask) -> Flask:
    """The app with the shipped example directory, as `staff.directory: directory.example.csv` would give it."""
    line = app.extensions["ivr.line"]
    app.extensions["ivr.line"] = replace(line, settings=replace(line.settings,
                                                                staff_directory=load_directory(EXAMPLE)))
    return app


def test_a_caller_from_another_workplace_gives_the_manager_one_sms(
        with_directory: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    app = with_directory
    manager_took_a_viva_call(app, twilio, clock)  # 22:00, +46701740601 of Hemtjänst Norr: Anna pressed 1
    clock.set("2026-11-25T22:20")  # a colleague at the same workplace, the same answers: nothing new
    body = call(twilio, "CA" + "3" * 32, "+46701740602", "1", "1", *VIVA_ON_CALL[1:])
    assert "<Dial" not in body.decode()
    assert [m for m in sent(app) if m["to"] == ANNA] == []
    clock.set("2026-11-25T22:30")  # the same answers from another workplace: one SMS, no call
    body = call(twilio, "CA" + "4" * 32, "+46701740603", "1", "1", *VIVA_ON_CALL[1:])
    assert "<Dial" not in body.decode()
    assert [m["body"] for m in sent(app) if m["to"] == ANNA] == [
        "Felsökningslinjen 22.30: Viva, alla steg gjorda. Ja: flera berörs, nätet ok. Ring 070-174 06 03"]
    [found] = incidents(app).live_ones(clock(), timedelta(hours=2))
    assert (found.callers, found.workplaces) == (3, (NORR, SOLGARDEN))
    clock.set("2026-11-25T22:40")  # a second caller from Solgården: known already, no second SMS
    call(twilio, "CA" + "5" * 32, "+46701740604", "1", "1", *VIVA_ON_CALL[1:])
    assert len([m for m in sent(app) if m["to"] == ANNA]) == 1


def test_it_needs_no_confirmation_once_two_workplaces_are_known(
        with_directory: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    app = with_directory
    manager_took_a_viva_call(app, twilio, clock)  # one caller, one workplace
    assert text(twilio, ANNA, "IT", "SM" + "1" * 32)[0].startswith("Viva: bara 1 samtal om felet.")
    clock.set("2026-11-25T22:30")  # past the ten minutes a confirmation holds
    call(twilio, "CA" + "4" * 32, "+46701740603", "1", "1", *VIVA_ON_CALL[1:])  # Solgården
    assert incidents(app).live_ones(clock(), timedelta(hours=2))[0].workplaces == (NORR, SOLGARDEN)
    assert text(twilio, ANNA, "IT", "SM" + "2" * 32) == [
        "Jag ringer dig nu om Viva (2 samtal). Tryck 1 i samtalet så kopplar jag dig till IT-beredskapen."]
    assert [m["to"] for m in sent(app, "call")] == [ANNA]


def test_without_a_directory_no_workplace_is_kept(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    manager_took_a_viva_call(app, twilio, clock)
    clock.set("2026-11-25T22:30")
    call(twilio, "CA" + "4" * 32, "+46701740603", "1", "1", *VIVA_ON_CALL[1:])
    assert incidents(app).live_ones(clock(), timedelta(hours=2))[0].workplaces == ()


def test_the_directory_reads_any_swedish_way_of_writing_a_number_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text("\ufeffNummer;Number;Workplace\nx;070-174 06 01;Hemtjänst Norr\n\ny;+46 70 174 06 02;Linden\n",
                    encoding="utf-8")
    directory = load_directory(path)
    assert (len(directory), directory.workplace_of("+46701740601"), directory.workplace_of("+46701740602"),
            directory.workplace_of("+46701740699"), directory.workplace_of(None)) == (2, NORR, "Linden", None, None)
    assert "Hemtjänst" not in repr(directory)  # personal data stays out of logs and tracebacks


def check(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    return result.exit_code, result.output


def configured(tmp_path: Path, csv: str | None, name: str = "directory.csv") -> Path:
    """A copy of the shipped config with `staff.directory` set (and the CSV written, unless None)."""
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line = config / "line.yaml"
    line.write_text(line.read_text(encoding="utf-8").replace("  # directory: directory.csv",
                                                             f"  directory: {name}"), encoding="utf-8")
    if csv is not None:
        (config / name).write_text(csv, encoding="utf-8")
    return config


def test_ivr_check_counts_the_directory_and_names_file_line_and_field_of_a_bad_row(tmp_path: Path) -> None:
    code, output = check(configured(tmp_path / "good", EXAMPLE.read_text(encoding="utf-8")))
    assert code == 0, output
    assert output.splitlines()[-1] == ("OK: 9 systems, 4 people in the on-call roster, 5 numbers in the staff "
                                       "directory (config/directory.csv).")
    code, output = check(configured(tmp_path / "bad", "number,workplace\n070-174 06 01,Norr\n12,Söder\n"
                                                      "070-174 06 03,\n070-174 06 01,Väster\n"))
    assert code == 1
    assert "config/directory.csv: line 3: number: '12' is not a phone number" in output
    assert "config/directory.csv: line 4: workplace: empty" in output
    assert ("config/directory.csv: line 5: number: 070-174 06 01 is listed at line 2 with another workplace "
            "(Norr)") in output
    code, output = check(configured(tmp_path / "missing", None))
    assert code == 1 and "config/directory.csv: file not found" in output
    code, output = check(configured(tmp_path / "columns", "telefon,enhet\n070-174 06 01,Norr\n"))
    assert code == 1 and "config/directory.csv: line 1: missing column number, workplace" in output


def test_a_bad_directory_name_is_a_problem_of_line_yaml(tmp_path: Path) -> None:
    config = configured(tmp_path, None, name='""')
    code, output = check(config)
    assert code == 1 and "line.yaml: staff.directory: must be the name of a CSV file" in output


def test_the_shipped_line_sets_no_directory() -> None:
    from flows.line import load_line

    assert load_line().settings.staff_directory is None
    with pytest.raises(DataError):
        load_directory(DEFAULT_CONFIG / "directory.csv")
