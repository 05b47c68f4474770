"""The SMS receipt a caller gets after a call: what was concluded, what next, whom to contact, and a code.

It tells the truth: an outcome that dials someone (Chef i beredskap, IT support) is receipted when the
dial's result is known, with what happened ("Du kopplades till chef i beredskap 22.04." / "Chef i
beredskap svarade inte och har fått ett sms."); every other outcome when it is reached.
"""

from __future__ import annotations

from datetime import datetime

from flows.line import Line
from flows.model import Outcome
from flows.phone import national
from flows.routing import Decision

# Outcomes whose receipt may say the line filed a ticket (on_call_manager: when nobody answered).
TICKETED = frozenset({Outcome.IT_SUPPORT, Outcome.IT_PORTAL, Outcome.WAIT_FOR_OFFICE_HOURS, Outcome.ON_CALL_MANAGER})
# Outcomes that dial someone: their receipt waits for the dial's result, one of these.
DIALLED = {Outcome.ON_CALL_MANAGER: ("connected", "unanswered"), Outcome.IT_SUPPORT: ("connected", "unanswered")}


def receipt_text(line: Line, decision: Decision, lang: str, code: str, moment: datetime, saved: bool = True,
                 opening: str | None = None, result: str | None = None, it_support: str | None = None) -> str:
    """The receipt for a decision; saved=False when the call's answers could not be stored (database down).

    opening: the "IT support opens ..." phrase to use instead of the one for `moment` (the length check).
    it_support: IT support's number as written (national), when the caller has it already (the length check).
    result: for an outcome that dialled (DIALLED), "connected" or "unanswered"; moment is then its time.
    """
    settings = line.settings
    which = "reference_unsaved" if not saved else "reference_ticket" if decision.ticket else "reference"
    reference = line.messages.get("receipt", which, lang, code=code)
    contact = settings.contacts.get(str(decision.contact))
    supplier = settings.suppliers.get(str(decision.supplier))
    values = {
        "system": line.library.by_id(decision.checklist_id).name[lang],
        "it_support": it_support if it_support is not None else it_support_written(line),
        "portal": settings.it_portal_url,
        "contact": contact.name[lang] if contact else "",
        "supplier": supplier.name[lang] if supplier else "",
        "opening": opening or line.calendar.describe_next_opening(moment, lang),
        "text": reference,
        "time": f"{line.calendar.local(moment):%H.%M}",
    }
    name = f"{decision.outcome.value}_{result}" if result else decision.outcome.value
    if decision.ticket and f"{name}_ticket" in line.messages.texts["receipt"]:
        name = f"{name}_ticket"  # no "create a ticket" when the line has created it
    return line.messages.get("receipt", name, lang, **values)


def it_support_written(line: Line) -> str:
    """IT support's number as staff dial it (0141-22 50 47), or nothing when the line has none."""
    number = line.settings.it_support.number
    return national(number) if number else ""
