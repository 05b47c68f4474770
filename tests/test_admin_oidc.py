"""Signing in to the console with the municipality's accounts, in a real browser against a real OpenID provider.

The provider is oidc-provider-mock (PyPI), a complete OpenID Connect provider built on Authlib's
server side, run in a thread on a loopback port with four accounts: an IT admin, a unit manager
with read-only rights, a Chef i beredskap (the manager role), and someone with no console role. Roles come
from a group claim (its values group ids, as Entra's group claims are), mapped by the IVR_OIDC_* settings. The console
runs as `ivr serve` in its own process (tests/test_admin_browser.py), driven by Debian's Chromium.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.axe import assert_accessible
from tests.conftest import LINE_NUMBER
from tests.test_admin_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    absent,
    chromium_process,  # noqa: F401 (a fixture: the session's one Chromium, shared with that module)
    live_server,
    next_page,
    outbox,
    press,
    session_tab,
    signed_post,
    viva_call_taken_by_the_manager,
)
from tests.test_failures import Server
from tests.test_incidents import ANNA
from tests.test_operations import VIVA_ON_CALL
from tests.test_reload import TONIGHT

pytestmark = [pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                 reason="chromium and chromedriver are not installed"),
              # The provider's own use of Authlib's server side, deprecated in newer Authlib (not the console's).
              pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")]
oidc_provider_mock = pytest.importorskip("oidc_provider_mock", reason="pip install -e '.[test]'")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

IT_GROUP = "5f0c2c1e-7b7a-4f7e-9d43-2c1a8e0b11aa"  # group ids, as Entra's group claim carries them
UNIT_MANAGERS = "9a3e51d2-0c44-4b8f-a1f3-77d0e2c4b9c1"
ON_CALL_MANAGERS = "3c7d9e42-5b1a-4c6f-8e2d-90a1b2c3d4e5"  # Chefer i beredskap
ACCOUNTS = {
    "anna.it": {"name": "Anna Lind", "groups": [IT_GROUP, "other-group"]},
    "ulf.enhet": {"name": "Ulf Berg", "groups": [UNIT_MANAGERS]},
    "eva.ingen": {"name": "Eva Ek", "groups": ["other-group"]},
    "anna.chef": {"name": "Anna Andersson", "groups": [ON_CALL_MANAGERS]},  # first on call (config/roster.yaml)
}


@pytest.fixture
def browser(chromium_process: None) -> WebDriver:  # noqa: F811 (the fixture imported above)
    """Headless Chromium in a fresh tab (tests/test_admin_browser.py's, one for the session)."""
    return session_tab()


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The OpenID provider on a free loopback port, with the three accounts."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback, for both sides
    users = [oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in ACCOUNTS.items()]
    with oidc_provider_mock.run_server_in_thread(user_claims=users, require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def configure_oidc(provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """OIDC configured (so the SMS code is off) and roles read from the groups claim."""
    for name, value in {"OIDC_ISSUER": provider, "OIDC_CLIENT_ID": "felsokningslinjen",
                        "OIDC_CLIENT_SECRET": "test-only-client-secret", "OIDC_ROLE_CLAIM": "groups",
                        "OIDC_ROLE_ADMIN": IT_GROUP, "OIDC_ROLE_READ_ONLY": UNIT_MANAGERS,
                        "OIDC_ROLE_MANAGER": ON_CALL_MANAGERS}.items():
        monkeypatch.setenv(f"IVR_{name}", value)


@pytest.fixture
def console(provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """`ivr serve` with OIDC configured, on the real clock."""
    configure_oidc(provider, monkeypatch)
    yield from live_server(tmp_path, monkeypatch, "from ivr.cli import main")


@pytest.fixture
def evening_console(provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The same at a Wednesday 22:00 (after hours, Anna Andersson on call): tests/frozen_serve.py's clock."""
    configure_oidc(provider, monkeypatch)
    monkeypatch.setenv("IVR_TEST_FROZEN_CLOCK", TONIGHT)
    yield from live_server(tmp_path, monkeypatch, "from tests.frozen_serve import main")


def sign_in_as(browser: WebDriver, console: Server, account: str, checked: list[str] | None = None) -> None:
    """From the console's sign-in page through the provider's form and back."""
    browser.delete_all_cookies()
    browser.get(console.base + "/admin/")
    assert browser.current_url.endswith("/admin/logga-in")
    if checked is not None:
        assert_accessible(browser, "sign-in page (OIDC)", checked)
    assert absent(browser, By.ID, "number")  # the SMS code is off once OIDC is configured
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


# now.js's own timer, run a hundred times faster in this test's tab: the page asks for its data-refresh
# interval (30 s) as usual, and the test checks it asked for exactly that, instead of waiting 30 real seconds
# for it (measured: 41 s of the module's wall). Chromium's virtual time did the same for the refresh, but
# axe-core's own timers never ran under it afterwards (a paused virtual clock, or one that jumps from one
# tick of the page's interval to the next). The script only exists in the test's tab (fresh_tab).
FAST_INTERVALS = """
window.askedIntervals = [];
const realSetInterval = window.setInterval;
window.setInterval = function (callback, delay, ...rest) {
  window.askedIntervals.push(delay);
  return realSetInterval.call(window, callback, delay / 100, ...rest);
};
"""


def test_nu_refreshes_its_figures_without_reloading_and_can_be_paused(browser: WebDriver, console: Server) -> None:
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FAST_INTERVALS})
    sign_in_as(browser, console, "anna.it")
    assert browser.execute_script("return window.askedIntervals") == [30_000]  # data-refresh, in ms
    clock = browser.find_element(By.ID, "clock")
    browser.execute_script("arguments[0].setAttribute('data-stale', 'ja')", clock)  # gone once #live's part is new
    browser.execute_script("window.stayed = true")  # gone if the page reloaded
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, 10).until(lambda driver: absent(driver, By.CSS_SELECTOR, "#live [data-stale]"))
    assert browser.execute_script("return window.stayed") is True
    pause = browser.find_element(By.ID, "pause")
    pause.click()
    assert pause.get_attribute("aria-pressed") == "true" and pause.text == "Fortsätt uppdatera"
    assert_accessible(browser, "Nu, paused")


def calls_to(tmp_path: Path, number: str, expected: int) -> list[dict[str, object]]:
    """The calls the line placed to a number (the outbox file), once there are as many as expected."""
    import time

    for _ in range(50):
        found = [m for m in outbox(tmp_path) if m["kind"] == "call" and m["to"] == number]
        if len(found) >= expected:
            break
        time.sleep(0.1)
    return found


def test_the_manager_acknowledges_connects_it_on_call_and_resolves_an_incident_in_the_browser(
    browser: WebDriver, evening_console: Server, tmp_path: Path
) -> None:
    server = evening_console
    for index in range(3):  # three staff report Viva after hours and nobody presses 1: an open incident
        sid = f"CA{index + 100:032d}"
        signed_post(server, "/voice", CallSid=sid, From=f"+4670174060{index}", To=LINE_NUMBER)
        for key in VIVA_ON_CALL:
            signed_post(server, "/voice/input", CallSid=sid, From=f"+4670174060{index}", To=LINE_NUMBER, Digits=key)
    checked: list[str] = []
    sign_in_as(browser, server, "anna.chef")
    assert "Inloggad: Anna Andersson (chef i beredskap)" in browser.find_element(By.TAG_NAME, "header").text
    assert absent(browser, By.LINK_TEXT, "Inloggade nu")  # the administrators' page
    browser.get(server.base + "/admin/incidenter")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Viva: öppen" in main and "3 som ringt" in main
    assert_accessible(browser, "incidents, an open one, for the manager", checked)
    # Kvittera: the manager's KVITTERA as a button.
    press(browser, "Kvittera Viva")
    assert "Incidenten om Viva är kvitterad." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert "Viva: kvitterad" in browser.find_element(By.TAG_NAME, "main").text
    assert "Anna Andersson" in browser.find_element(By.TAG_NAME, "main").text  # who acknowledged it
    assert absent(browser, By.XPATH, "//button[text()='Kvittera Viva']")
    assert_accessible(browser, "incidents, acknowledged", checked)
    # Three callers: an established outage, so the line calls her at once (no question asked).
    person = browser.find_element(By.CSS_SELECTOR, "select[name=person]")
    assert person.find_element(By.CSS_SELECTOR, "option:checked").text == "Anna Andersson"  # herself by default
    press(browser, "Koppla IT-beredskapen")
    assert "Linjen ringer Anna Andersson nu." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert absent(browser, By.ID, "confirm")
    assert len(calls_to(tmp_path, ANNA, 1)) == 1
    press(browser, "Markera Viva som löst")
    assert "Incidenten om Viva är löst. 0 som väntade får ett sms nu." in \
        browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert "Viva: öppnad 2026-11-25 22.00, löst" in browser.find_element(By.ID, "resolved").text
    assert_accessible(browser, "incidents, resolved", checked)
    history(browser, server, "Markerade incidenten om Viva som löst i konsolen")
    assert len(checked) == 3


def history(browser: WebDriver, server: Server, expected: str) -> None:
    """The history names the manager for each act, from the console."""
    browser.get(server.base + "/admin/historik?slag=incidenter")
    lines = browser.find_element(By.ID, "history").text
    assert expected in lines and "Anna Andersson" in lines, lines


def test_connecting_it_on_call_for_a_single_caller_asks_the_manager_once_more(
    browser: WebDriver, evening_console: Server, tmp_path: Path
) -> None:
    server = evening_console
    viva_call_taken_by_the_manager(server)  # one caller, and she took the call herself: an acknowledged incident
    checked: list[str] = []
    sign_in_as(browser, server, "anna.chef")
    browser.get(server.base + "/admin/incidenter")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Viva: kvitterad" in main and "1 som ringt" in main
    press(browser, "Koppla IT-beredskapen")
    confirm = browser.find_element(By.ID, "confirm")
    assert confirm.get_attribute("role") == "alert"
    assert "Viva: bara 1 samtal om felet. IT-beredskapen är för kritiska fel som drabbar flera." in confirm.text
    assert_accessible(browser, "incidents, the confirmation asked", checked)
    assert calls_to(tmp_path, ANNA, 0) == []  # nothing placed yet
    press(browser, "Koppla IT-beredskapen ändå")
    assert "Linjen ringer Anna Andersson nu." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert len(calls_to(tmp_path, ANNA, 1)) == 1
    assert_accessible(browser, "incidents, IT on call requested", checked)
    history(browser, server, "Anna Andersson Bad linjen koppla IT-beredskapen om Viva i konsolen")
    assert len(checked) == 2
