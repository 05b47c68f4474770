"""The console's blueprint: its guard, its error pages, and what every template gets."""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ivr.admin.auth import ROLE_NAMES, NotAllowed, current_admin, guard
from ivr.store import StoreError

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")
bp.before_request(guard)

# The nav's pages, in order: (endpoint, Swedish label); each page is a module of ivr/admin (views.py).
NAV: list[tuple[str, str]] = [("admin.now", "Nu"), ("admin.announcements", "Driftinfo"), ("admin.lookup", "Sök samtal"),
                              ("admin.oncall", "Beredskap"), ("admin.report", "Rapport"),
                              ("admin.checklists", "Checklistor")]


@bp.context_processor
def signed_in() -> dict[str, object]:
    """Every template knows who is signed in (the nav shows it, and the sign-out button) and the nav's pages."""
    return {"admin": current_admin(), "nav": NAV, "role_names": ROLE_NAMES}


def error_page(status: int, title: str, text: str) -> tuple[str, int]:
    """A plain page in Swedish (English below) with a way back; never a stack trace."""
    return render_template("admin/error.html", title=title, text=text), status


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    """A form without the right token: an old tab, or a page on another site posting here."""
    log.warning("console: CSRF token refused on %s: %s", request.path, error.description)
    return error_page(400, "Formuläret gick inte att skicka",
                      "Sidan var för gammal eller kom inte från konsolen. Ladda om sidan och försök igen. "
                      "(The form had no valid security token: reload the page and try again.)")


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int]:
    """403, 404, 405 ... as the console's own page."""
    status = error.code or 500
    if isinstance(error, NotAllowed):
        return error_page(403, "Du har inte behörighet",
                          "Din roll i konsolen får se sidan men inte ändra något här. "
                          "Fråga IT-enheten om du behöver mer.")
    if status == 403:
        return error_page(403, "Logga in först", "Du behöver logga in för att använda konsolen. (Sign in first.)")
    return error_page(status, error.name, "Sidan finns inte eller kan inte visas så. (This page cannot be shown.)")


def unknown_console_path(error: HTTPException) -> tuple[str, int] | HTTPException:
    """An unknown URL under /admin/ (no blueprint matched, so the blueprint's handlers never see it)."""
    if not request.path.startswith(bp.url_prefix or "/admin"):
        return error  # Twilio's paths and others: as before
    page = render_template("admin/error.html", title=error.name, admin=current_admin(), nav=NAV, role_names=ROLE_NAMES,
                           text="Sidan finns inte. Välj en sida i menyn. (This page does not exist.)")
    return page, 404


@bp.errorhandler(StoreError)
def store_down(error: StoreError) -> tuple[str, int]:
    """The database does not answer: say so (calls still run their checklists without it)."""
    log.error("console: database unavailable: %s", error)
    return error_page(503, "Databasen svarar inte",
                      "Konsolen når inte databasen just nu. Samtal och sms fungerar ändå. Försök igen om en stund. "
                      "(The database is not answering; the line still runs.)")


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> tuple[str, int]:
    """Anything else: logged with its traceback, a plain page for the person."""
    log.exception("console: unexpected error")
    return error_page(500, "Något gick fel", "Försök igen. Händer det igen, säg till den som sköter servern. "
                      "(Something went wrong; the error is logged.)")
