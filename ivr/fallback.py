"""When anything fails: TwiML that still helps the caller, with no database needed."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from ivr import deps
from ivr.speech import national
from ivr.voice import query_int, twiml
from ivr.voice_twiml import VoiceRenderer, url

bp = Blueprint("fallback", __name__)


def emergency_twiml() -> VoiceResponse:
    """Apologise, then IT support in office hours or the on-call chain after hours.

    Uses only what is in memory (checklists, settings, the clock), never the
    database, so it works when the database is down. The usual checklist is
    skipped here on purpose: the line itself failed, so a person must help.
    """
    line = deps.line()
    voice = VoiceRenderer(line, line.settings.default_language)
    response = VoiceResponse()
    if line.calendar.is_office_hours(deps.now()):
        voice.say(response, voice.text("error_office"))
        voice.dial(response, str(line.settings.it_support.number), "/voice/fallback/dial?to=it_support")
        return response
    voice.say(response, voice.text("error_after"))
    dial_on_call_plain(response, voice, attempt=0)
    return response


def dial_on_call_plain(response: VoiceResponse, voice: VoiceRenderer, attempt: int) -> None:
    """Dial one on-call number without screening: screening needs the database."""
    chain = voice.line.roster.chain_at(deps.now())
    response.dial(
        chain[min(attempt, len(chain) - 1)].number, action=url("/voice/fallback/dial", to="on_call", attempt=attempt),
        method="POST", timeout=voice.line.settings.dial_timeout,
    )


@bp.route("/voice/fallback", methods=["POST"])
def voice_fallback() -> Response:
    """Twilio's fallback URL: called when the main webhook failed or timed out."""
    current_app.logger.error("voice fallback used for call %s", request.form.get("CallSid", "?"))
    return twiml(emergency_twiml())


@bp.route("/voice/fallback/dial", methods=["POST"])
def fallback_dial() -> Response:
    """After a fallback dial: done, the next on-call number, or what to do now."""
    line = deps.line()
    voice = VoiceRenderer(line, line.settings.default_language)
    response = VoiceResponse()
    if request.form.get("DialCallStatus") == "completed":
        response.hangup()
        return twiml(response)
    attempt = query_int("attempt") + 1
    if request.args.get("to") == "on_call" and attempt < len(line.roster.chain_at(deps.now())):
        dial_on_call_plain(response, voice, attempt)
        return twiml(response)
    key = "it_support_unanswered" if request.args.get("to") == "it_support" else "give_up_after"
    return twiml(voice.goodbye(key, it_support=voice.it_support_number()))


@bp.route("/healthz", methods=["GET"])
def healthz() -> tuple[dict[str, str], int]:
    """Liveness and the database: 200 when it answers at the schema this program needs, 503 otherwise."""
    try:
        deps.store().check_schema()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        current_app.logger.error("health check: database unavailable: %s", exc)
        return {"status": "degraded", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}, 200


def handle_error(error: Exception) -> Response | HTTPException:
    """Never a silent call: any unexpected error on a voice webhook still returns TwiML."""
    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("unexpected error on %s", request.path)
    if request.path.startswith("/voice/whisper"):
        # The manager's leg: hang it up, so the caller's dial moves on to the next number.
        response = VoiceResponse()
        response.hangup()
        return twiml(response)
    if request.path.startswith("/sms"):
        return sms_error()
    try:
        return twiml(emergency_twiml())
    except Exception:  # noqa: BLE001 - the last resort must not fail
        current_app.logger.exception("emergency TwiML failed too")
        response = VoiceResponse()
        response.say("Tekniskt fel. Ring IT-supporten på 0 1 4 1, 2 2, 5 0, 4 7.", language="sv-SE")
        response.hangup()
        return twiml(response)


def sms_error() -> Response:
    """A reply that tells the texter whom to contact, in or out of office hours."""
    line = deps.line()
    lang = line.settings.default_language
    key = "error_office" if line.calendar.is_office_hours(deps.now()) else "error_after"
    number = line.settings.it_support.number or ""
    reply = MessagingResponse()
    reply.message(line.messages.get("sms", key, lang, it_support=national(number), portal=line.settings.it_portal_url))
    return Response(str(reply), mimetype="text/xml")


def init_app(app: Flask) -> None:
    """Register the fallback routes and the error handler."""
    app.register_blueprint(bp)
    app.register_error_handler(Exception, handle_error)
