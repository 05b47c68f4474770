"""The /admin console in a real browser: Debian's Chromium driven by Selenium against a live `ivr serve`.

The server runs in its own process on a free loopback port with a temporary SQLite
database and no Twilio account: the SMS it "sends" (the sign-in code) are appended to
an outbox file (IVR_OUTBOX_FILE) that the test reads. Calls are signed webhook posts
to the same server; tests/frozen_serve.py freezes its clock at an after-hours moment
where a test needs one. Skipped where chromium or chromedriver is missing
(`apt-get install chromium chromium-driver`; .ci/run installs them).
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from tests.axe import assert_accessible
from tests.conftest import CALLER, LINE_NUMBER
from tests.test_failures import TOKEN, Server, free_port
from tests.test_reload import ANNA, BENGT, TONIGHT
from tests.test_report_svg import cli_json

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ADMIN = "+46701740698"  # config/line.yaml admins

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver)",
)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402


def live_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str) -> Iterator[Server]:
    """`ivr serve` on a free port: a temporary SQLite database, plain http, SMS written to an outbox file."""
    port = free_port()
    monkeypatch.setenv("IVR_OUTBOX_FILE", str(tmp_path / "outbox.jsonl"))
    monkeypatch.setenv("IVR_ADMIN_COOKIE_SECURE", "false")  # http on loopback: the browser would drop a Secure cookie
    monkeypatch.setenv("IVR_ALERT_STAMP", str(tmp_path / "repair-alert.stamp"))
    argv = [sys.executable, "-c", f"{entry}; main()", "serve", "--host", "127.0.0.1", "--port", str(port)]
    live = Server(port, f"sqlite:///{tmp_path / 'ivr.sqlite3'}", tmp_path / "server.log", argv)
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The server on the real clock."""
    yield from live_server(tmp_path, monkeypatch, "from ivr.cli import main")


@pytest.fixture
def evening(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The server with its clock frozen on a Wednesday at 22:00 (after hours, Anna on call): tests/frozen_serve.py."""
    monkeypatch.setenv("IVR_TEST_FROZEN_CLOCK", TONIGHT)
    yield from live_server(tmp_path, monkeypatch, "from tests.frozen_serve import main")


@pytest.fixture
def browser(chromium_process: None) -> WebDriver:
    """The session's headless Chromium in a fresh tab, with no cookie or cache from an earlier test."""
    return session_tab()


def session_tab() -> WebDriver:
    """The browser fixture's driver, for other test modules' fixtures (tests/test_admin_oidc.py)."""
    try:
        return fresh_tab(_shared[0])
    except WebDriverException:  # an earlier test left it unusable (a crash): the next tests get a new one
        _shared.pop().quit()
        _shared.append(start_chromium())
        return fresh_tab(_shared[0])


# One Chromium for the whole session (this module's tests and tests/test_admin_oidc.py's), not one per
# test: a start costs ~0.7 s of CPU and ~1 s of wall (measured; 14 tests). Each test gets its own tab, so
# page-level state (device metrics, scripts added to new documents) starts afresh, every cookie of every host is
# cleared (cookies are not port-specific, and each test's server is another port on 127.0.0.1), and the
# cache. The console keeps nothing in localStorage, sessionStorage or IndexedDB (ivr/admin/static/*.js).
_shared: list[WebDriver] = []


@pytest.fixture(scope="session")
def chromium_process() -> Iterator[None]:
    """The session's Chromium in `_shared`: started by the first test that needs it, quit at the end.

    tests/test_admin_oidc.py imports this fixture, which gives it its own fixture definition there; both
    use the one driver in `_shared`, and whichever is torn down last finds it already quit.
    """
    if not _shared:
        _shared.append(start_chromium())
    yield
    while _shared:
        _shared.pop().quit()


def fresh_tab(driver: WebDriver) -> WebDriver:
    """Open a new tab, close every other one, and clear all cookies, the cache and the download setting."""
    old = driver.window_handles
    driver.switch_to.new_window("tab")
    tab = driver.current_window_handle
    for handle in old:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(tab)
    driver.execute_cdp_cmd("Page.bringToFront", {})  # focused, as the first tab is (document.hasFocus())
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})
    driver.implicitly_wait(5)
    assert driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"] == []
    assert driver.window_handles == [tab] and driver.execute_script("return document.hasFocus()") is True
    return driver


def start_chromium() -> WebDriver:
    """Headless Chromium through Debian's chromedriver (no download of any driver)."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options.binary_location = CHROMIUM
    # Flags against background work (--disable-background-networking, --disable-component-update,
    # --disable-extensions, --no-first-run, --disable-sync, --mute-audio, --disable-gpu, ...) made no
    # measurable difference to a start or to 20 s idle here (user+sys within noise): not used.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=420,900"):
        options.add_argument(argument)
    driver: WebDriver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    return driver  # its implicit wait is set for each test's tab (fresh_tab)


def outbox(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def texted_code(tmp_path: Path) -> str:
    """The code of the latest text to the admin: it is tried once the page's answer has gone, so wait a moment."""
    import time

    for _ in range(50):
        texts = [m["body"] for m in outbox(tmp_path) if m["kind"] == "sms" and m["to"] == ADMIN]
        if texts:
            break
        time.sleep(0.1)
    assert texts, "the server texted no code"
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found is not None
    return found.group(1)


def sign_in(browser: WebDriver, server: Server, tmp_path: Path) -> None:
    browser.get(server.base + "/admin/")
    assert browser.current_url.endswith("/admin/logga-in")  # nothing without signing in
    browser.find_element(By.ID, "number").send_keys("070-174 06 98")
    press(browser, "Skicka kod")
    browser.find_element(By.ID, "code").send_keys(texted_code(tmp_path))
    press(browser, "Logga in")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Nu")


def absent(browser: WebDriver, by: str, value: str) -> bool:
    """Whether the page the browser shows (loaded: ask after a wait for something on it) has no such element.

    find_elements under the 5 s implicit wait waits the whole 5 s before it answers nothing: asked at once
    instead (measured: 6 such checks were 30 s of the two modules' wall). The pages are rendered by the
    server, so nothing appears later by script.
    """
    browser.implicitly_wait(0)
    try:
        return browser.find_elements(by, value) == []
    finally:
        browser.implicitly_wait(5)


def next_page(browser: WebDriver, page: WebElement) -> None:
    """Wait until the old page's root is gone (Chromium reports that as stale, or as a node not in the document)."""

    def gone(driver: WebDriver) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(browser, 10).until(gone)


def press(browser: WebDriver, label: str) -> None:
    """Click the button with this text and wait for the next page."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.XPATH, f"//button[text()='{label}']").click()
    next_page(browser, page)


def follow(browser: WebDriver, text: str) -> None:
    """Follow the link with this text and wait for the next page."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, text).click()
    next_page(browser, page)


def signed_post(server: Server, path: str, **params: str) -> tuple[int, str]:
    """A webhook as Twilio sends it to the live server."""
    url = server.base + path
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_sign_in_post_an_announcement_and_hear_it_in_a_call(browser: WebDriver, server: Server,
                                                            tmp_path: Path) -> None:
    sign_in(browser, server, tmp_path)
    follow(browser, "Driftinfo")
    text = "Viva har driftstörning. IT-enheten arbetar med felet."
    browser.find_element(By.ID, "system").send_keys("1. Viva")
    browser.find_element(By.ID, "text").send_keys(text)
    press(browser, "Förhandsgranska")
    assert f"Driftinfo Viva: {text}" in browser.find_element(By.ID, "preview").find_element(By.XPATH, "..").text
    press(browser, "Publicera")
    assert "Driftinfo för 1. Viva är publicerad." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert text in browser.find_element(By.ID, "current").text
    sid = "CA" + "b" * 32
    status, menu = signed_post(server, "/voice", CallSid=sid, From=CALLER, To=LINE_NUMBER)
    assert status == 200 and "Tryck siffran" in menu
    status, chosen = signed_post(server, "/voice/input", CallSid=sid, From=CALLER, To=LINE_NUMBER, Digits="1")
    assert status == 200 and text in chosen  # the caller hears the announcement after choosing Viva
    follow(browser, "Nu")
    assert text in browser.find_element(By.ID, "announcements").text


def test_no_session_wrong_csrf_and_rate_limit_are_refused(browser: WebDriver, server: Server,
                                                          tmp_path: Path) -> None:
    # Without a session: every page leads to the sign-in, and a bare POST is refused.
    browser.get(server.base + "/admin/driftinfo")
    assert browser.current_url.endswith("/admin/logga-in")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(server.base + "/admin/driftinfo", data=b"system=viva&text=x"),
                               timeout=10)
    refused.value.close()  # its response holds the connection
    assert refused.value.code in (400, 403)
    sign_in(browser, server, tmp_path)
    # A form whose CSRF token was tampered with.
    follow(browser, "Driftinfo")
    browser.execute_script("document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'forged')")
    browser.find_element(By.ID, "text").send_keys("Viva ligger nere.")
    press(browser, "Publicera")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Formuläret gick inte att skicka"
    browser.get(server.base + "/admin/")
    assert "Ingen driftinfo ute." in browser.page_source
    # Past the limit: wrong codes for a number stop being checked at all.
    browser.delete_all_cookies()
    browser.get(server.base + "/admin/logga-in")
    browser.find_element(By.ID, "number").send_keys("070-174 06 98")
    press(browser, "Skicka kod")
    messages = []
    for _ in range(6):
        browser.find_element(By.ID, "code").send_keys("000000")
        press(browser, "Logga in")
        messages.append(browser.find_element(By.CSS_SELECTOR, ".error").text)
    assert messages[0].startswith("Koden stämmer inte")
    assert messages[-1].startswith("För många försök")
    browser.find_element(By.ID, "code").send_keys(texted_code(tmp_path))  # even the right code, now
    press(browser, "Logga in")
    assert browser.find_element(By.CSS_SELECTOR, ".error").text.startswith("För många försök")


calls = itertools.count(1)


def after_hours_call(server: Server) -> str:
    """A whole signed call to the live server, Viva with every step confirmed: the number the line dials first."""
    sid = f"CA{next(calls):032d}"
    signed_post(server, "/voice", CallSid=sid, From=CALLER, To=LINE_NUMBER)
    body = ""
    for key in ("1", "2", "1", "1"):
        status, body = signed_post(server, "/voice/input", CallSid=sid, From=CALLER, To=LINE_NUMBER, Digits=key)
        assert status == 200
    numbers = [node.text for node in ET.fromstring(body).iter("Number")]
    assert numbers, body
    return str(numbers[0])


def test_an_on_call_swap_in_the_console_rings_the_new_person_on_the_next_call(
    browser: WebDriver, evening: Server, tmp_path: Path
) -> None:
    assert after_hours_call(evening) == ANNA
    sign_in(browser, evening, tmp_path)
    follow(browser, "Beredskap")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Chef i beredskap")
    assert "Anna Andersson" in browser.find_element(By.ID, "chain-now").find_elements(By.TAG_NAME, "li")[0].text
    browser.find_element(By.ID, "who").send_keys("bengt")
    browser.find_element(By.ID, "note").send_keys("Anna sjuk")
    press(browser, "Spara bytet")
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith("Sparat.")
    assert "Bengt Berg" in browser.find_element(By.ID, "chain-now").find_elements(By.TAG_NAME, "li")[0].text
    assert "Bengt Berg" in browser.find_element(By.ID, "swaps").text
    assert after_hours_call(evening) == BENGT  # the next call, no restart
    press(browser, "Avsluta byte #1")
    assert after_hours_call(evening) == ANNA


def drawn(browser: WebDriver, chart: str) -> dict[tuple[str, str], int]:
    """(row, figure) -> value, as the browser has each bar of a chart (its data and its <title> text)."""
    found = {}
    for row in browser.find_elements(By.CSS_SELECTOR, f"#chart-{chart} g[data-row]"):
        for segment in row.find_elements(By.CSS_SELECTOR, "g[data-figure]"):
            value = int(str(segment.get_attribute("data-value")))
            title = segment.find_element(By.TAG_NAME, "title").get_attribute("textContent")
            assert str(title).endswith(f" {value}")
            found[(str(row.get_attribute("data-row")), str(segment.get_attribute("data-figure")))] = value
    return found


def totals(browser: WebDriver, chart: str) -> dict[str, int]:
    """row -> the total the browser shows at the end of its bar."""
    return {str(row.get_attribute("data-row")): int(row.find_element(By.CSS_SELECTOR, "text.total").text)
            for row in browser.find_elements(By.CSS_SELECTOR, f"#chart-{chart} g[data-row]")}


def test_the_report_page_shows_the_figures_of_ivr_report_json(
    browser: WebDriver, evening: Server, tmp_path: Path
) -> None:
    for _ in range(2):
        after_hours_call(evening)
    sid = "CA" + "e" * 32
    signed_post(evening, "/voice", CallSid=sid, From=CALLER, To=LINE_NUMBER)
    signed_post(evening, "/voice/input", CallSid=sid, From=CALLER, To=LINE_NUMBER, Digits="1")  # then hangs up
    signed_post(evening, "/voice/status", CallSid=sid, From=CALLER, To=LINE_NUMBER, CallStatus="completed")
    since, until = "2026-11-23", "2026-11-29"
    expected = {row["system"] or "": row for row in cli_json(evening.database_url, since, until)["systems"]}
    assert expected["viva"]["on_call_manager"] == 2
    sign_in(browser, evening, tmp_path)
    follow(browser, "Rapport")
    for field, value in (("since", since), ("until", until)):  # date pickers: typing depends on the locale
        assert browser.find_element(By.ID, field).get_attribute("type") == "date"
        browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, field), value)
    press(browser, "Visa")
    outcomes = drawn(browser, "outcomes")
    assert outcomes == {(system, figure): row[figure] for system, row in expected.items()
                        for figure in ("resolved", "it_support", "it_portal", "local_contact", "supplier_outage",
                                       "on_call_manager", "wait_for_office_hours", "abandoned") if row[figure]}
    assert drawn(browser, "channels") == {(system, channel): row[channel] for system, row in expected.items()
                                          for channel in ("voice", "sms") if row[channel]}
    assert totals(browser, "channels") == {system: row["sessions"] for system, row in expected.items()
                                           if row["sessions"]}
    assert totals(browser, "escalations") == {system: row["on_call_manager"] for system, row in expected.items()
                                              if row["on_call_manager"]}


def test_every_page_fits_a_phone_375_px_wide_without_sideways_scrolling(
    browser: WebDriver, evening: Server, tmp_path: Path
) -> None:
    after_hours_call(evening)  # the report has bars to draw
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",  # a phone: the page's meta viewport applies
                            {"width": 375, "height": 800, "deviceScaleFactor": 2, "mobile": True})
    browser.get(evening.base + "/admin/logga-in")
    pages = ["/admin/logga-in"]
    sign_in(browser, evening, tmp_path)
    pages += ["/admin/", "/admin/driftinfo", "/admin/calls", "/admin/incidenter", "/admin/historik",
              "/admin/inloggade", "/admin/tillganglighet", "/admin/oncall", "/admin/report?since=2026-11-23",
              "/admin/checklists"]
    for path in pages:
        browser.get(evening.base + path)
        width, scroll = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]")
        assert width == 375, path
        assert scroll <= width, f"{path} scrolls sideways: {scroll} px wide"
        assert_accessible(browser, f"{path} at 375 px")
    browser.get(evening.base + "/admin/oncall")
    browser.find_element(By.TAG_NAME, "body").send_keys("\ue004")  # Tab: the skip link first, its focus visible
    focused = browser.switch_to.active_element
    assert focused.text == "Till innehållet"
    assert focused.value_of_css_property("outline-style") == "solid"


def viva_call_taken_by_the_manager(server: Server) -> None:
    """A signed after-hours Viva call; Chef i beredskap presses 1 in her whisper: an acknowledged incident."""
    sid = f"CA{next(calls):032d}"
    signed_post(server, "/voice", CallSid=sid, From=CALLER, To=LINE_NUMBER)
    for key in ("1", "2", "1", "1"):
        signed_post(server, "/voice/input", CallSid=sid, From=CALLER, To=LINE_NUMBER, Digits=key)
    signed_post(server, f"/voice/whisper/accept?call={sid}&attempt=0", CallSid="CA" + "f" * 32, Digits="1")


def test_call_log_history_incidents_and_test_call_in_the_browser_pass_axe_at_1280_and_375_px(
    browser: WebDriver, evening: Server, tmp_path: Path
) -> None:
    viva_call_taken_by_the_manager(evening)
    checked: list[str] = []
    sign_in(browser, evening, tmp_path)
    for width in (1280, 375):
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500})
        # The call log, filtered in the form, and a call's timeline.
        browser.get(evening.base + "/admin/calls")
        assert "1 samtal" in browser.find_element(By.ID, "list-heading").text
        assert_accessible(browser, f"call log at {width}", checked)
        browser.find_element(By.ID, "kanal").send_keys("sms")
        press(browser, "Visa samtal")
        assert "0 samtal" in browser.find_element(By.ID, "list-heading").text
        assert_accessible(browser, f"call log filtered, none found, at {width}", checked)
        browser.get(evening.base + "/admin/calls?system=viva")
        rows = browser.find_elements(By.CSS_SELECTOR, "#calls tbody tr")
        assert len(rows) == 1 and "kopplad till chef i beredskap" in rows[0].text
        page = browser.find_element(By.TAG_NAME, "html")
        rows[0].find_element(By.TAG_NAME, "a").click()
        next_page(browser, page)
        timeline = browser.find_element(By.ID, "timeline").text
        assert "Svar: ja." in timeline and "Ringde Chef i beredskap (försök 0): svarade och tryckte 1." in timeline \
            or "Chef i beredskap tog samtalet." in timeline, timeline
        assert "+4670" not in browser.page_source  # never a number
        assert_accessible(browser, f"a call's timeline at {width}", checked)
        # Incidents: the admin acknowledges nothing here (already acknowledged); resolve it at the wide size.
        browser.get(evening.base + "/admin/incidenter")
        main = browser.find_element(By.TAG_NAME, "main").text
        assert ("Viva: kvitterad" in main) if width == 1280 else ("Viva: öppnad 2026-11-25 22.00, löst" in main)
        assert_accessible(browser, f"incidents at {width}", checked)
        if width == 1280:
            press(browser, "Markera Viva som löst")
            assert "Incidenten om Viva är löst." in browser.find_element(By.CSS_SELECTOR, ".notice").text
            assert_accessible(browser, "incidents after resolving", checked)
        # The history, the test call, who is signed in, the statement, the announcement counter, the report.
        browser.get(evening.base + "/admin/historik")
        assert "Markerade incidenten om Viva som löst i konsolen" in browser.find_element(By.ID, "history").text
        assert_accessible(browser, f"history at {width}", checked)
        browser.get(evening.base + "/admin/oncall")
        if width == 1280:
            browser.find_element(By.ID, "test-person").send_keys("Bengt")
            press(browser, "Provring")
            assert "Linjen ringer Bengt Berg nu." in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
            assert [m for m in outbox(tmp_path) if m["kind"] == "call" and m["to"] == BENGT]
        assert "Bengt Berg" in browser.find_element(By.ID, "test-calls").text
        assert_accessible(browser, f"on-call with a test call at {width}", checked)
        for path in ("/admin/inloggade", "/admin/tillganglighet", "/admin/finns-inte",
                     "/admin/report?since=2026-11-23&until=2026-11-29"):
            browser.get(evening.base + path)
            assert_accessible(browser, f"{path} at {width}", checked)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Rapport"
        browser.get(evening.base + "/admin/driftinfo")
        browser.find_element(By.ID, "text").send_keys("Viva ligger nere.")
        WebDriverWait(browser, 5).until(lambda d: "tecken kvar" in d.find_element(By.ID, "text-count").text)
        assert_accessible(browser, f"announcements with the counter at {width}", checked)
        width_now, scroll = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= width_now
    browser.get(evening.base + "/admin/finns-inte")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sidan finns inte"
    assert len(checked) >= 20


def downloaded(folder: Path, pattern: str) -> Path:
    """The file Chromium saved in the folder (waiting until its download is complete)."""
    import time

    for _ in range(100):
        done = [path for path in folder.glob(pattern) if not path.name.endswith(".crdownload")]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"nothing downloaded to {folder}: {list(folder.iterdir())}")


def test_the_call_logs_csv_downloads_in_chromium_with_the_filtered_calls(
    browser: WebDriver, evening: Server, tmp_path: Path
) -> None:
    for _ in range(2):
        after_hours_call(evening)
    folder = tmp_path / "downloads"
    folder.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    sign_in(browser, evening, tmp_path)
    browser.get(evening.base + "/admin/calls?system=viva&fran=2026-11-25&till=2026-11-25")
    link = browser.find_element(By.LINK_TEXT, "Ladda ner listan som CSV")
    link.click()
    saved = downloaded(folder, "samtal-*.csv")
    assert saved.name == "samtal-20261125-20261125.csv"
    raw = saved.read_bytes()
    assert raw.startswith("\ufeff".encode())  # the BOM: Excel reads å, ä, ö right
    rows = [line.split(";") for line in raw.decode("utf-8-sig").splitlines()]
    assert rows[0] == ["start", "senast", "kanal", "system", "utfall", "utfallskod", "kod", "steg besvarade"]
    assert len(rows) == 3
    for row in rows[1:]:
        assert row[0].startswith("2026-11-25 22:00") and row[2] == "samtal" and row[3] == "Viva"
        assert row[4:6] == ["kopplad till chef i beredskap", "on_call_manager"]
        assert row[7] == "3"  # the menu's key, then three steps answered
    assert "+4670" not in raw.decode("utf-8-sig")  # never a number
    # The same address with the browser's own session cookie: the headers a download gets.
    cookie = browser.get_cookie("ivr_admin")
    assert cookie is not None
    request = urllib.request.Request(str(link.get_attribute("href")),
                                     headers={"Cookie": f"ivr_admin={cookie['value']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == "attachment; filename=samtal-20261125-20261125.csv"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.read() == raw
    # A filter that finds nothing: the page says so and offers no file.
    browser.get(evening.base + "/admin/calls?system=viva&kanal=sms")
    assert browser.find_element(By.ID, "list-heading").text.startswith("0 samtal")  # the new page is there
    assert absent(browser, By.LINK_TEXT, "Ladda ner listan som CSV")


ENGLISH_PAGES = {"/admin/": "Now", "/admin/calls": "Calls", "/admin/incidenter": "Incidents",
                 "/admin/driftinfo": "Service notices", "/admin/oncall": "On-call manager",
                 "/admin/report?since=2026-11-23&until=2026-11-29": "Report", "/admin/historik": "History",
                 "/admin/checklists": "The checklists in words", "/admin/inloggade": "Signed in now",
                 "/admin/tillganglighet": "Accessibility statement for Felsökningslinjen's console",
                 "/admin/finns-inte": "The page does not exist"}


def test_the_english_switch_in_the_header_passes_axe_on_every_page(
    browser: WebDriver, evening: Server, tmp_path: Path
) -> None:
    viva_call_taken_by_the_manager(evening)
    checked: list[str] = []
    browser.get(evening.base + "/admin/logga-in")
    follow(browser, "In English")  # before signing in: the sign-in page itself
    assert browser.current_url.endswith("/admin/logga-in")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
    assert_accessible(browser, "sign-in in English", checked)
    browser.find_element(By.ID, "number").send_keys("070-174 06 98")
    press(browser, "Send code")
    browser.find_element(By.ID, "code").send_keys(texted_code(tmp_path))
    press(browser, "Sign in")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Now"
    assert "outside office hours" in browser.find_element(By.ID, "clock").text
    for path, heading in ENGLISH_PAGES.items():
        browser.get(evening.base + path)
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", path
        assert browser.find_element(By.TAG_NAME, "h1").text == heading, path
        assert browser.find_element(By.CSS_SELECTOR, "a.skip").get_attribute("textContent") == "Skip to content"
        assert "Sign out" in browser.find_element(By.TAG_NAME, "header").text
        assert_accessible(browser, f"{path} in English", checked)
    # The call log's words and a call's page in English; the timeline it quotes is marked Swedish.
    browser.get(evening.base + "/admin/calls?system=viva")
    [row] = browser.find_elements(By.CSS_SELECTOR, "#calls tbody tr")
    assert "connected to the on-call manager" in row.text and "call" in row.text
    page = browser.find_element(By.TAG_NAME, "html")
    row.find_element(By.TAG_NAME, "a").click()
    next_page(browser, page)
    assert browser.find_element(By.ID, "timeline").get_attribute("lang") == "sv"
    assert "connected to the on-call manager" in browser.find_element(By.ID, "facts").text
    assert_accessible(browser, "a call in English", checked)
    # A form's answer in English, and back to Swedish on the same page.
    browser.get(evening.base + "/admin/incidenter")
    assert "Viva: acknowledged" in browser.find_element(By.TAG_NAME, "main").text
    press(browser, "Mark Viva as resolved")
    assert "The incident about Viva is resolved." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert_accessible(browser, "incidents in English after resolving", checked)
    follow(browser, "På svenska")
    assert browser.current_url.endswith("/admin/incidenter")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "sv"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Incidenter"
    assert_accessible(browser, "incidents back in Swedish", checked)
    assert len(checked) == len(ENGLISH_PAGES) + 4
