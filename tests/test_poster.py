"""`ivr print --poster`: one A4 page with the number, every system's key and the SMS words."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.line import load_line
from ivr.cli import main

XHTML = "{http://www.w3.org/1999/xhtml}"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def poster(*args: str) -> str:
    result = CliRunner().invoke(main, ["print", "--poster", *args])
    assert result.exit_code == 0, result.output
    return result.output


def text_of(element: ET.Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def test_the_poster_carries_the_number_every_key_and_the_sms_words() -> None:
    root = ET.fromstring(poster("--number", "0141-22 50 99"))  # polyglot XHTML: the parse proves it well-formed
    body = text_of(root)
    assert "0141-22 50 99" in body
    rows = {tr.get("id"): text_of(tr) for tr in root.iter(f"{XHTML}tr")}
    expected = {f"key-{c.key}": f"{c.key} {c.name['sv']}" for c in load_line().library.checklists}
    assert len(expected) == 9
    for row_id, start in expected.items():
        assert rows[row_id].startswith(start), (row_id, rows.get(row_id))
    for word in ("MENY", "HJÄLP", "STOPP", "RING", "JA", "NEJ"):
        assert re.search(rf"\b{word}\b", body), word
    assert "IT-supporten: 0141-22 50 47" in body


def test_the_number_defaults_to_the_configured_line_number() -> None:
    assert "0141-22 50 00" in text_of(ET.fromstring(poster()))


def test_a_renamed_system_is_on_the_poster(tmp_path: Path) -> None:
    from flows.line import DEFAULT_CHECKLISTS

    checklists = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS, checklists)
    viva = checklists / "viva.yaml"
    viva.write_text(viva.read_text("utf-8").replace("sv: Viva\n", "sv: Viva Journal\n", 1), "utf-8")
    root = ET.fromstring(poster("--checklists", str(checklists)))
    rows = {tr.get("id"): text_of(tr) for tr in root.iter(f"{XHTML}tr")}
    assert rows["key-1"].startswith("1 Viva Journal"), rows["key-1"]


def browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.mark.skipif(browser() is None, reason="no Chromium or Chrome on PATH to print the poster to PDF "
                    "(.ci/run installs chromium)")
def test_the_poster_prints_on_one_a4_page(tmp_path: Path) -> None:
    page = tmp_path / "poster.html"
    pdf = tmp_path / "poster.pdf"
    page.write_text(poster(), "utf-8")
    printed = subprocess.run(
        [str(browser()), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert pdf.exists(), printed.stderr
    data = pdf.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert box is not None
    assert (round(float(box.group(1))), round(float(box.group(2)))) == (595, 842)  # A4 in points
