"""Checklist files: the shipped ones load; each broken one fails with its exact error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.checklists import load_checklist, load_library
from flows.line import DEFAULT_CHECKLISTS, load_line
from flows.model import Step
from flows.yamlfile import DataError

BROKEN = Path(__file__).parent / "broken_checklists"
SEED_ORDER = [
    "viva", "viva_omsorg", "time_care", "npo", "pascal", "cosmic_link", "swedlock",
    "trygghetslarm", "alfa_ecare",
]


def expected_errors(path: Path) -> list[str]:
    """The `# expect: ...` lines at the top of a broken checklist file."""
    return [
        line.removeprefix("# expect: ")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


def test_shipped_line_loads_nine_systems_in_seed_order() -> None:
    line = load_line()
    assert [c.id for c in line.library.checklists] == SEED_ORDER
    assert [c.key for c in line.library.checklists] == list(range(1, 10))


@pytest.mark.parametrize("path", sorted(DEFAULT_CHECKLISTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_checklist_validates(path: Path) -> None:
    checklist = load_checklist(path)
    assert checklist.id == path.stem
    for step in checklist.steps:
        assert step.say["sv"] and step.ask["sv"] and step.say["en"] and step.ask["en"]


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_broken_checklist_fails_with_its_exact_error(path: Path) -> None:
    expected = expected_errors(path)
    assert expected, f"{path.name} has no '# expect:' line"
    with pytest.raises(DataError) as caught:
        load_checklist(path)
    assert sorted(caught.value.problems) == sorted(expected)


def test_duplicate_menu_key_names_both_files(tmp_path: Path) -> None:
    for name in ("viva", "npo"):
        text = (DEFAULT_CHECKLISTS / "viva.yaml").read_text(encoding="utf-8")
        (tmp_path / f"{name}.yaml").write_text(text.replace("id: viva", f"id: {name}"), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_library(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path.name}/viva.yaml: key: menu key 1 is already used by {tmp_path.name}/npo.yaml"
    ]


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no checklist files"):
        load_library(tmp_path)


def test_unknown_contact_is_named_across_files(tmp_path: Path) -> None:
    text = (DEFAULT_CHECKLISTS / "viva.yaml").read_text(encoding="utf-8")
    checklists = tmp_path / "checklists"
    checklists.mkdir()
    (checklists / "viva.yaml").write_text(text.replace("viva_support", "viva_suport"), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_line(checklists)
    assert caught.value.problems == [
        "checklists/viva.yaml: rules[0].contact: unknown contact 'viva_suport' "
        "(config/line.yaml contacts: viva_support, valfardsteknik, larmansvarig, superanvandare)"
    ]


# --- what each step needs besides the call (issue 13) ----------------------------------------


def steps_saying(words: str) -> list[tuple[str, Step]]:
    """(checklist id, step) for every step whose Swedish instruction contains these words."""
    return [(checklist.id, step) for checklist in load_library(DEFAULT_CHECKLISTS).checklists
            for step in checklist.steps if words in step.say["sv"]]


@pytest.mark.parametrize(("words", "need"), [
    ("Fråga en kollega", "other_person"),  # a colleague: every such step
    ("starta om datorn", "long"),  # a computer restart takes longer than the gather timeout
    ("starta om telefonen", "phone"),  # the phone the carer is calling from
    ("Stäng alla öppna appar", "phone"),  # includes the call itself
    ("logga in igen", "phone"),  # in the app on the phone she may be calling from
    ("på en annan telefon", "other_person"),
])
def test_steps_say_what_they_need(words: str, need: str) -> None:
    found = steps_saying(words) + steps_saying(words.capitalize())
    assert found, f"no step says {words!r}"
    for checklist_id, step in found:
        assert need in step.needs, f"{checklist_id}.{step.id} should need {need}"


def test_only_steps_on_the_callers_own_phone_need_the_phone() -> None:
    phone_steps = {(c.id, s.id) for c in load_library(DEFAULT_CHECKLISTS).checklists for s in c.steps
                   if "phone" in s.needs}
    assert phone_steps == {("viva_omsorg", "restart_phone"), ("alfa_ecare", "close_apps"),
                           ("alfa_ecare", "restart_phone"), ("alfa_ecare", "alfa_status"), ("alfa_ecare", "login"),
                           ("trygghetslarm", "login")}


def test_check_names_file_and_field_of_an_unknown_need(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ivr.cli import main

    checklists = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS, checklists)
    path = checklists / "viva_omsorg.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("needs: [phone]", "needs: [mobil]"), "utf-8")
    result = CliRunner().invoke(main, ["check", "--checklists", str(checklists)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: checklists/viva_omsorg.yaml: steps[2].needs[0]: unknown need 'mobil' "
        "(known: phone, screen, other_person, long)",
        "1 problem(s) found.",
    ]
