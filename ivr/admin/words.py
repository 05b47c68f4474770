"""The console's words for the line's codes: outcomes, channels, message states, in plain Swedish.

Their English is in ivr/admin/texts.py; `outcome()` and `said()` give them in the console's language.
"""

from __future__ import annotations

from ivr.admin.texts import t

OUTCOMES = {
    "resolved": "löst med checklistan",
    "it_support": "till IT-supporten",
    "it_portal": "till IT-portalen",
    "local_contact": "till lokal kontakt",
    "supplier_outage": "känt fel hos leverantören",
    "on_call_manager": "kopplad till chef i beredskap",
    "wait_for_office_hours": "väntar på IT-supporten (kontorstid)",
    "deflected": "hörde driftinfon och avslutade",
    "incident_known": "känd incident: sms när det är åtgärdat",
    "abandoned": "lade på",
}
CHANNELS = {"voice": "samtal", "sms": "sms"}
MESSAGE_STATES = {
    "pending": "väntar", "sending": "skickas", "queued": "köad hos Twilio", "sent": "skickad",
    "delivered": "levererad", "undelivered": "inte levererad", "failed": "misslyckades",
    "dead": "gavs upp", "logged": "bara loggad, inget Twilio-konto",
    "cancelled": "avbrutet, den som ringde tackade nej",
}


def outcome(code: str | None) -> str:
    """An outcome in words ("pågår" for none yet)."""
    if not code:
        return t("pågår eller avbrutet")
    return t(OUTCOMES.get(code, code.replace("_", " ")))


def said(words: dict[str, str]) -> dict[str, str]:
    """One of the word lists above in the console's language (for a template's choices)."""
    return {code: t(text) for code, text in words.items()}
# The outbox's kinds (ivr/store/outbox.py rows) as the call log names them.
MESSAGE_KINDS = {
    "manager_sms": "sms till Chef i beredskap", "receipt": "kvitto till den som ringde",
    "sms_handover": "steget med sms (tangent 8)", "ticket": "ärende i IT-portalen",
    "ticket_note": "tillägg i incidentens ärende", "incident_sms": "sms till Chef i beredskap om incidenten",
    "incident_fixed": "sms om att felet är åtgärdat", "callback": "uppringning", "it_call": "samtal till chefen",
    "test_call": "provsamtal", "incident_news": "sms till chefen med nya uppgifter",
}
