"""The console's English switch: every console text has its English, the switch keeps the choice and goes back.

The browser side (the switch in Chromium, axe in both languages) is in tests/test_admin_browser.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask

from flows.incidents import STATE_WORDS
from ivr.admin.auth import ROLE_NAMES
from ivr.admin.blueprint import NAV, TITLES
from ivr.admin.history import GROUPS
from ivr.admin.report import QUICK
from ivr.admin.signin import SMS_OFF, TOO_MANY
from ivr.admin.texts import EN
from ivr.admin.words import CHANNELS, MESSAGE_STATES, OUTCOMES
from tests.test_admin import ADMIN, Console
from tests.test_admin_headers import console_routes

ADMIN_DIR = Path(__file__).parent.parent / "ivr" / "admin"
# t("...") or t('...') in a template: the literal's text (Jinja's string escapes are Python's).
TEMPLATE_CALL = re.compile(r"""\bt\((?P<q>["'])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)""", re.S)


@pytest.fixture
def console(app: Flask) -> Console:
    return Console(app)


def template_texts() -> set[str]:
    found = set()
    for path in (ADMIN_DIR / "templates" / "admin").glob("*.html"):
        for match in TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(ast.literal_eval(match.group("q") + match.group("text") + match.group("q")))
    return found


def python_texts() -> set[str]:
    """The literal first argument of every t(...) call in ivr/admin/*.py."""
    found = set()
    for path in ADMIN_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def test_every_console_text_has_its_english() -> None:
    texts = template_texts() | python_texts()
    assert len(texts) > 250  # the scan found the templates' and the modules' texts
    missing = sorted(text for text in texts if text not in EN)
    assert missing == []
    # The texts passed to t() by name: the words for codes, the nav, error titles, roles, states, choices.
    named = [*OUTCOMES.values(), *CHANNELS.values(), *MESSAGE_STATES.values(), *(label for _, label in NAV),
             *TITLES.values(), *ROLE_NAMES.values(), *STATE_WORDS.values(), *(name for name, _ in GROUPS.values()),
             *(label for _, label in QUICK), SMS_OFF, TOO_MANY,
             "Koden stämmer inte eller har gått ut. Försök igen, eller be om en ny kod.",
             "Välj en person i listan, eller skriv ett giltigt telefonnummer.",
             "Välj i listan vem bytet gäller i stället för."]
    assert [word for word in named if word not in EN] == []
    # Placeholders match, so an English text never raises nor loses a value.
    names = re.compile(r"\{(\w+)\}")
    assert [sv for sv, en in EN.items() if set(names.findall(sv)) != set(names.findall(en))] == []


def test_swedish_is_the_default_and_the_switch_gives_english_on_every_page(console: Console, app: Flask) -> None:
    console.sign_in()
    page = console.get("/admin/calls").get_data(as_text=True)
    assert '<html lang="sv">' in page and "<h1>Samtal</h1>" in page and 'lang="en" hreflang="en">In English</a>' in page
    switched = console.get("/admin/sprak?lang=en&next=/admin/calls?kanal%3Dsms")
    assert switched.status_code == 303 and switched.headers["Location"] == "/admin/calls?kanal=sms"
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith("ivr_lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = console.get("/admin/calls").get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Calls</h1>" in page and ">Sign out</button>" in page
    assert 'lang="sv" hreflang="sv">På svenska</a>' in page and "<option value=\"resolved\">solved with the checklist" \
        in page
    pages = 0
    for path, methods in console_routes(app):
        if "GET" not in methods or path.startswith("/admin/static/") or path.endswith((".csv", "/sprak")) \
                or "/oidc/" in path:
            continue
        response = console.get(path)
        if response.status_code in (301, 302, 303):
            continue
        body = response.get_data(as_text=True)
        assert '<html lang="en">' in body, path
        assert "Till innehållet" not in body and "Skip to content" in body, path
        assert ">Logga ut<" not in body, path
        pages += 1
    assert pages >= 10
    assert "<h1>The page does not exist</h1>" in console.get("/admin/finns-inte").get_data(as_text=True)
    console.get("/admin/sprak?lang=sv&next=/admin/")
    assert "<h1>Nu</h1>" in console.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/voice", "/admin\\..\\x"])
def test_the_switch_only_goes_back_to_a_console_page(console: Console, target: str) -> None:
    response = console.get(f"/admin/sprak?lang=en&next={target}")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"


def test_an_unknown_language_is_swedish_and_the_sign_in_page_follows_the_switch(console: Console) -> None:
    console.get("/admin/sprak?lang=fi")  # not signed in: the switch is public, as the sign-in page is
    assert '<html lang="sv">' in console.get("/admin/logga-in").get_data(as_text=True)
    console.get("/admin/sprak?lang=en")
    page = console.get("/admin/logga-in").get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Sign in</h1>" in page and ">Send code</button>" in page
    # A form's error in English too (the form macro's t()), and the sign-in goes on in English.
    refused = console.post("/admin/logga-in", number="12")
    assert "Type a phone number, for example 070-123 45 67." in refused.get_data(as_text=True)
    console.get("/admin/logga-in")
    sent = console.post("/admin/logga-in", number=ADMIN)
    assert sent.status_code == 302
    console.get("/admin/kod")
    wrong = console.post("/admin/kod", code="000000").get_data(as_text=True)
    assert "The code is wrong or has expired." in wrong and "Koden" not in wrong


def test_the_csv_follows_the_language_and_keeps_the_outcome_code(console: Console) -> None:
    console.sign_in()
    console.get("/admin/sprak?lang=en")
    response = console.get("/admin/calls.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.get_data(as_text=True).lstrip("\ufeff").splitlines()[0] == \
        "start;latest;channel;system;outcome;outcome code;code;steps answered"
