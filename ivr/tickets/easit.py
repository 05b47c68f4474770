"""The Easit GO backend: an item through the integration API's import handler.

Easit GO's integration API (documented by Easit in docs.easitgo.com "Integration API", and
used as shown in easitab/Easit.GO.Webservice, Send-ToEasitGO): POST {base}/integration-api/items,
HTTP basic authentication with the API key as the user name and an empty password, and a body

    {"importHandlerIdentifier": "<the handler the IT unit set up>",
     "itemToImport": [{"id": "1", "uid": "<our key>", "property": [{"name": "...", "content": "..."}]}]}

The import handler maps the properties onto the item (an ärende); their names are configurable
(tickets.easit.properties). A later caller about the same incident is a second import with the
item's ID property set: the handler updates that item, adding the note. The answer's
importItemResult returns the new item's databaseId, kept as the ticket's id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from flows.ticket import Ticket, follow_up_text
from ivr.tickets import TicketError
from ivr.tickets.http import send_json


class EasitBackend:
    """Easit GO's integration API."""

    name = "easit"

    def __init__(self, options: Mapping[str, Any], api_key: str | None) -> None:
        self.options = options
        self.api_key = api_key or ""
        self.url = str(options["url"]).rstrip("/") + "/integration-api/items"

    def create(self, ticket: Ticket, key: str) -> str | None:
        names = self.options["properties"]
        properties = {names["subject"]: ticket.brief, names["description"]: ticket.text,
                      names["reference"]: ticket.code}
        return self._import(properties, key)

    def add(self, remote_id: str, ticket: Ticket, key: str) -> str | None:
        names = self.options["properties"]
        self._import({names["id"]: remote_id, names["description"]: follow_up_text(ticket)}, key)
        return remote_id

    def _import(self, properties: dict[str, str], key: str) -> str | None:
        listed = [{"name": name, "content": value} for name, value in properties.items()]
        body = {"importHandlerIdentifier": str(self.options["import_handler"]),
                "itemToImport": [{"id": "1", "uid": hashlib.sha256(key.encode()).hexdigest()[:32], "property": listed}]}
        answer = send_json("POST", self.url, json.dumps(body, ensure_ascii=False).encode(),
                           timeout=float(self.options["timeout_seconds"]), auth=(self.api_key, ""))
        return database_id(answer)


def database_id(answer: Any) -> str | None:
    """The item's databaseId from an import answer; TicketError when the import handler reports an error."""
    results = answer.get("importItemResult") if isinstance(answer, dict) else None
    if not isinstance(results, list) or not results:
        return None
    result = results[0] if isinstance(results[0], dict) else {}
    if str(result.get("result", "OK")).upper() not in ("OK", "CREATED", "UPDATED"):
        raise TicketError(f"Easit GO refused the item: {result.get('message') or result.get('result')}", False)
    values = (result.get("returnValues") or {}).get("returnValue") or []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, dict) and value.get("name") == "databaseId" and value.get("content"):
            return str(value["content"])[:64]
    return None
