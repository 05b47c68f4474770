"""The configured backend, its secrets read from the environment now (a rotated secret needs no restart)."""

from __future__ import annotations

import os

from flows.ticket_settings import TicketSettings
from ivr.tickets import Backend

# Each backend is imported when it is chosen, not all four with this module: every worker imports
# this module (the outbox's sender) and uses one backend at most; the others (smtplib and the email
# package's generator, the HTTP backends) were 8 modules and ~0.2 MiB of each (December 2026).


def backend_for(settings: TicketSettings) -> Backend | None:
    """The backend line.yaml chose; None for `backend: none`."""
    options = settings.options

    def env(key: str) -> str | None:
        return os.environ.get(str(options[key])) or None

    match settings.backend:
        case "email":
            from ivr.tickets.email import EmailBackend

            return EmailBackend(options, env("user_env"), env("password_env"))
        case "easit":
            from ivr.tickets.easit import EasitBackend

            return EasitBackend(options, env("api_key_env"))
        case "topdesk":
            from ivr.tickets.topdesk import TopdeskBackend

            return TopdeskBackend(options, env("user_env"), env("password_env"))
        case "webhook":
            from ivr.tickets.webhook import WebhookBackend

            return WebhookBackend(options, env("secret_env"))
    return None
