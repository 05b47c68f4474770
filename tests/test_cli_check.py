"""`ivr check`: the whole line validates; a broken file exits 1 naming file and path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG
from ivr.cli import main


def test_check_lists_the_nine_systems_and_exits_0() -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    systems = [line for line in result.output.splitlines() if line[:1].isdigit()]  # each system's steps follow it
    assert systems[0].startswith("1  Viva ")
    assert systems[8].startswith("9  Alfa e-Care ")
    assert result.output.splitlines()[-1] == "OK: 9 systems, 4 people in the on-call roster."


def test_check_names_file_and_path_of_a_broken_checklist(tmp_path: Path) -> None:
    checklists = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS, checklists)
    path = checklists / "viva.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("fact: network_ok", "fact: netwrk"), "utf-8")
    result = CliRunner().invoke(main, ["check", "--checklists", str(checklists)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: checklists/viva.yaml: steps[2].fact: unknown fact 'netwrk' "
        "(known: multiple_users, network_ok, login_ok, supplier_outage, nobody_can_browse, key_works)",
        "1 problem(s) found.",
    ]


def test_check_reports_problems_in_several_files_at_once(tmp_path: Path) -> None:
    checklists = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS, checklists)
    (checklists / "npo.yaml").write_text("id: npo\n", encoding="utf-8")
    (checklists / "pascal.yaml").write_text("- not a mapping\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--checklists", str(checklists)])
    assert result.exit_code == 1
    assert "error: checklists/pascal.yaml: must be a mapping, not a list" in result.output
    assert "error: checklists/npo.yaml: missing key 'steps'" in result.output


def test_check_refuses_a_step_too_long_or_too_costly_for_one_sms(tmp_path: Path) -> None:
    checklists = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS, checklists)
    path = checklists / "viva.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("Fungerar Viva nu?", "Fungerar Viva nu? " + "Kontrollera noga. " * 3, 1)
    text = text.replace("Does Viva work now?", "Does Viva work now – really?", 1)
    path.write_text(text, "utf-8")
    result = CliRunner().invoke(main, ["check", "--checklists", str(checklists)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: sv: checklists/viva.yaml steps[0]: SMS is 200 characters; one message holds 160",
        "error: en: checklists/viva.yaml steps[0]: SMS has characters outside GSM-7 (–), which doubles its cost",
        "2 problem(s) found.",
    ]


def test_check_and_start_up_refuse_the_same_typographic_text(tmp_path: Path) -> None:
    from ivr import create_app
    from ivr.config import ConfigError
    from tests.conftest import FrozenClock, app_config, local

    checklists = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS, checklists)
    path = checklists / "viva.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Fungerar Viva nu?", "Fungerar ’Viva’ nu?", 1), "utf-8")
    result = CliRunner().invoke(main, ["check", "--checklists", str(checklists)])
    assert result.exit_code == 1
    assert "error: sv: checklists/viva.yaml steps[0]: SMS has characters outside GSM-7 (’)" in result.output
    clock = FrozenClock(local("2026-11-25T10:00"))
    config = app_config(f"sqlite:///{tmp_path / 'line.sqlite3'}", clock, CHECKLISTS_DIR=str(checklists))
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    assert str(refused.value) == result.output.rstrip("\n")


def test_check_refuses_a_manager_sms_or_notice_wording_too_long_for_one_sms(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    path = config / "messages.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("{system}, alla steg gjorda.", "{system}, alla steg i checklistan gjorda.", 1)
    longer = '"Driftinformation från kommunens IT-enhet gällande {system}: {text}"'
    text = text.replace('"Driftinfo {system}: {text}"', longer, 1)
    path.write_text(text, "utf-8")
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 1
    assert ("error: sv: config/messages.yaml whisper.sms (checklists/alfa_ecare.yaml): SMS is 174 characters; "
            "one message holds 160") in result.output.splitlines()
    assert ("error: config/messages.yaml sms.notice: leaves 95 characters for an announcement about Trygghetslarm "
            "(checklists/trygghetslarm.yaml name); at least 100 must fit") in result.output.splitlines()


def test_check_refuses_an_unknown_rule_when_no_step_allows_vet_inte(tmp_path: Path) -> None:
    checklists = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS, checklists)
    path = checklists / "viva_omsorg.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("    unknown: next\n") == 1
    path.write_text(text.replace("    unknown: next\n", ""), "utf-8")  # step 1 no longer takes "vet inte"
    result = CliRunner().invoke(main, ["check", "--checklists", str(checklists)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: checklists/viva_omsorg.yaml: rules[1].when.multiple_users: fact 'multiple_users' is never unknown: "
        "no step asking it has 'unknown:' (vet inte)",
        "1 problem(s) found.",
    ]


def test_check_lists_each_checklists_phone_screen_long_and_colleague_steps() -> None:
    """Issue 23: which steps offer 8 and no 5 (phone), and which offer 5 again (long, colleague), at a glance."""
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    alfa = lines.index(next(line for line in lines if line.startswith("9  Alfa e-Care")))
    assert lines[alfa + 1:alfa + 4] == [
        "     phone:     2 close_apps, 3 restart_phone, 6 alfa_status, 8 login",
        "     screen:    1 phone_network",
        "     colleague: 4 other_phone, 5 multiple_users, 7 anyone_browses",
    ]
