"""The configured backend, its secrets read from the environment now (a rotated secret needs no restart)."""

from __future__ import annotations

import os

from flows.ticket_settings import TicketSettings
from ivr.tickets import Backend
from ivr.tickets.easit import EasitBackend
from ivr.tickets.email import EmailBackend
from ivr.tickets.topdesk import TopdeskBackend
from ivr.tickets.webhook import WebhookBackend


def backend_for(settings: TicketSettings) -> Backend | None:
    """The backend line.yaml chose; None for `backend: none`."""
    options = settings.options

    def env(key: str) -> str | None:
        return os.environ.get(str(options[key])) or None

    match settings.backend:
        case "email":
            return EmailBackend(options, env("user_env"), env("password_env"))
        case "easit":
            return EasitBackend(options, env("api_key_env"))
        case "topdesk":
            return TopdeskBackend(options, env("user_env"), env("password_env"))
        case "webhook":
            return WebhookBackend(options, env("secret_env"))
    return None
