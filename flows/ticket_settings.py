"""The `tickets:` section of config/line.yaml: which ITSM the line files tickets in, and how to reach it.

Only addresses and names live in the file; every secret (SMTP password, Easit API key, TOPdesk
application password, webhook secret) is read from the environment variable the section names,
when a ticket is sent, so `ivr reload` and a rotated secret need no restart. `backend: none` (the
default) files nothing and the caller is told nothing about a ticket.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.yamlfile import Problems, join

BACKENDS = ("none", "email", "easit", "topdesk", "webhook")
TOP_KEYS = ("backend", "caller_number", "alert_after_minutes", "decline_seconds", *BACKENDS[1:])
# Per backend: (required keys, optional keys with their defaults). *_env keys name environment variables.
SPEC: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "email": (("host", "from", "to"), {"port": 587, "user_env": "IVR_SMTP_USER",
                                       "password_env": "IVR_SMTP_PASSWORD", "timeout_seconds": 10,
                                       # a CA bundle for a municipality's own certificate authority
                                       "ca_file": None}),
    # Easit GO: the import handler the IT unit set up for the line, and the names of its properties.
    "easit": (("url", "import_handler"), {"api_key_env": "IVR_EASIT_API_KEY", "timeout_seconds": 10,
                                          "properties": {"subject": "Subject", "description": "Description",
                                                         "reference": "ExternalReference", "id": "ID"}}),
    "topdesk": (("url",), {"user_env": "IVR_TOPDESK_USER", "password_env": "IVR_TOPDESK_APP_PASSWORD",
                           "caller_name": "Felsökningslinjen", "caller_lookup_email": None,
                           "category": None, "operator_group_id": None, "timeout_seconds": 10}),
    "webhook": (("url",), {"secret_env": "IVR_TICKET_WEBHOOK_SECRET", "timeout_seconds": 10}),
}
ENV_KEYS = {"email": ("user_env", "password_env"), "easit": ("api_key_env",),
            "topdesk": ("user_env", "password_env"), "webhook": ("secret_env",)}


@dataclass(frozen=True)
class TicketSettings:
    """The tickets section, checked."""

    backend: str = "none"
    caller_number: bool = True  # the ticket holds the caller's number: IT support calls back
    alert_after_minutes: int = 120  # a ticket not filed this long: the admins get one SMS
    # The caller may decline her ticket (key 9, INGET ÄRENDE) this long after her outcome: the ticket (and
    # the receipt that mentions it) wait this long in the outbox before they are first tried.
    decline_seconds: int = 60
    options: Mapping[str, Any] = field(default_factory=dict)  # the chosen backend's own keys, defaults filled

    @property
    def enabled(self) -> bool:
        """True when a backend is chosen."""
        return self.backend != "none"

    def missing_environment(self) -> list[str]:
        """The environment variables the chosen backend needs and the process does not have."""
        names = [str(self.options[key]) for key in ENV_KEYS.get(self.backend, ())]
        return [name for name in names if not os.environ.get(name)]


def parse_tickets(value: Any, problems: Problems) -> TicketSettings:
    """The section (absent: no tickets); every problem names its field."""
    if value is None:
        return TicketSettings()
    data = problems.mapping(value, "tickets") or {}
    problems.keys(data, "tickets", (), TOP_KEYS)
    backend = data.get("backend", "none")
    if backend not in BACKENDS:
        problems.add("tickets.backend", f"must be one of: {', '.join(BACKENDS)}")
        backend = "none"
    caller_number = data.get("caller_number", True)
    if not isinstance(caller_number, bool):
        problems.add("tickets.caller_number", "must be true or false")
        caller_number = True
    alert = data.get("alert_after_minutes", 120)
    if isinstance(alert, bool) or not isinstance(alert, int) or alert < 1:
        problems.add("tickets.alert_after_minutes", "must be a whole number of at least 1")
        alert = 120
    decline = data.get("decline_seconds", 60)
    if isinstance(decline, bool) or not isinstance(decline, int) or not 0 <= decline <= 600:
        problems.add("tickets.decline_seconds", "must be a whole number of seconds from 0 to 600")
        decline = 60
    options: dict[str, Any] = {}
    if backend != "none":
        path = join("tickets", backend)
        section = problems.mapping(data.get(backend), path) if backend in data else None
        if section is None:
            if backend not in data:
                problems.add(path, f"missing: backend {backend} needs its settings here")
            section = {}
        required, optional = SPEC[backend]
        problems.keys(section, path, required, optional)
        options = {**optional, **section}
        _check_options(backend, options, path, problems)
    return TicketSettings(backend, caller_number, alert, decline, options)


def _check_options(backend: str, options: dict[str, Any], path: str, problems: Problems) -> None:
    for key in ("url",):
        url = options.get(key)
        if key in options and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            problems.add(join(path, key), "must be a web address starting with https://")
    for key in ENV_KEYS[backend]:
        name = options.get(key)
        if not (isinstance(name, str) and name.isidentifier()):
            problems.add(join(path, key), "must be the name of an environment variable (the secret is never here)")
    timeout = options.get("timeout_seconds")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 60:
        problems.add(join(path, "timeout_seconds"), "must be a whole number of seconds from 1 to 60")
    if backend == "email":
        for key in ("host", "from", "to"):
            if key in options and not (isinstance(options[key], str) and options[key].strip()):
                problems.add(join(path, key), "must be a text")
        for key in ("from", "to"):
            if isinstance(options.get(key), str) and "@" not in options[key]:
                problems.add(join(path, key), "must be an e-mail address")
        port = options.get("port")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            problems.add(join(path, "port"), "must be a port number, e.g. 587")
    if backend == "easit":
        if "import_handler" in options and not (isinstance(options["import_handler"], str)
                                                and options["import_handler"].strip()):
            problems.add(join(path, "import_handler"), "must be the import handler's identifier in Easit GO")
        props = options.get("properties")
        defaults = SPEC["easit"][1]["properties"]
        if not isinstance(props, Mapping) or any(not isinstance(value, str) for value in props.values()):
            problems.add(join(path, "properties"), "must map subject, description, reference, id to property names")
        else:
            unknown = [key for key in props if key not in defaults]
            for key in unknown:
                problems.add(join(path, f"properties.{key}"), f"unknown (expected: {', '.join(defaults)})")
            options["properties"] = {**defaults, **props}
