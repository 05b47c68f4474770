"""When the line fails: the call goes on without the database, or a person is offered it, screened.

The rule "Chef i beredskap only after every step" holds here too:
- Twilio's fallback URL continues the failed request's turn from the state its
  URL carried (Twilio sends that URL as ErrorUrl), so the checklist runs on;
- when that is impossible, or on any unexpected error: IT support in office
  hours; after hours the on-call chain may be offered the call, but only
  screened, with a whisper saying that the line failed and the steps were not
  done, so the manager decides. Never an unscreened dial to an on-call number.
Either way the admins get one SMS (ivr/operations/repair_alert.py) so that someone repairs
the line.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from flows.phone import national, phone_number, spoken_number
from ivr import parts
from ivr.channels.voice.render import VoiceRenderer
from ivr.channels.voice.turns import YES, continue_after_failure
from ivr.channels.voice.twiml import dial_bridged, hang_up, query_int, twiml
from ivr.conversation.on_call import DIAL_CONNECTED
from ivr.operations import metrics, repair_alert
from ivr.web.turn_context import turn_context

bp = Blueprint("fallback", __name__)


@bp.before_request
def without_the_database() -> None:
    """Every fault route's context from memory: the database may be what failed (not even the swap cache
    is refreshed; it keeps the swaps it last read)."""
    turn_context(memory_only=True)


def manager_voice() -> VoiceRenderer:
    """The line's first language: the fault path knows nothing of the call's own."""
    line = turn_context().line
    return VoiceRenderer(line, line.settings.default_language)


def fault_twiml() -> VoiceResponse:
    """Apologise; then IT support in office hours, or a screened offer to the on-call chain after hours.

    Uses only what is in memory (checklists, settings, the clock), never the database.
    """
    context, voice = turn_context(memory_only=True), manager_voice()
    line = context.line
    response = VoiceResponse()
    if context.office_hours:
        voice.say(response, voice.text("error_office"))
        voice.dial(response, str(line.settings.it_support.number), "/voice/fallback/dial?to=it_support")
        return response
    voice.say(response, voice.text("error_after"))
    voice.dial_on_call_after_fault(response, 0, line.roster.chain_at(context.now)[0].number)
    return response


@bp.route("/voice/fallback", methods=["POST"])
def voice_fallback() -> Response:
    """Twilio's fallback URL: called when the main webhook failed or timed out."""
    error_url = request.form.get("ErrorUrl", "")
    current_app.logger.error("voice fallback used for call %s (error %s)", request.form.get("CallSid", "?"),
                             request.form.get("ErrorCode", "?")[:8])
    metrics.fallback_used()
    repair_alert.line_failed("fallback")
    return continue_after_failure(error_url) or twiml(fault_twiml())


@bp.route("/voice/fallback/whisper", methods=["POST"])
def fault_whisper() -> Response:
    """The on-call manager's leg after a fault: the line failed, the steps were not done; press 1 to take it."""
    # The leg shows the caller's number as its From (Twilio's default caller ID for <Dial>).
    return twiml(manager_voice().fault_whisper(phone_number(request.form.get("From", "")) or ""))


@bp.route("/voice/fallback/whisper/accept", methods=["POST"])
def fault_whisper_accept() -> Response:
    """1 bridges the call; anything else hangs up the manager's leg."""
    if request.form.get("Digits", "") == YES:
        return twiml(VoiceResponse())  # an empty response bridges the two legs
    return twiml(manager_voice().declined())


@bp.route("/voice/fallback/dial", methods=["POST"])
def fallback_dial() -> Response:
    """After a fault path's dial: done, the next on-call number (screened), or what to do now."""
    context, voice = turn_context(memory_only=True), manager_voice()
    target = request.args.get("to")
    # An on-call leg is connected only once its screening let it through; IT support when it answered.
    connected = dial_bridged() if target == "on_call" else request.form.get("DialCallStatus") in DIAL_CONNECTED
    if connected:
        return twiml(hang_up())
    attempt = query_int("attempt") + 1
    chain = context.line.roster.chain_at(context.now)
    if target == "on_call" and attempt < len(chain):
        response = VoiceResponse()
        voice.say(response, voice.text("on_call_next"))
        voice.dial_on_call_after_fault(response, attempt, chain[attempt].number)
        return twiml(response)
    if target == "on_call":
        return twiml(voice.goodbye("on_call_unreachable"))
    return twiml(voice.goodbye("it_support_unanswered"))


@bp.route("/healthz", methods=["GET"])
def healthz() -> tuple[dict[str, str], int]:
    """Liveness and the database: 200 when it answers at the schema this program needs, 503 otherwise."""
    try:
        turn_context().store.check_schema()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        current_app.logger.error("health check: database unavailable: %s", exc)
        return {"status": "degraded", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}, 200


def handle_error(error: Exception) -> Response | HTTPException:
    """Never a silent call: any unexpected error on a voice webhook still returns TwiML."""
    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("unexpected error on %s", request.path)
    repair_alert.line_failed("error")
    if request.path.startswith(("/voice/whisper", "/voice/fallback/whisper")):
        # The manager's leg: hang it up, so the caller's dial moves on to the next number.
        metrics.error_answered("whisper")
        return twiml(hang_up())
    if request.path.startswith("/voice/status"):
        metrics.error_answered("status")
        return twiml(VoiceResponse())  # Twilio reads nothing from a status callback's answer
    if request.path.startswith("/sms"):
        metrics.error_answered("sms")
        return sms_error()
    metrics.error_answered("voice")
    try:
        return twiml(fault_twiml())
    except Exception:  # noqa: BLE001 - the last resort must not fail
        current_app.logger.exception("fault TwiML failed too")
        return twiml(last_resort())


def last_resort() -> VoiceResponse:
    """The fault answer failed too: IT support's number from line.yaml, read from memory alone, then hang up."""
    response = VoiceResponse()
    try:
        number = spoken_number(str(parts.line().settings.it_support.number))
    except Exception:  # noqa: BLE001 - not even the line: the sentence without a number, never silence
        current_app.logger.exception("no IT support number for the last-resort answer")
        response.say("Tekniskt fel. Ring IT-supporten.", language="sv-SE")
    else:
        response.say(f"Tekniskt fel. Ring IT-supporten på {number}.", language="sv-SE")
    response.hangup()
    return response


def sms_error() -> Response:
    """A reply that names IT support and when it opens; it never promises a connection."""
    context = turn_context(memory_only=True)
    line, now = context.line, context.now
    lang = line.settings.default_language
    number = national(line.settings.it_support.number or "")
    if context.office_hours:
        text = line.messages.get("sms", "error_office", lang, it_support=number, portal=line.settings.it_portal_url)
    else:
        text = line.messages.get("sms", "error_after", lang, it_support=number, portal=line.settings.it_portal_url,
                                 opening=line.calendar.describe_next_opening(now, lang))
    reply = MessagingResponse()
    reply.message(text)
    return Response(str(reply), mimetype="text/xml")


def init_app(app: Flask) -> None:
    """Register the fallback routes and the error handler."""
    app.register_blueprint(bp)
    app.register_error_handler(Exception, handle_error)
