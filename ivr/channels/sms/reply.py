"""A conversation's answer (ivr/conversation/reply.py) as texts: one string per SMS."""

from __future__ import annotations

from typing import assert_never

from flows import engine
from ivr.channels.sms.render import SmsRenderer
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
    Transfer,
    Wait,
    WhichSystem,
    words,
)
from ivr.web.turn_context import turn_context


def render(parts: list[Part], lang: str) -> list[str]:
    """The texts for a turn's answer, in order (none: nothing is sent)."""
    sms = SmsRenderer(turn_context().line, lang)
    return [text for part in parts for text in render_part(part, sms)]


def render_part(part: Part, sms: SmsRenderer) -> list[str]:
    """One part as texts."""
    match part:
        case Menu():
            return [sms.menu()]
        case BadSystem(first):
            return [sms.menu()] if first else [sms.text("bad_menu")]
        case WhichSystem(candidates):
            # "viv": Viva or Viva omsorg? Name them, with their numbers, in one SMS.
            return [sms.text("which_system", items=sms.items(candidates))]
        case Question(turn, preface):
            return words(sms, preface) + [sms.step(turn)]
        case Notice(turn, preface, told, announcement, again):
            if again:
                return [sms.text("notice_question")]
            if told:
                return [" ".join(told), sms.text("notice_question")]
            assert turn.checklist is not None
            return words(sms, preface) + [
                sms.text("notice", system=turn.checklist.name[sms.lang], text=str(announcement)),
                sms.text("notice_question")]
        case BadAnswer(again, acknowledged):
            # The question again, short: one SMS instead of the whole step.
            turn = again.turn
            if isinstance(again, Notice) or turn.step is None:
                return [sms.text("notice_question")]
            name = "answer_hint" if acknowledged else "bad_answer"
            if engine.accepts_unknown(turn):
                name += "_unknown"  # the question again names VET INTE where the step takes it
            return [sms.text(name, text=turn.step.ask[sms.lang])]
        case PinPrompt(preface, first):
            # Its preface too: Swedlock's "Jag har skickat meddelandet" comes before the code question.
            return words(sms, preface) + [sms.text("pin_prompt_first" if first else "pin_prompt")]
        case PinRetry():
            return [sms.pin_retry()]
        case Finished(decision, preface, declinable=declinable):
            context = turn_context()
            return words(sms, preface) + sms.outcome(decision, context.now, context.line.settings.sms_on_call_by,
                                                     declinable)
        case Say(sentences):
            return words(sms, sentences)
        case Ended():
            return []  # the conversation has its outcome: nothing is waiting
        case ResumeOffer() | Transfer() | Wait() | Goodbye() | HangUp() | DialNext() | CallBack():
            raise AssertionError(f"a text conversation is never answered with {part!r}")
        case _:
            assert_never(part)
