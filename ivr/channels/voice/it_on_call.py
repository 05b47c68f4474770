"""The call that connects Chef i beredskap to IT-beredskapen, after she replied IT (ivr/channels/sms/manager_sms.py).

The line calls her (through the outbox); her call runs this TwiML: a sentence of what it is, press 1.
Then IT-beredskapen is dialled with screening: their whisper gives the incident in one breath (system,
who has the fault and the facts, how many callers and workplaces, since when) and they press 1 too, so a
voicemail never takes the call. Their 1 marks the incident escalated.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from flows.events import EventKind
from flows.facts import statements
from flows.incidents import Incident, IncidentState
from flows.model import Outcome
from flows.routing import Decision
from ivr.channels.voice.render import VoiceRenderer, url
from ivr.channels.voice.twiml import query_int, twiml
from ivr.store import StoreError
from ivr.store.incidents import IncidentStore
from ivr.web.turn_context import turn_context

bp = Blueprint("it_on_call", __name__, url_prefix="/voice/it")
log = logging.getLogger(__name__)

ACCEPT_KEY = "1"


def renderer() -> VoiceRenderer:
    """The line's first language: the manager and IT-beredskapen are the municipality's own staff."""
    line = turn_context().line
    return VoiceRenderer(line, line.settings.default_language)


def incident() -> Incident | None:
    """The incident named in the URL."""
    try:
        return IncidentStore(turn_context().store).get(query_int("incident"))
    except StoreError as exc:
        log.error("IT-beredskapen call: the incident could not be read (%s)", exc)
        return None


@bp.post("/manager")
def manager() -> Response:
    """Chef i beredskap answered the line's call: what it is, press 1 to be connected."""
    voice, found = renderer(), incident()
    it_on_call = turn_context().line.settings.it_on_call
    if found is None or it_on_call is None or not it_on_call.number:
        return twiml(voice.goodbye("it_call_gone", number=voice.it_on_call_number()))
    system = turn_context().line.library.by_id(found.system).name[voice.lang]
    return twiml(voice.screening([voice.text("it_call_intro", system=system)],
                                 url("/voice/it/manager/accept", incident=found.id), press="it_call_press"))


@bp.post("/manager/accept")
def manager_accept() -> Response:
    """Her 1: dial IT-beredskapen, screened; anything else ends the call."""
    voice, found = renderer(), incident()
    it_on_call = turn_context().line.settings.it_on_call
    if request.form.get("Digits", "") != ACCEPT_KEY:
        return twiml(voice.declined())
    if found is None or it_on_call is None or not it_on_call.number:
        return twiml(voice.goodbye("it_call_gone", number=voice.it_on_call_number()))
    response = VoiceResponse()
    voice.say(response, voice.text("it_call_connecting"))
    voice.screened_dial(response, it_on_call.number, url("/voice/it/dial", incident=found.id),
                        url("/voice/it/whisper", incident=found.id))
    return twiml(response)


@bp.post("/whisper")
def whisper() -> Response:
    """IT-beredskapen's leg: the incident in one breath, press 1."""
    voice, found = renderer(), incident()
    if found is None:
        return twiml(voice.declined())
    return twiml(voice.screening(whisper_texts(found, voice), url("/voice/it/whisper/accept", incident=found.id)))


@bp.post("/whisper/accept")
def whisper_accept() -> Response:
    """IT-beredskapen's 1 bridges the call and marks the incident escalated."""
    context, voice = turn_context(), renderer()
    if request.form.get("Digits", "") != ACCEPT_KEY:
        return twiml(voice.declined())
    incident_id = query_int("incident")
    try:
        with context.store.session(f"admin:incident:{incident_id}", "admin", context.now) as record:
            incidents = IncidentStore(context.store)
            found = incidents.get(incident_id, via=record)
            if found is not None and incidents.move(incident_id, IncidentState.ESCALATED, "it_on_call", context.now,
                                                    via=record):
                record.add_event(EventKind.INCIDENT_ESCALATED, {"incident": incident_id}, found.system)
    except StoreError as exc:
        log.error("IT-beredskapen pressed 1, not stored (%s); bridging anyway", exc)
    return twiml(VoiceResponse())  # an empty response bridges the two legs


@bp.post("/dial")
def dial_result() -> Response:
    """After the dial to IT-beredskapen: hang up when it was answered, else give her their number."""
    voice = renderer()
    if request.form.get("DialCallStatus") == "completed" or request.form.get("DialBridged") == "true":
        response = VoiceResponse()
        response.hangup()
        return twiml(response)
    return twiml(voice.goodbye("it_call_unanswered", number=voice.it_on_call_number()))


def whisper_texts(found: Incident, voice: VoiceRenderer) -> list[str]:
    """"Felsökningslinjen. Chef i beredskap vill ha IT-beredskapen. Viva fungerar inte för flera. Nätet
    fungerar. 3 samtal, 2 arbetsplatser, sedan klockan 21.50."."""
    line = turn_context().line
    facts = agreed_facts(IncidentStore(turn_context().store).facts(found.id))
    since = f"{line.calendar.local(found.opened_at):%H.%M}"
    places = (voice.text("it_whisper_places", count=len(found.workplaces)) if found.workplaces else "")
    return [voice.text_whisper("intro"), voice.text("it_whisper_intro"),
            *statements(line, Decision(Outcome.ON_CALL_MANAGER, found.system, facts), voice.lang),
            voice.text("it_whisper_counts", count=found.callers, time=since) + places]


def agreed_facts(reported: list[dict[str, Any]]) -> dict[str, Any]:
    """The facts the callers agree on (the most given value of each; a tie is left out)."""
    agreed: dict[str, Any] = {}
    names = {name for facts in reported for name in facts}
    for name in sorted(names):
        counted = Counter(str(facts[name]) for facts in reported if name in facts).most_common(2)
        if len(counted) == 1 or counted[0][1] > counted[1][1]:
            value = next(facts[name] for facts in reported if str(facts.get(name)) == counted[0][0])
            agreed[name] = value
    return agreed
