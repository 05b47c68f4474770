"""The e-mail backend: the ticket as a mail over SMTP with STARTTLS and authentication.

Every ITSM turns mail into tickets. The first caller's mail opens the ticket; a later caller
about the same incident is a reply to it (In-Reply-To and References, the same subject after
"Re: "), which ITSMs thread onto that ticket. The Message-ID comes from the outbox key, so a
mail sent again after a lost answer carries the same id and the ITSM can drop the repeat.
The password is never sent before STARTTLS: a server without it is refused.
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from flows.ticket import Ticket, follow_up_text
from ivr.tickets import TicketError

DOMAIN = "felsokningslinjen.invalid"  # the Message-ID's right side: ours, never a real host's


def message_id(key: str) -> str:
    """A stable Message-ID for an outbox key (at most 64 characters: the outbox keeps it as the ticket id)."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{DOMAIN}>"


class EmailBackend:
    """SMTP submission (port 587, STARTTLS, AUTH)."""

    name = "email"

    def __init__(self, options: Mapping[str, Any], user: str | None, password: str | None) -> None:
        self.options = options
        self.user = user
        self.password = password

    def create(self, ticket: Ticket, key: str) -> str | None:
        mail = self._mail(ticket.brief, ticket.text, key, ticket)
        self._send(mail)
        return str(mail["Message-ID"])

    def add(self, remote_id: str, ticket: Ticket, key: str) -> str | None:
        mail = self._mail(f"Re: {ticket.brief}", follow_up_text(ticket), key, ticket)
        mail["In-Reply-To"] = remote_id
        mail["References"] = remote_id
        self._send(mail)
        return str(mail["Message-ID"])

    def _mail(self, subject: str, body: str, key: str, ticket: Ticket) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = str(self.options["from"])
        mail["To"] = str(self.options["to"])
        mail["Subject"] = subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(key)
        mail["X-Felsokningslinjen-Code"] = ticket.code
        mail.set_content(body)
        return mail

    def _send(self, mail: EmailMessage) -> None:
        host, port = str(self.options["host"]), int(self.options["port"])
        context = ssl.create_default_context(cafile=self.options.get("ca_file") or None)
        try:
            with smtplib.SMTP(host, port, timeout=float(self.options["timeout_seconds"])) as smtp:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise TicketError(f"TLS: {host}:{port} offers no STARTTLS; the password is not sent in clear",
                                      False)
                smtp.starttls(context=context)
                smtp.ehlo()
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except TicketError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise TicketError(f"{exc.smtp_code}: the mail server refused the user name or password", False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise TicketError(f"the mail server refused the address {', '.join(exc.recipients)}", False) from None
        except smtplib.SMTPResponseException as exc:
            retry = 400 <= exc.smtp_code < 500  # 4xx: try later; 5xx: refused for good
            raise TicketError(f"{exc.smtp_code}: {_text(exc.smtp_error)}", retry) from None
        except socket.gaierror:
            raise TicketError(f"DNS: the mail server's address {host} could not be found", True) from None
        except ssl.SSLError as exc:
            raise TicketError(f"TLS: the mail server's certificate was not accepted ({exc.reason})", True) from None
        except TimeoutError:
            raise TicketError(f"timeout: {host}:{port} did not answer in time", True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TicketError(f"connection: {host}:{port}: {exc}", True) from None


def _text(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value)[:160]
