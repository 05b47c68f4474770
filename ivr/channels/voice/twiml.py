"""What the voice webhooks and the fallback read from a Twilio request, and how they answer it."""

from __future__ import annotations

import hashlib
import html
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from ivr.channels.voice.carried_state import carry


def twiml(response: VoiceResponse) -> Response:
    """A TwiML HTTP response."""
    return Response(str(response), mimetype="text/xml")


def hang_up() -> VoiceResponse:
    """TwiML that only hangs up: the call (or the manager's leg) is over."""
    response = VoiceResponse()
    response.hangup()
    return response


def query_int(name: str) -> int:
    """A small whole number from our own action URL's query; 0 if it was tampered into anything else."""
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 3 else 0


# Twilio's SIDs are 34 characters ("CA" and 32 hex digits); the store keeps a session id of up to 100.
MAX_SID_CHARS = 64


def call_sid() -> str:
    """The CallSid of this webhook; a request without one is not from Twilio's voice API.

    A longer one (today only a forged, signed request sends one) still gets its call's state, under a stable
    stand-in that fits the store: refused there, it was a logged error and the fault answer on every turn.
    """
    sid = request.form.get("CallSid", "") or "unknown"
    if len(sid) <= MAX_SID_CHARS:
        return sid
    return "CA~" + hashlib.blake2b(sid.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def dial_bridged() -> bool:
    """Twilio's own word that a <Dial> ended bridged: with screening, only after the whisper let it through."""
    return request.form.get("DialBridged", "").strip().lower() == "true"


# Letters and digits only, so that XML escaping leaves it as it is in the serialised text.
PLACEHOLDER = "IVRSTATETOKEN7Q"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


@dataclass(frozen=True)
class PromptTemplate:
    """A prompt the twilio builders built, serialised once: without the state token, and split where it goes."""

    tree: VoiceResponse  # as built, for reading only (never carried into, never serialised again)
    plain: str  # the XML without a token (a prompt no turn carried state into)
    parts: tuple[str, ...]  # the XML with the token's place cut out of every URL back to the line

    @classmethod
    def of(cls, build: Callable[[], VoiceResponse]) -> PromptTemplate:
        """Build twice: once as it is, once with the placeholder token carried into its URLs."""
        tree = build()
        marked = build()
        carry(marked, PLACEHOLDER)
        return cls(tree, tree.to_xml(xml_declaration=False),
                   tuple(marked.to_xml(xml_declaration=False).split(PLACEHOLDER)))


def attribute_text(text: str) -> str:
    """text escaped for a double-quoted XML attribute byte for byte as ElementTree writes one (', unlike ",
    stays as it is), so a turn's prompt is the bytes a whole build would give (tests/test_prompts.py).

    html.escape, not xml.sax.saxutils: every worker has imported html already (Werkzeug, Jinja), while
    xml.sax is 8 modules and ~0.2 MiB of every worker that nothing else it runs imports (measured
    December 2026 on a started app).
    """
    return html.escape(text, quote=False).replace('"', "&quot;")


class Prompt(VoiceResponse):  # type: ignore[misc]  # twilio has no types
    """One turn's copy of a shared PromptTemplate: only the state token is put in, XML-escaped.

    Why (measured, bench/README.md, December 2026): building a menu or a step with the twilio
    builders and serialising it was ~15 % of a turn (pronunciation pieces, SSML, ElementTree),
    while the same few prompts are said again and again. It refuses new verbs: a shared prompt
    must not change.
    """

    def __init__(self, template: PromptTemplate) -> None:
        super().__init__()
        self.template = template
        self.verbs = template.tree.verbs  # read-only: Prompt takes no new verbs
        self.token: str | None = None

    def carry_token(self, token: str) -> None:
        """The call's state token for every URL back to the line (ivr/channels/voice/carried_state.carry)."""
        self.token = token

    def nest(self, verb: Any) -> Any:
        """Refused: the prompt is shared by every turn that says it."""
        raise TypeError("a prompt is built once and shared: it takes no new verbs")

    def append(self, verb: Any) -> Any:
        """Refused, as nest()."""
        raise TypeError("a prompt is built once and shared: it takes no new verbs")

    def to_xml(self, xml_declaration: bool = True) -> str:
        """The shared XML with this turn's token in its place."""
        body = self.template.plain if self.token is None else \
            attribute_text(self.token).join(self.template.parts)
        return XML_DECLARATION + body if xml_declaration else body

    def xml(self) -> ET.Element:
        """The element tree of this turn's XML."""
        return ET.fromstring(self.to_xml(xml_declaration=False))
