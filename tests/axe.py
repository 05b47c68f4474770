"""axe-core (npm, pinned in tests/a11y/package.json) run inside a page of the browser tests: WCAG 2.1 A and AA.

`npm install --prefix tests/a11y` puts it in tests/a11y/node_modules (.ci/run does); without it the
tests that use it skip with that reason. The script is injected through WebDriver, which the
console's Content-Security-Policy does not govern; axe itself needs no eval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_source() -> str:
    """The axe-core script, or skip the test saying how to install it."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm install --prefix tests/a11y")
    return AXE.read_text(encoding="utf-8")


def violations(browser: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page the browser shows: "rule (impact): selectors"."""
    # Injected once a page: a page state changed by script (a pressed button, a paused refresh) keeps its
    # axe (the 550 kB script took ~0.07 s of the browser's CPU a check, of ~0.1-0.17 s in all).
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(axe_source())
    found = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(result => done(result.violations.map(v => v.id + ' (' + v.impact + '): ' +"
        " v.nodes.map(n => n.target.join(' ')).join(', '))), error => done(['axe failed: ' + error]));",
        TAGS)
    return list(found)


def assert_accessible(browser: Any, state: str, checked: list[str] | None = None) -> None:
    """No axe violation on this page state (named in the failure); `checked` collects the states seen."""
    found = violations(browser)
    assert found == [], f"{state}: {found}"
    if checked is not None:
        checked.append(state)
