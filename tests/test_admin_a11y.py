"""Accessibility basics of every console page (WCAG 2.1 AA): labels, heading order, language, viewport, focus
and the contrast of the stylesheet's and the charts' colours, computed from their values.

The narrow-screen check (no sideways scroll at 375 px) runs in a real browser: tests/test_admin_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from itertools import product
from pathlib import Path

import pytest
from flask import Flask

import ivr.admin
from ivr.reports.svg import PALETTE
from tests.test_admin import Console

CSS = Path(ivr.admin.__file__).parent / "static" / "admin.css"
SIGNED_IN_PAGES = ("/admin/", "/admin/driftinfo", "/admin/calls", "/admin/incidenter", "/admin/historik",
                   "/admin/inloggade", "/admin/oncall", "/admin/report", "/admin/checklists",
                   "/admin/checklists?lang=en", "/admin/tillganglighet")


class Page(HTMLParser):
    """What a screen reader relies on: the page's language, viewport, headings, fields and their labels."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.viewport: str | None = None
        self.headings: list[int] = []
        self.fields: list[tuple[str, str | None, bool]] = []  # (tag, id, has aria-label)
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "meta" and found.get("name") == "viewport":
            self.viewport = found.get("content")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        elif tag in ("select", "textarea") or (tag == "input" and found.get("type") not in ("hidden", "submit")):
            self.fields.append((tag, found.get("id"), bool(found.get("aria-label"))))


def checked(html: str, path: str) -> Page:
    page = Page()
    page.feed(html)
    assert page.lang == "sv", path
    assert page.viewport is not None and "width=device-width" in page.viewport, path
    assert page.headings and page.headings[0] == 1 and page.headings.count(1) == 1, (path, page.headings)
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"{path}: h{before} followed by h{after}"
    for tag, field_id, aria in page.fields:
        assert aria or (field_id is not None and field_id in page.labelled), f"{path}: <{tag} id={field_id}> unlabelled"
    return page


def test_every_page_has_labels_headings_in_order_its_language_and_a_viewport(app: Flask) -> None:
    visitor = Console(app)
    checked(visitor.get("/admin/logga-in").get_data(as_text=True), "sign-in")
    admin = Console(app)
    admin.sign_in()
    fields = 0
    for path in SIGNED_IN_PAGES:
        response = admin.get(path)
        assert response.status_code == 200, path
        fields += len(checked(response.get_data(as_text=True), path).fields)
    assert fields >= 10  # the checks saw the forms
    admin.get("/admin/driftinfo")
    preview = admin.post("/admin/driftinfo", system="viva", text="Viva ligger nere.", action="preview")
    checked(preview.get_data(as_text=True), "preview")
    bad = admin.post("/admin/oncall", who="nobody")
    assert bad.status_code == 400
    checked(bad.get_data(as_text=True), "swap refused")
    forged = admin.post("/admin/oncall", token="forged", who="bengt")
    assert forged.status_code == 400
    checked(forged.get_data(as_text=True), "the console's error page")


def rules() -> dict[str, dict[str, str]]:
    """selector -> its declarations, from the stylesheet (comments dropped; later rules add to earlier ones)."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S)
    found: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", text):
        declarations = dict((name.strip(), value.strip()) for name, _, value in
                            (part.partition(":") for part in body.split(";") if ":" in part))
        for selector in selectors.split(","):
            found.setdefault(selector.strip(), {}).update(declarations)
    return found


def colour(value: str) -> str | None:
    """The first hex colour in a declaration (#abc or #aabbcc), as #aabbcc."""
    found = re.search(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", value)
    if found is None:
        return None
    digits = found.group(1)
    return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits).lower()


def contrast(one: str, other: str) -> float:
    """WCAG 2.1's contrast ratio of two sRGB colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_helper_matches_known_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the well-known AA grey


def test_every_colour_pair_of_the_stylesheet_has_contrast_4_5_to_1() -> None:
    css = rules()
    text, page = colour(css["body"]["color"]), colour(css["body"]["background"])
    assert text is not None and page is not None
    pairs = []
    for selector, declarations in css.items():
        fg = colour(declarations.get("color", ""))
        bg = colour(declarations.get("background", declarations.get("background-color", "")))
        if fg or bg:
            pairs.append((selector, fg or text, bg or page))
    # Text that may sit on a tinted box (a link or a hint in a notice, an error in a warning, a gap's text).
    tinted = {selector: bg for selector, _, bg in pairs if bg != page and "button" not in selector}
    texts = {"body": text} | {selector: fg for selector, fg, bg in pairs if bg == page}
    for (box, bg), (selector, fg) in product(tinted.items(), texts.items()):
        pairs.append((f"{selector} in {box}", fg, bg))
    assert len(pairs) >= 15
    low = [(selector, fg, bg, round(contrast(fg, bg), 2)) for selector, fg, bg in pairs if contrast(fg, bg) < 4.5]
    assert low == []


def test_focus_is_visible_and_controls_stand_out() -> None:
    css = rules()
    focus = css[":focus-visible"]["outline"]
    width = re.match(r"(\d+)px", focus)
    assert width is not None and int(width.group(1)) >= 2
    ring = colour(focus)
    assert ring is not None
    backgrounds = {colour(d.get("background", "")) for s, d in css.items() if "button" not in s} - {None}
    for bg in backgrounds:  # WCAG 1.4.11: a focus ring and a field's border are read against what is around them
        assert contrast(ring, str(bg)) >= 3, (ring, bg)
    border = colour(css["input"]["border"])
    assert border is not None and contrast(border, "#ffffff") >= 3


def test_the_charts_bars_carry_their_white_numbers() -> None:
    for bar in PALETTE:
        assert contrast("#ffffff", bar) >= 4.5, bar  # the number written inside a bar (and so >= 3:1 on the page)
