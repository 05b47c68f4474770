"""`ivr check --production`: the shipped placeholders pass `ivr check` but not the check before going live."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG
from ivr.cli import main


def live_config(tmp_path: Path) -> Path:
    """The shipped config with every placeholder replaced by a value that could be real."""
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line = (config / "line.yaml").read_text("utf-8")
    line = line.replace("# PLACEHOLDER until the municipality's Twilio number is bought.\n", "")
    line = line.replace("# PLACEHOLDER address: the seed names the IT portal but not its address.\n", "")
    line = line.replace("https://itportal.example.se", "https://itportal.kommun.se")
    line = line.replace('prefixes: ["+4670174"]       # PLACEHOLDER: the municipality\'s work-mobile number series',
                        'prefixes: ["+4670123"]')
    line = line.replace('admins: ["070-174 06 98"]      # PLACEHOLDER: the IT unit\'s duty phone',
                        'admins: ["070-123 45 98"]')
    it_on_call = 'number: "070-174 06 20"      # PLACEHOLDER: IT-beredskapen\'s number (PTS\' range for fiction)'
    line = line.replace(it_on_call, 'number: "0141-22 52 00"')
    line = line.replace('sms: "070-174 06 21"       # PLACEHOLDER: the group\'s mobile (PTS\' range for fiction)',
                        'sms: "070-123 45 21"')
    for index, contact in enumerate(("viva_support", "valfardsteknik", "larmansvarig", "superanvandare")):
        start = line.index(f"  {contact}:")
        end = line.index("number: null", start)
        line = line[:end] + f'number: "0141-22 51 0{index}"' + line[end + len("number: null"):]
    (config / "line.yaml").write_text(line, "utf-8")
    roster = (config / "roster.yaml").read_text("utf-8")
    roster = roster.replace("# PLACEHOLDER names and numbers (PTS' range for fiction): replace before going live.\n",
                            "")
    roster = roster.replace('"070-174 06 1', '"070-123 45 1')
    (config / "roster.yaml").write_text(roster, "utf-8")
    return config


def check(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.output.splitlines()


def test_the_shipped_config_passes_check_but_production_lists_every_placeholder() -> None:
    assert check()[0] == 0
    code, lines = check("--production")
    assert code == 1
    for expected in (
        "error: config/line.yaml: line_number: marked PLACEHOLDER: put in the real value and remove the mark",
        "error: config/line.yaml: it_portal_url: marked PLACEHOLDER: put in the real value and remove the mark",
        "error: config/line.yaml: staff.prefixes: marked PLACEHOLDER: put in the real value and remove the mark",
        "error: config/line.yaml: admins: marked PLACEHOLDER: put in the real value and remove the mark",
        "error: config/roster.yaml: people: marked PLACEHOLDER: put in the real value and remove the mark",
        "error: config/line.yaml: it_portal_url: 'itportal.example.se' is a domain reserved for examples "
        "(RFC 2606); put in the real address",
        "error: config/line.yaml: admins[0]: '070-174 06 98' is in the range PTS reserves for fiction "
        "(070-174 06 05 - 070-174 06 99 (mobile)); put in the real number",
        "error: config/roster.yaml: people.anna.number: '070-174 06 10' is in the range PTS reserves for fiction "
        "(070-174 06 05 - 070-174 06 99 (mobile)); put in the real number",
    ):
        assert expected in lines
    assert lines[-2] == f"{len(lines) - 2} problem(s) found."
    assert lines[-1].startswith("Inte klar för drift: rätta detta och kör `ivr check --production` igen.")
    # The header paragraph that explains the word marks nothing, and neither does the timezone below it.
    assert not any("languages" in line or "timezone" in line for line in lines)


def test_a_config_with_real_values_passes_production(tmp_path: Path) -> None:
    code, lines = check("--production", "--config", str(live_config(tmp_path)))
    assert code == 0, lines
    assert lines[-1].startswith("OK: 9 systems")


def test_a_contact_without_a_number_is_deliberate_and_the_check_says_what_callers_get(tmp_path: Path) -> None:
    config = live_config(tmp_path)
    line_yaml = config / "line.yaml"
    line_yaml.write_text(line_yaml.read_text(encoding="utf-8").replace('"0141-22 51 00"', "null"), encoding="utf-8")
    code, lines = check("--production", "--config", str(config))
    assert code == 0, lines
    assert ("note: config/line.yaml: contacts.viva_support has no number: checklists/viva.yaml rules[0] "
            "(office) offers IT support instead (call: Tryck 1; SMS: its number)") in lines


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("voice: Polly.Astrid", "voice: Polly.Astrd",
     "error: config/line.yaml: voices.sv.voice: 'Polly.Astrd' is not a Polly voice for sv-SE "
     "(one of: Polly.Astrid, Polly.Elin-Neural)"),
    ("voice: Polly.Amy", "voice: Polly.Astrid",
     "error: config/line.yaml: voices.en.voice: 'Polly.Astrid' is not a Polly voice for en-GB "
     "(one of: Polly.Amy, Polly.Amy-Neural, Polly.Brian, Polly.Brian-Neural, Polly.Emma, Polly.Emma-Neural, "
     "Polly.Arthur-Neural)"),
    ('number: "0141-22 50 47"', 'number: "031-390 06 50"',
     "error: config/line.yaml: it_support.number: '031-390 06 50' is in the range PTS reserves for fiction "
     "(031-390 06 00 - 031-390 06 99 (Göteborg)); put in the real number"),
    ("https://itportal.kommun.se", "https://it.example.com",
     "error: config/line.yaml: it_portal_url: 'it.example.com' is a domain reserved for examples "
     "(RFC 2606); put in the real address"),
    ('prefixes: ["+4670123"]', 'prefixes: ["+4670999"]',
     "error: config/line.yaml: staff.prefixes[0]: '+4670999' matches no number in config/roster.yaml"),
    ("dial_timeout_seconds: 25", "dial_timeout_seconds: 25  # PLACEHOLDER: ask the operator",
     "error: config/line.yaml: voice_line.dial_timeout_seconds: marked PLACEHOLDER: put in the real value and "
     "remove the mark"),
])
def test_each_kind_of_unreal_value_is_named_by_file_and_field(tmp_path: Path, old: str, new: str,
                                                              problem: str) -> None:
    config = live_config(tmp_path)
    path = config / "line.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    assert check("--config", str(config))[0] == 0  # nothing the ordinary check refuses
    code, lines = check("--production", "--config", str(config))
    assert code == 1
    assert lines[:-2] == [problem]


def test_a_placeholder_in_a_checklist_text_is_found(tmp_path: Path) -> None:
    checklists = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS, checklists)
    path = checklists / "viva.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("Fungerar Viva nu?", "Fungerar Viva nu? PLACEHOLDER", 1), "utf-8")
    code, lines = check("--production", "--config", str(live_config(tmp_path)), "--checklists", str(checklists))
    assert code == 1
    assert len(lines) == 3 and lines[0].startswith("error: checklists/viva.yaml: steps[")
    assert lines[0].endswith("marked PLACEHOLDER: put in the real value and remove the mark")
