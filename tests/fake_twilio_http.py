"""A fake at Twilio's HTTP boundary: the real REST client, no network."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from twilio.http import HttpClient
from twilio.http.response import Response


class FakeTwilioHttp(HttpClient):
    """Records every REST request and answers like the Twilio API would."""

    def __init__(self, status: int = 201, statuses: list[int] | None = None) -> None:
        """status: every answer's; statuses: the first answers' in order (500, 500, 201), then status."""
        super().__init__(logger=None, is_async=False)  # type: ignore[arg-type]
        self.requests: list[dict[str, Any]] = []
        self.status = status
        self.statuses = list(statuses or [])

    def request(self, method: str, uri: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: Any = None, allow_redirects: bool = False) -> Response:
        """Record the request; answer with a resource carrying a new sid."""
        self.requests.append({"method": method, "path": urlparse(uri).path, "data": dict(data or {})})
        status = self.statuses.pop(0) if self.statuses else self.status
        if status >= 500:
            return Response(status, json.dumps({"code": 20500, "message": "internal error", "status": status}))
        if status >= 400:
            return Response(status, json.dumps({"code": 21211, "message": "refused", "status": status}))
        prefix = "CA" if uri.endswith("/Calls.json") else "SM"
        sid = f"{prefix}{len(self.requests):032d}"
        return Response(status, json.dumps({"sid": sid, "status": "queued", **dict(data or {})}))

    def paths(self) -> list[str]:
        """The REST paths called, in order."""
        return [request["path"] for request in self.requests]
