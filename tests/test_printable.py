"""`ivr print`: the printable checklist page, from the same YAML the line speaks."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.line import load_line
from ivr.cli.printable import print_checklists
from ivr.reports.printable import render_html

LINE = load_line()
XHTML = "{http://www.w3.org/1999/xhtml}"
VOID = {"meta", "col", "br", "img", "link", "input", "hr"}


def invoke(*args: str) -> str:
    result = CliRunner().invoke(print_checklists, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def parse(page: str) -> ET.Element:
    """The page as XML: it is written as polyglot XHTML so that this parse proves it well-formed."""
    return ET.fromstring(page)


def text_of(element: ET.Element) -> str:
    """All text inside an element, whitespace collapsed."""
    return " ".join("".join(element.itertext()).split())


def rows(root: ET.Element) -> dict[str, ET.Element]:
    """The table's system rows by checklist id."""
    return {tr.get("id", ""): tr for tr in root.iter(f"{XHTML}tr") if tr.get("id")}


class TagBalance(HTMLParser):
    """Checks with the browser-style parser too: every opened tag closed, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.problems.append(f"<{tag} /> is not a void element at {self.getpos()}")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unexpected </{tag}> at {self.getpos()}")


def test_every_system_key_and_swedish_step_is_on_the_page() -> None:
    page = invoke("--number", "0141-22 50 00")
    root = parse(page)
    assert root.get("lang") == "sv"
    by_id = rows(root)
    assert list(by_id) == [checklist.id for checklist in LINE.library.checklists]
    for checklist in LINE.library.checklists:
        row = text_of(by_id[checklist.id])
        assert checklist.name["sv"] in row and f"Tryck {checklist.key}" in row
        assert checklist.description["sv"] in row
        items = [text_of(li) for li in by_id[checklist.id].iter(f"{XHTML}li") if li.find(f"{XHTML}span") is not None]
        assert len(items) == len(checklist.steps)
        for item, step in zip(items, checklist.steps, strict=True):
            assert item.startswith(f"{step.say['sv']} {step.ask['sv']}")


def test_header_gives_the_number_it_support_and_the_portal() -> None:
    root = parse(invoke("--number", "+46141225000"))
    assert text_of(root.find(f"{XHTML}body/{XHTML}h1")) == "Felsökningslinjen 0141-22 50 00"  # type: ignore[arg-type]
    body = text_of(root)
    assert "Ring 0141-22 50 00." in body and "IT-supporten: 0141-22 50 47" in body
    links = [a.get("href") for a in root.iter(f"{XHTML}a")]
    assert links == ["https://itportal.example.se"]


def test_without_a_number_the_title_is_the_line_name_alone() -> None:
    root = parse(render_html(LINE, "sv", None))
    assert text_of(root.find(f"{XHTML}body/{XHTML}h1")) == "Felsökningslinjen"  # type: ignore[arg-type]
    assert "Ring " not in text_of(root)


def test_line_number_comes_from_line_yaml() -> None:
    assert LINE.settings.line_number == "+46141225000"
    assert "0141-22 50 00" in invoke()


def test_routing_is_summarised_in_words() -> None:
    by_id = rows(parse(render_html(LINE, "sv")))
    npo = [text_of(li) for li in by_id["npo"].iter(f"{XHTML}li") if li.find(f"{XHTML}span") is None]
    assert npo == [
        "Dygnet runt: Inera åtgärdar felet om inera.se visar driftstörning",
        "Kontorstid: IT-supporten 0141-22 50 47",
        "Efter kontorstid: Chef i beredskap om ingen personal kommer ut på internet, "
        "IT-supporten när den öppnar om nätet inte fungerar och du inte vet om någon kommer ut på internet, "
        "annars IT-supporten när den öppnar",
    ]
    viva = text_of(by_id["viva"])
    assert "Kontorstid: Viva-supporten" in viva
    assert "Efter kontorstid: Chef i beredskap när alla steg är gjorda" in viva
    time_care = text_of(by_id["time_care"])
    assert "Chef i beredskap om nätet inte fungerar eller inloggningen inte fungerar" in time_care
    assert "Felet ligger i Time Care eller Pool." in time_care  # the rule's own sentence
    # Two on-call rules, one with two facts: "eller om" keeps the second condition whole.
    assert ("Chef i beredskap om ingen personal kommer ut på internet, eller om flera användare har samma "
            "problem och inloggningen inte fungerar, IT-supporten") in text_of(by_id["alfa_ecare"])
    # "Vet inte" reads as not knowing, never as its negation.
    assert ("IT-supporten när den öppnar om nätet inte fungerar och du inte vet om någon kommer ut på internet, "
            "eller om du inte vet om fler har problemet och inloggningen inte fungerar, annars") in text_of(
        by_id["alfa_ecare"])


def test_steps_say_what_yes_does_when_it_ends_the_checklist() -> None:
    by_id = rows(parse(render_html(LINE, "sv")))
    first, *_ = [text_of(li) for li in by_id["viva"].iter(f"{XHTML}li")]
    assert first.endswith("Fungerar Viva nu? Ja: klart, problemet är löst.")
    assert "Vet inte" not in first  # restarting is done or not: no "vet inte" there
    inera = [text_of(li) for li in by_id["npo"].iter(f"{XHTML}li")][2]
    assert inera.endswith("Ja: gå direkt till Vem kontaktar jag? Vet inte: gå vidare till nästa steg.")


def test_page_is_well_formed_for_both_parsers_and_self_contained() -> None:
    page = render_html(LINE, "sv", "0141-22 50 00")
    parse(page)
    checker = TagBalance()
    checker.feed(page)
    checker.close()
    assert checker.problems == [] and checker.stack == []
    for tag in ("<script", "<link", "<img", "@import", "url("):
        assert tag not in page
    assert "size: A4" in page and "break-inside: avoid" in page and "page-break-inside: avoid" in page


def test_text_from_the_yaml_is_escaped() -> None:
    viva = LINE.library.checklists[0]
    step = dataclasses.replace(viva.steps[0], say={"sv": 'Tryck <b>"W"</b> & \'starta om\'', "en": "x"})
    hostile = dataclasses.replace(viva, name={"sv": "<script>alert(1)</script>", "en": "x"},
                                  steps=(step, *viva.steps[1:]))
    library = dataclasses.replace(LINE.library, checklists=(hostile, *LINE.library.checklists[1:]))
    page = render_html(dataclasses.replace(LINE, library=library), "sv")
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page
    row = rows(parse(page))["viva"]
    assert "<script>alert(1)</script>" in text_of(row)
    assert 'Tryck <b>"W"</b> & \'starta om\'' in text_of(row)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_each_language_uses_its_own_texts(lang: str) -> None:
    root = parse(invoke("--lang", lang))
    assert root.get("lang") == lang
    body = text_of(root)
    for checklist in LINE.library.checklists:
        assert checklist.name[lang] in body
        for step in checklist.steps:
            assert step.ask[lang] in body
    if lang == "en":
        assert "Press 1" in body and "Whom do I contact?" in body and "Tryck" not in body
        assert "After hours: The on-call manager if no staff can reach the internet" in body


def test_out_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "checklistor.html"
    result = CliRunner().invoke(print_checklists, ["--out", str(out)])
    assert result.exit_code == 0, result.output
    assert text_of(parse(out.read_text(encoding="utf-8"))).startswith("Felsökningslinjen")
