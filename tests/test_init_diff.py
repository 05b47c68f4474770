"""`ivr init --diff DIR`: what this version's shipped config changes against the municipality's folder, read-only."""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import ivr.cli.init as init_module
from ivr.cli import main

VERSION = metadata.version("felsokningslinjen")
SHIPPED = f"felsokningslinjen {VERSION}"


def ivr(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def municipality(tmp_path: Path) -> Path:
    """The folder `ivr init` wrote, as /etc/felsokningslinjen would be."""
    folder = tmp_path / "kommun"
    assert ivr("init", str(folder)).exit_code == 0
    return folder


def test_a_folder_as_init_wrote_it_is_the_same(municipality: Path) -> None:
    result = ivr("init", "--diff", str(municipality))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"{municipality} holds {SHIPPED}'s shipped files unchanged\n"


def test_the_comment_an_older_version_wrote_first_is_no_change(municipality: Path) -> None:
    roster = municipality / "config" / "roster.yaml"
    text = roster.read_text("utf-8")
    old = text.replace(f"written by `ivr init` from felsokningslinjen {VERSION}.",
                       "written by `ivr init` from felsokningslinjen 0.0.9.", 1)
    assert old != text
    roster.write_text(old, "utf-8")
    assert ivr("init", "--diff", str(municipality)).exit_code == 0


def test_edits_missing_files_and_own_files_are_shown_and_nothing_is_written(municipality: Path) -> None:
    line = municipality / "config" / "line.yaml"
    text = line.read_text("utf-8")
    shipped_number = next(row for row in text.splitlines() if row.startswith("line_number:"))
    line.write_text(text.replace(shipped_number, 'line_number: "+46141999999"'), "utf-8")
    (municipality / "checklists" / "viva.yaml").unlink()
    (municipality / "checklists" / "lokalt_system.yaml").write_text("id: lokalt\n", "utf-8")
    before = snapshot(municipality)

    result = ivr("init", "--diff", str(municipality))

    assert result.exit_code == 1, result.output
    assert snapshot(municipality) == before
    out = result.stdout
    assert (f"--- {line}\n+++ {SHIPPED}: config/line.yaml\n") in out
    assert f'\n-line_number: "+46141999999"\n+{shipped_number}\n' in out
    assert f"--- /dev/null\n+++ {SHIPPED}: checklists/viva.yaml\n@@ -0,0 +1," in out
    assert "\n+id: viva\n" in out
    assert f"Only in {municipality / 'checklists'}: lokalt_system.yaml\n" in out
    assert result.stderr.startswith(f"{SHIPPED} against {municipality}: 1 changed, 1 new, 1 only in")
    assert "Nothing was written" in result.stderr


def test_a_new_versions_shipped_changes_are_shown(municipality: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The next version's package data: one setting added to a shipped file, one new file.
    shipped = tmp_path / "next-version"
    shutil.copytree(init_module.SHIPPED_CONFIG, shipped / "config")
    shutil.copytree(init_module.SHIPPED_CHECKLISTS, shipped / "checklists")
    hours = shipped / "config" / "office_hours.yaml"
    hours.write_text(hours.read_text("utf-8") + "# A setting the next version brings.\nnew_setting: 5\n", "utf-8")
    (shipped / "checklists" / "nytt_system.yaml").write_text("id: nytt\n", "utf-8")
    monkeypatch.setattr(init_module, "SHIPPED_CONFIG", shipped / "config")
    monkeypatch.setattr(init_module, "SHIPPED_CHECKLISTS", shipped / "checklists")

    result = ivr("init", "--diff", str(municipality))

    assert result.exit_code == 1, result.output
    assert f"+++ {SHIPPED}: config/office_hours.yaml\n" in result.stdout
    assert "+# A setting the next version brings.\n+new_setting: 5\n" in result.stdout
    assert f"--- /dev/null\n+++ {SHIPPED}: checklists/nytt_system.yaml\n@@ -0,0 +1 @@\n+id: nytt\n" in result.stdout
    assert "1 changed, 1 new, 0 only in" in result.stderr


def test_a_last_line_without_newline_is_marked(municipality: Path) -> None:
    messages = municipality / "config" / "messages.yaml"
    messages.write_text(messages.read_text("utf-8").rstrip("\n"), "utf-8")
    result = ivr("init", "--diff", str(municipality))
    assert result.exit_code == 1
    assert "\n\\ No newline at end of file\n" in result.stdout


def test_a_folder_that_is_not_one_init_wrote_is_trouble(tmp_path: Path) -> None:
    result = ivr("init", "--diff", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'nowhere'}: no config/ or checklists/ folder in it" in result.stderr
    assert not (tmp_path / "nowhere").exists()
    result = ivr("init", "--diff", "--force", str(tmp_path))
    assert result.exit_code == 2
    assert "--diff writes nothing: it does not go with --force" in result.output
