"""An administrator's SMS: DRIFT <system> <text> posts an outage announcement, KLAR <system> clears it."""

from __future__ import annotations

from flows.events import EventKind
from flows.line import Line
from flows.names import normalise
from ivr.conversation.replies import exact_system
from ivr.operations.announcements import AnnouncementError, check_notice, check_text, plain_sms
from ivr.operations.logs import mask_numbers
from ivr.privacy import caller_key
from ivr.store.console import ConsoleStore
from ivr.web.turn_context import turn_context

POST_WORD, CLEAR_WORD = "drift", "klar"


def split_command(line: Line, body: str) -> tuple[str, str | None, str]:
    """'DRIFT Viva omsorg Appen ...' -> ('drift', 'viva_omsorg', 'Appen ...'); longest system name first."""
    words = body.split()
    keyword = normalise(words[0]) if words else ""
    for count in (3, 2, 1):
        checklist = exact_system(line.library.checklists, " ".join(words[1 : 1 + count]))
        if len(words) > count and checklist is not None:
            return keyword, checklist.id, " ".join(words[1 + count :])
    return keyword, None, ""


def is_admin_command(body: str) -> bool:
    """Does an administrator's text start with DRIFT or KLAR?"""
    words = body.split()
    return bool(words) and normalise(words[0]) in (POST_WORD, CLEAR_WORD)


def admin_command(sender: str, body: str) -> list[str]:
    """Carry out DRIFT <system> <text> / KLAR <system> from an administrator's phone; the reply."""
    context = turn_context()
    line, store, now = context.line, context.store, context.now
    lang = line.settings.default_language
    keyword, system, text = split_command(line, body)
    if system is None:
        return [line.messages.get("sms", "admin_help", lang)]
    name = line.library.by_id(system).name[lang]
    # Audited like the console's actions: by the admin's keyed hash and masked number.
    console, who = ConsoleStore(store), mask_numbers(sender)
    if keyword == CLEAR_WORD:
        if store.clear_announcement(system):
            console.audit(EventKind.ANNOUNCEMENT_CLEARED, caller_key(sender) or "", who, now, {"via": "sms"}, system)
        return [line.messages.get("sms", "cleared", lang, system=name)]
    try:
        cleaned = check_text(text)
        check_notice(line, system, cleaned)
    except AnnouncementError as exc:
        return [plain_sms(str(exc))]
    # The author is kept as the last digits only: enough to ask a colleague, not a phone book.
    store.announce(system, cleaned, None, now, by=f"sms:...{sender[-4:]}")
    console.audit(EventKind.ANNOUNCEMENT_POSTED, caller_key(sender) or "", who, now,
                  {"via": "sms", "until": None, "characters": len(cleaned)}, system)
    return [line.messages.get("sms", "announced", lang, system=name)]
