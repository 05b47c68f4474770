"""The line-wide announcement (`ivr announce alla ...` or the console): said and texted before the menu."""

from __future__ import annotations

import logging

from ivr.operations.announcements import LINE_WIDE
from ivr.store import SessionRecord, StoreError
from ivr.web.turn_context import turn_context

log = logging.getLogger(__name__)


def line_wide_notice(record: SessionRecord, section: str, lang: str) -> list[str]:
    """["Driftinfo för alla system: ..."] when one is in force, else []; read in the turn's own transaction.

    section: "voice" or "sms" (config/messages.yaml notice_all). A failing read costs the
    caller the notice, never the menu.
    """
    context = turn_context()
    try:
        found = context.store.announcements(context.now, via=record).get(LINE_WIDE)
    except StoreError as exc:
        log.warning("line-wide announcement not read: %s", exc)
        return []
    if found is None:
        return []
    return [context.line.messages.get(section, "notice_all", lang, text=str(found["text"]))]
