"""Signing in to the console with the municipality's accounts, in a real browser against a real OpenID provider.

The provider is oidc-provider-mock (PyPI), a complete OpenID Connect provider built on Authlib's
server side, run in a thread on a loopback port with three accounts: an IT admin, a unit manager
with read-only rights, and someone with no console role. Roles come from a group claim (its
values group ids, as Entra's group claims are), mapped by the IVR_OIDC_* settings. The console
runs as `ivr serve` in its own process (tests/test_admin_browser.py), driven by Debian's Chromium.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.axe import assert_accessible
from tests.test_admin_browser import CHROMEDRIVER, CHROMIUM, chromium, live_server, next_page
from tests.test_failures import Server

pytestmark = [pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                 reason="chromium and chromedriver are not installed"),
              # The provider's own use of Authlib's server side, deprecated in newer Authlib (not the console's).
              pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")]
oidc_provider_mock = pytest.importorskip("oidc_provider_mock", reason="pip install -e '.[test]'")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

IT_GROUP = "5f0c2c1e-7b7a-4f7e-9d43-2c1a8e0b11aa"  # group ids, as Entra's group claim carries them
UNIT_MANAGERS = "9a3e51d2-0c44-4b8f-a1f3-77d0e2c4b9c1"
ACCOUNTS = {
    "anna.it": {"name": "Anna Lind", "groups": [IT_GROUP, "other-group"]},
    "ulf.enhet": {"name": "Ulf Berg", "groups": [UNIT_MANAGERS]},
    "eva.ingen": {"name": "Eva Ek", "groups": ["other-group"]},
}


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Headless Chromium (tests/test_admin_browser.py's)."""
    yield from chromium()


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The OpenID provider on a free loopback port, with the three accounts."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback, for both sides
    users = [oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in ACCOUNTS.items()]
    with oidc_provider_mock.run_server_in_thread(user_claims=users, require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def console(provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """`ivr serve` with OIDC configured (so the SMS code is off) and roles read from the groups claim."""
    for name, value in {"OIDC_ISSUER": provider, "OIDC_CLIENT_ID": "felsokningslinjen",
                        "OIDC_CLIENT_SECRET": "test-only-client-secret", "OIDC_ROLE_CLAIM": "groups",
                        "OIDC_ROLE_ADMIN": IT_GROUP, "OIDC_ROLE_READ_ONLY": UNIT_MANAGERS}.items():
        monkeypatch.setenv(f"IVR_{name}", value)
    yield from live_server(tmp_path, monkeypatch, "from ivr.cli import main")


def sign_in_as(browser: WebDriver, console: Server, account: str, checked: list[str] | None = None) -> None:
    """From the console's sign-in page through the provider's form and back."""
    browser.delete_all_cookies()
    browser.get(console.base + "/admin/")
    assert browser.current_url.endswith("/admin/logga-in")
    if checked is not None:
        assert_accessible(browser, "sign-in page (OIDC)", checked)
    assert browser.find_elements(By.ID, "number") == []  # the SMS code is off once OIDC is configured
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, "Logga in med kommunens konto").click()
    next_page(browser, page)
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.XPATH, f"//button[@name='sub' and @value='{account}']").click()  # the provider's form
    next_page(browser, page)


def opens(console: Server, token: str, path: str = "/admin/") -> int:
    """The status a bare HTTP client gets for a console page with this cookie (redirects not followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    request = urllib.request.Request(console.base + path, headers={"Cookie": f"ivr_admin={token}"})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_sign_in_with_a_group_as_admin_and_signing_out_revokes_a_copied_cookie(
    browser: WebDriver, console: Server
) -> None:
    checked: list[str] = []
    sign_in_as(browser, console, "anna.it", checked)
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Nu")
    assert "Inloggad: Anna Lind (administratör)" in browser.find_element(By.TAG_NAME, "header").text
    assert_accessible(browser, "Nu", checked)
    cookie = browser.get_cookie("ivr_admin")
    assert cookie is not None and cookie["httpOnly"]
    copied = str(cookie["value"])
    assert opens(console, copied) == 200  # a copy works while the session lives ...
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.XPATH, "//button[text()='Logga ut']").click()
    next_page(browser, page)
    assert browser.current_url.endswith("/admin/logga-in")
    assert opens(console, copied) == 302  # ... and opens nothing once she signed out
    assert checked == ["sign-in page (OIDC)", "Nu"]


def test_a_read_only_role_sees_pages_and_is_refused_on_a_post(browser: WebDriver, console: Server) -> None:
    sign_in_as(browser, console, "ulf.enhet")
    assert "Inloggad: Ulf Berg (läsbehörighet)" in browser.find_element(By.TAG_NAME, "header").text
    browser.get(console.base + "/admin/driftinfo")
    browser.find_element(By.ID, "text").send_keys("Viva ligger nere.")
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.XPATH, "//button[text()='Publicera']").click()
    next_page(browser, page)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Du har inte behörighet"
    assert_accessible(browser, "refused for the role")
    browser.get(console.base + "/admin/driftinfo")
    assert "Viva ligger nere." not in browser.find_element(By.TAG_NAME, "main").text


def test_an_account_without_a_console_role_is_refused(browser: WebDriver, console: Server) -> None:
    sign_in_as(browser, console, "eva.ingen")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Det gick inte att logga in"
    assert "Eva Ek har ingen roll i konsolen" in browser.find_element(By.TAG_NAME, "main").text
    browser.get(console.base + "/admin/")
    assert browser.current_url.endswith("/admin/logga-in")


def test_nu_refreshes_its_figures_without_reloading_and_can_be_paused(browser: WebDriver, console: Server) -> None:
    sign_in_as(browser, console, "anna.it")
    clock = browser.find_element(By.ID, "clock")
    browser.execute_script("arguments[0].setAttribute('data-stale', 'ja')", clock)  # gone once #live's part is new
    browser.execute_script("window.stayed = true")  # gone if the page reloaded
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, 40).until(lambda driver: not driver.find_elements(By.CSS_SELECTOR, "#live [data-stale]"))
    assert browser.execute_script("return window.stayed") is True
    pause = browser.find_element(By.ID, "pause")
    pause.click()
    assert pause.get_attribute("aria-pressed") == "true" and pause.text == "Fortsätt uppdatera"
    assert_accessible(browser, "Nu, paused")
