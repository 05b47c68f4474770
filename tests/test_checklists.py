"""Checklist files: the shipped ones load; each broken one fails with its exact error."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.checklists import load_checklist, load_library
from flows.line import DEFAULT_CHECKLISTS, load_line
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
