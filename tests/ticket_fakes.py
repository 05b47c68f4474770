"""Real servers on loopback for the ticket backends: SMTP (aiosmtpd, STARTTLS and AUTH) and HTTP fakes.

The HTTP fakes answer as the vendors document (each names its document); a test scripts their answers
(201 with an id, 400 with a message, 401, 503, a timeout) and reads every request they got.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SMTP_USER, SMTP_PASSWORD = "linjen", "not-a-real-password"


@pytest.fixture(scope="session")
def loopback_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), the mail server's; the client trusts it as its CA."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@dataclass
class Mailbox:
    """What the SMTP server received: each mail, parsed, and who logged in."""

    mails: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    starttls: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.starttls.append(session.ssl is not None)
        self.mails.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox
    ca_file: str


@pytest.fixture
def smtp_server(loopback_cert: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """aiosmtpd on a loopback port: STARTTLS required, AUTH required (only after TLS)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = loopback_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    mailbox = Mailbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == SMTP_USER \
            and data.password.decode() == SMTP_PASSWORD
        if ok:
            mailbox.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    with socket.socket() as probe:  # aiosmtpd's Controller checks its port by connecting: it needs a real one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            auth_required=True, auth_require_tls=True, authenticator=authenticator)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox, str(cert))
    finally:
        controller.stop()


@dataclass
class Seen:
    """One request the fake got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FakeITSM:
    """A loopback HTTP server with scripted answers: (status, JSON body) each, or "timeout"."""

    def __init__(self, default: tuple[int, Any]) -> None:
        self.seen: list[Seen] = []
        self.script: list[tuple[int, Any] | str] = []
        self.default = default
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake.seen.append(Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length)))
                answer = fake.script.pop(0) if fake.script else fake.default
                if answer == "timeout":
                    time.sleep(1.5)  # past the backend's timeout in the test's settings
                    answer = fake.default
                status, body = answer
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_PATCH = _any  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeITSM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# Easit GO's integration API answer to an import (docs.easitgo.com, Integration API, "items": the
# importItemResult of each itemToImport, with the item's databaseId among its returnValues).
def easit_created(database_id: str) -> dict[str, Any]:
    return {"importItemResult": [{"id": "1", "result": "OK",
                                  "returnValues": {"returnValue": [{"name": "databaseId", "content": database_id}]}}]}


# TOPdesk's createIncident answers 201 with the incident (developers.topdesk.com, Incident API): id and number.
def topdesk_created(incident_id: str, number: str = "I 2611 042") -> dict[str, Any]:
    return {"id": incident_id, "number": number, "briefDescription": "…"}
