"""The console's blueprint: its guard, its error pages, and what every template gets."""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request
from werkzeug.exceptions import HTTPException

from ivr.admin.auth import ROLE_NAMES, NotAllowed, Role, current_admin, guard
from ivr.admin.csrf import CsrfRefused
from ivr.admin.texts import SWITCH, language, t
from ivr.store import StoreError

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")
bp.before_request(guard)

# The nav's pages, in order: (endpoint, Swedish label); each page is a module of ivr/admin (views.py).
NAV: list[tuple[str, str]] = [("admin.now", "Nu"), ("admin.calls", "Samtal"), ("admin.incidents", "Incidenter"),
                              ("admin.announcements", "Driftinfo"), ("admin.oncall", "Beredskap"),
                              ("admin.report", "Rapport"), ("admin.history", "Historik"),
                              ("admin.checklists", "Checklistor"), ("admin.signed_in_now", "Inloggade nu")]
ADMIN_ONLY_PAGES = frozenset({"admin.signed_in_now"})
# HTTP errors' titles in Swedish (werkzeug's own names are English: "Not Found").
TITLES = {400: "Felaktig begäran", 403: "Du har inte behörighet", 404: "Sidan finns inte",
          405: "Det går inte att göra så här", 413: "För mycket på en gång", 429: "För många försök",
          500: "Något gick fel", 503: "Tjänsten svarar inte just nu"}


def nav_for(admin: object) -> list[tuple[str, str]]:
    """The nav's pages this person may open ("Inloggade nu" is the administrators')."""
    is_admin = getattr(admin, "role", None) is Role.ADMIN
    return [(endpoint, label) for endpoint, label in NAV if is_admin or endpoint not in ADMIN_ONLY_PAGES]


@bp.context_processor
def signed_in() -> dict[str, object]:
    """Every template knows who is signed in (the nav shows it, and the sign-out button) and the nav's pages."""
    admin = current_admin()
    return {"admin": admin, "nav": nav_for(admin), "role_names": ROLE_NAMES, **words()}


# `t` is a global too, so that imported macros (admin/_form.html's error_text) have it without the context.
bp.add_app_template_global(t, "t")


def words() -> dict[str, object]:
    """The console's language for a template: `t` for its texts, `ui_lang` for <html lang>, the switch's link."""
    lang = language()
    other, label = SWITCH[lang]
    return {"t": t, "ui_lang": lang, "switch_to": other, "switch_label": label}


def error_page(status: int, title: str, text: str) -> tuple[str, int]:
    """A plain page in Swedish with a way back; never a stack trace."""
    return render_template("admin/error.html", title=t(title), text=t(text)), status


@bp.errorhandler(CsrfRefused)
def csrf_refused(error: CsrfRefused) -> tuple[str, int]:
    """A form without the right token: an old tab, or a page on another site posting here."""
    log.warning("console: CSRF token refused on %s: %s", request.path, error.description)
    return error_page(400, "Formuläret gick inte att skicka",
                      "Sidan var för gammal eller kom inte från konsolen. Ladda om sidan och försök igen.")


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int]:
    """403, 404, 405 ... as the console's own page."""
    status = error.code or 500
    if isinstance(error, NotAllowed):
        return error_page(403, "Du har inte behörighet",
                          "Din roll i konsolen får se sidan men inte ändra något här. "
                          "Fråga IT-enheten om du behöver mer.")
    if status == 403:
        return error_page(403, "Logga in först", "Du behöver logga in för att använda konsolen.")
    return error_page(status, TITLES.get(status, "Sidan kan inte visas"),
                      "Sidan finns inte eller kan inte visas så. Välj en sida i menyn.")


def unknown_console_path(error: HTTPException) -> tuple[str, int] | HTTPException:
    """An unknown URL under /admin/ (no blueprint matched, so the blueprint's handlers never see it)."""
    if not request.path.startswith(bp.url_prefix or "/admin"):
        return error  # Twilio's paths and others: as before
    admin = current_admin()
    page = render_template("admin/error.html", title=t(TITLES[404]), admin=admin, nav=nav_for(admin),
                           role_names=ROLE_NAMES, text=t("Sidan finns inte. Välj en sida i menyn."), **words())
    return page, 404


@bp.errorhandler(StoreError)
def store_down(error: StoreError) -> tuple[str, int]:
    """The database does not answer: say so (calls still run their checklists without it)."""
    log.error("console: database unavailable: %s", error)
    return error_page(503, "Databasen svarar inte",
                      "Konsolen når inte databasen just nu. Samtal och sms fungerar ändå. Försök igen om en stund.")


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> tuple[str, int]:
    """Anything else: logged with its traceback, a plain page for the person."""
    log.exception("console: unexpected error")
    return error_page(500, "Något gick fel", "Försök igen. Händer det igen, säg till den som sköter servern. "
                      "Felet är sparat i loggen.")
