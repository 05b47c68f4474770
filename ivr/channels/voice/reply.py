"""A conversation's answer (ivr/conversation/reply.py) as a call hears it: TwiML from the twilio builders."""

from __future__ import annotations

from typing import assert_never

from twilio.twiml.voice_response import VoiceResponse

from flows import engine
from ivr.channels.voice.render import VoiceRenderer
from ivr.channels.voice.twiml import hang_up
from ivr.conversation.dispatch import WAIT_ROUND_SECONDS
from ivr.conversation.reply import (
    BadAnswer,
    BadSystem,
    CallBack,
    DialNext,
    Ended,
    Finished,
    Goodbye,
    HangUp,
    Menu,
    Notice,
    Part,
    PinPrompt,
    PinRetry,
    Question,
    ResumeOffer,
    Say,
    Text,
    Transfer,
    Wait,
    WhichSystem,
    words,
)
from ivr.web.turn_context import turn_context


def render(parts: list[Part], lang: str) -> VoiceResponse:
    """The TwiML for a turn's answer: a call's answer is one part."""
    assert len(parts) == 1, parts
    return render_part(parts[0], VoiceRenderer(turn_context().line, lang))


def render_part(part: Part, voice: VoiceRenderer) -> VoiceResponse:
    """One part as TwiML."""
    match part:
        case Menu(preface, welcome):
            return voice.menu(words(voice, preface), welcome=welcome)
        case BadSystem():
            return voice.menu([voice.text("bad_menu_key")])
        case WhichSystem():
            return voice.menu()  # a key names one system or none
        case ResumeOffer(turn, preface, welcome):
            return voice.resume_offer(turn, welcome=welcome, preface=words(voice, preface))
        case Question(turn, preface, first, can_text, all_keys, phone_full):
            return voice.question(turn, words(voice, preface), first=first, can_text=can_text,
                                  all_keys=all_keys if all_keys else None, phone_full=phone_full)
        case Notice(turn, preface, told, announcement):
            texts = list(told) or ([announcement] if announcement is not None else [])
            return voice.notice(turn, words(voice, preface) + texts)
        case BadAnswer(again):
            hint = "bad_answer_key_unknown" if engine.accepts_unknown(again.turn) else "bad_answer_key"
            if isinstance(again, Question):
                return render_part(Question(again.turn, (Text(hint), *again.preface), again.first, again.can_text,
                                            again.all_keys), voice)
            return render_part(Notice(again.turn, (Text(hint), *again.preface), again.told, again.announcement,
                                      again.again), voice)
        case PinPrompt(preface, first):
            return voice.pin_prompt(words(voice, preface), first=first)
        case PinRetry():
            return voice.pin_prompt([voice.text("pin_wrong")])
        case Finished(decision, preface, on_call, call, declinable, sms_follows):
            context = turn_context()
            return voice.outcome(decision, call, context.now, on_call, preface=words(voice, preface),
                                 declinable=declinable, sms_follows=sms_follows)
        case Transfer():
            return voice.it_support_transfer()
        case Wait(texts):
            return voice.wait(words(voice, texts), WAIT_ROUND_SECONDS)
        case Goodbye(names, it_support, values):
            if it_support:
                return voice.goodbye(*names, it_support=voice.it_support_number(), **values)
            return voice.goodbye(*names, **values)
        case Ended():
            return voice.goodbye("goodbye")
        case Say(sentences):
            response = VoiceResponse()
            for sentence in words(voice, sentences):
                voice.say(response, sentence)
            response.hangup()
            return response
        case HangUp():
            return hang_up()
        case DialNext(attempt, number, call):
            response = VoiceResponse()
            voice.say(response, voice.text("on_call_next"))
            voice.dial_on_call(response, call, attempt, number)
            return response
        case CallBack(system, number, call):
            response = VoiceResponse()
            voice.say(response, voice.text("callback_intro", system=system))
            voice.say(response, voice.text("on_call_manager"))
            voice.dial_on_call(response, call, 0, number)
            return response
        case _:
            assert_never(part)
