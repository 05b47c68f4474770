"""The TOPdesk backend: an incident through TOPdesk's REST API.

TOPdesk's incident API (developers.topdesk.com, API explorer "Incident Management":
createIncident and updateIncidentById): POST {base}/tas/api/incidents with an application
password (HTTP basic authentication: the operator's login name and the application password),
and a body with the caller (a looked-up person by e-mail, or an unregistered caller's
dynamicName and phone number), briefDescription (at most 80 characters), request (HTML: <br>
for line breaks), externalNumber (the receipt code), and optional category and operatorGroup.
It answers 201 with the incident, whose id (a UUID) is kept. A later caller about the same
incident is an action on it: PUT {base}/tas/api/incidents/id/{id} with {"action": ...}.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from flows.ticket import BRIEF_MAX, Ticket, follow_up_text
from ivr.tickets.http import send_json


def as_html(text: str) -> str:
    """Plain text as TOPdesk's request and action fields show it: escaped, a <br> a line."""
    return "<br>".join(html.escape(line) for line in text.rstrip("\n").split("\n"))


class TopdeskBackend:
    """TOPdesk's incident API."""

    name = "topdesk"

    def __init__(self, options: Mapping[str, Any], user: str | None, password: str | None) -> None:
        self.options = options
        self.auth = (user or "", password or "")
        self.base = str(options["url"]).rstrip("/") + "/tas/api/incidents"

    def create(self, ticket: Ticket, key: str) -> str | None:
        body: dict[str, Any] = {"briefDescription": ticket.brief[:BRIEF_MAX], "request": as_html(ticket.text),
                                "externalNumber": ticket.code}
        lookup = self.options.get("caller_lookup_email")
        if lookup:
            body["callerLookup"] = {"email": str(lookup)}
        else:  # an unregistered caller: the line's name, and the number IT support calls back (where allowed)
            body["caller"] = {"dynamicName": str(self.options["caller_name"]),
                              **({"phoneNumber": ticket.caller} if ticket.caller else {})}
        if self.options.get("category"):
            body["category"] = {"name": str(self.options["category"])}
        if self.options.get("operator_group_id"):
            body["operatorGroup"] = {"id": str(self.options["operator_group_id"])}
        answer = self._send("POST", self.base, body)
        return str(answer["id"])[:64] if isinstance(answer, dict) and answer.get("id") else None

    def add(self, remote_id: str, ticket: Ticket, key: str) -> str | None:
        self._send("PUT", f"{self.base}/id/{remote_id}", {"action": as_html(follow_up_text(ticket))})
        return remote_id

    def _send(self, method: str, url: str, body: dict[str, Any]) -> Any:
        return send_json(method, url, json.dumps(body, ensure_ascii=False).encode(),
                         timeout=float(self.options["timeout_seconds"]), auth=self.auth)
