"""Turns engine turns and outcomes into TwiML, only through the twilio builders."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import assert_never
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from flows.endings import OFFERED_IT_SUPPORT, offers_it_support
from flows.engine import Turn
from flows.facts import statements
from flows.line import Line
from flows.model import Outcome
from flows.phone import spoken_number
from flows.routing import Decision
from flows.why import reason
from ivr.channels.voice.key_hints import phone_note, phone_note_in_full, step_hints
from ivr.channels.voice.pronounce import pieces
from ivr.channels.voice.speech_words import hints, said_as
from ivr.channels.voice.ssml import ssml
from ivr.channels.voice.twiml import Prompt, PromptTemplate

WHISPER_TIMEOUT = 8  # seconds the on-call manager has to press 1
# Distinct prompts kept per config snapshot; a few dozen in use (menus, steps, their prefaces).
MAX_PROMPTS = 512
# Config snapshots whose prompts are kept: the line in use, and one just replaced by a reload.
MAX_SNAPSHOTS = 2

PromptKey = tuple[str, tuple[str | tuple[str, str], ...]]
# Each config snapshot's prompts, by the identity of what a prompt depends on (settings, messages,
# library: a reload makes new ones, so its prompts are built anew). Oldest first.
_snapshots: OrderedDict[tuple[int, int, int], tuple[tuple[object, ...], dict[PromptKey, PromptTemplate]]] = \
    OrderedDict()


def _prompts(line: Line) -> dict[PromptKey, PromptTemplate]:
    """The prompts built for this line's texts, voices and settings (not its roster: swaps keep them)."""
    parts = (line.settings, line.messages, line.library)
    key = (id(line.settings), id(line.messages), id(line.library))
    found = _snapshots.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], parts, strict=True)):
        return found[1]
    prompts: dict[PromptKey, PromptTemplate] = {}
    _snapshots[key] = (parts, prompts)
    while len(_snapshots) > MAX_SNAPSHOTS:
        _snapshots.popitem(last=False)
    return prompts


def url(path: str, **query: object) -> str:
    """A relative action URL; Twilio resolves it against the request URL."""
    return f"{path}?{urlencode(query)}" if query else path


@dataclass(frozen=True)
class VoiceRenderer:
    """Speaks one language of the line."""

    line: Line
    lang: str

    def text(self, name: str, /, **values: object) -> str:
        """A voice message in this language."""
        return self.line.messages.get("voice", name, self.lang, **values)

    def say(self, node: VoiceResponse | Gather, text: str, lang: str | None = None) -> None:
        """<Say> with the configured voice for the language, its hard words in SSML (voice/pronounce.py)."""
        lang = lang or self.lang
        voice = self.line.settings.voices[lang]
        found = pieces(text, lang, self.line.settings.pronunciation.get(lang, {}))
        if len(found) == 1 and found[0].kind == "text":
            node.say(text, voice=voice.voice, language=voice.language)
            return
        ssml(node.say(voice=voice.voice, language=voice.language), found,
             self.line.messages.get("voice", "number_again", lang))

    def gather(self, response: VoiceResponse, action: str, timeout: int | None = None) -> Gather:
        """A one-key <Gather>; an empty result still reaches our action, so silence is handled there.

        With speech on (line.yaml), it also listens: in the voice's language (sv-SE), with the pinned
        model and hints for the answers and the systems' names; a key still ends it at once.
        """
        settings = self.line.settings
        voice = settings.voices[self.lang]
        speech: dict[str, object] = {}
        if settings.speech_enabled:
            speech = {"input": "dtmf speech", "speech_model": settings.speech_model,
                      "speech_timeout": settings.speech_timeout,
                      "hints": hints(self.lang, self.line.library.checklists,
                                     said_as(settings.pronunciation.get(self.lang, {})))}
        return response.gather(
            num_digits=1, action=action, method="POST", action_on_empty_result=True,
            timeout=timeout or settings.gather_timeout, language=voice.language,
            finish_on_key="",  # Twilio's default "#" would swallow the language key
            **speech,
        )

    def keypad_prompt(self, texts: Iterable[str | tuple[str, str]]) -> VoiceResponse:
        """A one-key <Gather> at /voice/input saying the texts ((text, language) for another language's voice).

        Built once per config snapshot and these texts (_prompts), then shared: see ivr/channels/voice/twiml.Prompt.
        """
        said = tuple(texts)
        prompts = _prompts(self.line)
        key = (self.lang, said)
        template = prompts.get(key)
        if template is None:
            if len(prompts) >= MAX_PROMPTS:
                prompts.clear()  # texts with changing parts (an announcement, a time): start again
            template = prompts[key] = PromptTemplate.of(lambda: self.build_keypad_prompt(said))
        return Prompt(template)

    def build_keypad_prompt(self, texts: Iterable[str | tuple[str, str]]) -> VoiceResponse:
        """keypad_prompt, built by the twilio builders."""
        response = VoiceResponse()
        gather = self.gather(response, "/voice/input")
        for text in texts:
            if isinstance(text, str):
                self.say(gather, text)
            else:
                self.say(gather, text[0], text[1])
        return response

    def menu(self, preface: Iterable[str] = (), welcome: bool = False) -> VoiceResponse:
        """The system menu; every prompt sits inside the Gather so a caller can press ahead.

        The intro and the items are one <Say>, "Viva 1, Viva omsorg 2, ...": one intro that says to
        press as soon as the system is heard, instead of "För Viva, tryck 1." nine times, keeps the
        menu under 15 seconds (bench/speech_length.py).
        """
        items = ", ".join(self.text("menu_item", system=checklist.name[self.lang], key=checklist.key)
                          for checklist in self.line.library.checklists)
        intro = self.text(("welcome_speech" if self.line.settings.speech_enabled else "welcome") if welcome
                          else "menu_intro")
        texts: list[str | tuple[str, str]] = [*preface, f"{intro} {items}."]
        other = [lang for lang in self.line.settings.languages if lang != self.lang]
        if other:
            # The offer is spoken in the other language's voice, so its speakers understand it.
            texts.append((self.text("language_offer"), other[0]))
        return self.keypad_prompt(texts)

    def resume_offer(self, turn: Turn, welcome: bool = False, preface: Iterable[str] = ()) -> VoiceResponse:
        """Instead of the menu: a greeting of its own, the dropped call's step in a few words (the first
        sentence of its instruction), then go on there (1) or start over (0). No menu sentence comes first,
        so nothing primes a menu key."""
        assert turn.checklist is not None and turn.step is not None
        step, total = turn.position
        texts = [self.text("resume_welcome")] if welcome else []
        what = turn.step.say[self.lang].split(". ")[0].rstrip(".")
        texts += [*preface, self.text("resume_offer", step=step, total=total, system=turn.checklist.name[self.lang],
                                      text=what),
                  self.text("resume_keys")]
        return self.keypad_prompt(texts)

    def question(self, turn: Turn, preface: Iterable[str] = (), first: bool = False, can_text: bool = False,
                 all_keys: bool | None = None, phone_full: bool = False) -> VoiceResponse:
        """The current step: counter, instruction, question, key hints (ivr/channels/voice/key_hints.py).

        first: the checklist's first question in this call (its name and every key);
        all_keys: name every key (default: when first); can_text: key 8 may be offered.
        """
        assert turn.step is not None and turn.checklist is not None
        texts = list(preface)
        if first:
            texts.append(self.text("chosen", system=turn.checklist.name[self.lang]))
        step, total = turn.position
        every_key = first if all_keys is None else all_keys
        hints = step_hints(turn.step, every_key, can_text)
        # A phone step: what to do before its question can be answered; in full once a call, then short.
        note = phone_note(turn.step, can_text, phone_full or phone_note_in_full(turn, first, every_key))
        texts += [self.text("step_counter", step=step, total=total), turn.step.say[self.lang],
                  *([self.text(note)] if note else []), turn.step.ask[self.lang], *(self.text(hint) for hint in hints)]
        return self.keypad_prompt(texts)

    def wait(self, texts: Iterable[str], seconds: int) -> VoiceResponse:
        """Key 5: a short reminder, then quiet for about `seconds`; any key ends the wait at once."""
        response = VoiceResponse()
        gather = self.gather(response, "/voice/input")
        for text in texts:
            self.say(gather, text)
        # Keys pressed during a <Pause> nested in the <Gather> are gathered like any other.
        gather.pause(length=max(1, seconds - self.line.settings.gather_timeout))
        return response

    def notice(self, turn: Turn, texts: Iterable[str]) -> VoiceResponse:
        """IT's announcement for the system, then: go through the checklist anyway?"""
        assert turn.checklist is not None
        return self.keypad_prompt([self.text("chosen", system=turn.checklist.name[self.lang]), *texts,
                                   self.text("notice_question")])

    def pin_prompt(self, preface: Iterable[str] = (), first: bool = False) -> VoiceResponse:
        """Ask a caller off the staff list for the staff code, ended by # (first: before step 1, with what
        the code is for)."""
        response = VoiceResponse()
        voice = self.line.settings.voices[self.lang]
        gather = response.gather(
            action="/voice/input", method="POST", action_on_empty_result=True, finish_on_key="#",
            timeout=self.line.settings.gather_timeout * 2, language=voice.language,
        )
        for text in [*preface, self.text("pin_prompt_first" if first else "pin_prompt")]:
            self.say(gather, text)
        return response

    def goodbye(self, *keys: str, **values: object) -> VoiceResponse:
        """Say the texts and hang up."""
        response = VoiceResponse()
        for key in keys:
            self.say(response, self.text(key, **values))
        response.hangup()
        return response

    def it_on_call_number(self) -> str:
        """IT-beredskapen's number, for the ear (empty when line.yaml has none)."""
        contact = self.line.settings.it_on_call
        return spoken_number(contact.number) if contact is not None and contact.number else ""

    def it_support_number(self) -> str:
        """IT support's number, for the ear."""
        number = self.line.settings.it_support.number
        return spoken_number(number) if number else ""

    def outcome(self, decision: Decision, call_sid: str, moment: datetime, on_call: str = "",
                preface: Iterable[str] = (), declinable: bool = False, sms_follows: bool = False) -> VoiceResponse:
        """What the caller hears at the end, and whom the line dials (on_call: the first on-call number).

        declinable: the line filed a ticket she may decline; everything from "Jag har skapat ett ärende"
        on is said inside one <Gather>, so key 9 works while she listens (silence reaches /voice/input).
        sms_follows: the receipt SMS is on its way, so an after-hours ending names no number (it is in the SMS).
        """
        settings = self.line.settings
        response = VoiceResponse()
        why = reason(self.line.messages, decision, "voice", self.lang)
        filed = self.text("ticket_filed") if decision.ticket else None  # the line filed her ticket
        # An after-hours ending that does not reach the manager leads with that decision (in the preface,
        # ivr/conversation/dispatch.not_calling), then one reason.
        for text in (*preface, why, decision.say[self.lang] if decision.say else None):
            if text:
                self.say(response, text)
        speak: VoiceResponse | Gather = self.gather(response, "/voice/input") if declinable else response
        if filed:
            self.say(speak, filed)
        if declinable:
            self.say(speak, self.text("ticket_decline_offer"))
        match decision.outcome:
            case Outcome.RESOLVED:
                self.say(response, self.text("resolved"))
            case Outcome.DEFLECTED:
                self.say(response, self.text("deflected"))
            case Outcome.INCIDENT_KNOWN:
                self.say(response, self.text("incident_known"))
            case Outcome.IT_SUPPORT:
                self.say(response, self.text("it_support"))
                self.dial(response, str(settings.it_support.number), "/voice/dial/it_support")
                return response
            case Outcome.IT_PORTAL:
                self.say(speak, self.text("it_portal_ticket" if decision.ticket else "it_portal"))
            case Outcome.LOCAL_CONTACT:
                contact = settings.contacts[str(decision.contact)]
                if contact.number:
                    self.say(response, self.text("local_contact_dial", contact=contact.name[self.lang]))
                    self.dial(response, contact.number, "/voice/dial/local")
                    return response
                self.say(response, self.text("local_contact", contact=contact.name[self.lang]))
            case Outcome.SUPPLIER_OUTAGE:
                supplier = settings.suppliers[str(decision.supplier)]
                self.say(response, self.text("supplier_outage", supplier=supplier.name[self.lang]))
            case Outcome.ON_CALL_MANAGER:
                self.say(response, self.text("on_call_manager"))
                self.dial_on_call(response, call_sid, 0, on_call)
                return response
            case Outcome.WAIT_FOR_OFFICE_HOURS:
                opening = self.line.calendar.describe_next_opening(moment, self.lang)
                wait = ("wait_for_office_hours_ticket" if decision.ticket
                        else "wait_for_office_hours_sms" if sms_follows else "wait_for_office_hours")
                self.say(speak, self.text(wait, opening=opening, it_support=self.it_support_number()))
            case unknown:
                assert_never(unknown)  # a new outcome fails type checking until it is rendered here
        if offers_it_support(self.line, decision, moment):
            offer = "it_support_offer_contact" if decision.outcome is Outcome.LOCAL_CONTACT else "it_support_offer"
            gather = speak if isinstance(speak, Gather) else self.gather(response, "/voice/input")
            self.say(gather, self.text(offer))
            return response  # a key, or silence, reaches /voice/input: 1 connects, anything else says goodbye
        if declinable:
            return response  # key 9, or silence, reaches /voice/input
        if decision.outcome in OFFERED_IT_SUPPORT:
            self.say(response, self.text("goodbye"))
        response.hangup()
        return response

    def it_support_transfer(self) -> VoiceResponse:
        """Key 1 after an ending that offered IT support: connect the caller."""
        response = VoiceResponse()
        self.say(response, self.text("it_support_transfer"))
        self.dial(response, str(self.line.settings.it_support.number), "/voice/dial/it_support")
        return response

    def dial(self, response: VoiceResponse, number: str, action: str) -> None:
        """<Dial> a number; the action hears how it went."""
        response.dial(number, action=action, method="POST", timeout=self.line.settings.dial_timeout)

    def dial_on_call(self, response: VoiceResponse, call_sid: str, attempt: int, number: str) -> None:
        """Dial one number of the on-call chain with call screening.

        The manager's leg first runs the whisper TwiML and must press 1: a
        voicemail never presses 1, so it can never swallow an escalation.
        """
        self.screened_dial(response, number, url("/voice/dial/on_call", attempt=attempt),
                           url("/voice/whisper", call=call_sid, attempt=attempt))

    def dial_on_call_after_fault(self, response: VoiceResponse, attempt: int, number: str) -> None:
        """Offer the call to one on-call number after the line itself failed: screened as always."""
        self.screened_dial(response, number, url("/voice/fallback/dial", to="on_call", attempt=attempt),
                           url("/voice/fallback/whisper", attempt=attempt))

    def screened_dial(self, response: VoiceResponse, number: str, action: str, whisper: str) -> None:
        """<Dial> a number whose leg hears the whisper at `whisper` before it is bridged (or not)."""
        dial = response.dial(action=action, method="POST", timeout=self.line.settings.dial_timeout,
                             answer_on_bridge=True)
        dial.number(number, url=whisper, method="POST")

    def whisper(self, decision: Decision, call_sid: str, attempt: int) -> VoiceResponse:
        """What the on-call manager hears before accepting; no key = this leg hangs up."""
        return self.screening(self.whisper_texts(decision),
                              url("/voice/whisper/accept", call=call_sid, attempt=attempt))

    def fault_whisper(self, caller: str) -> VoiceResponse:
        """The whisper after the line failed: the checklist was not done, the manager decides."""
        caller_text = spoken_number(caller) if caller else self.text_whisper("unknown_caller")
        return self.screening([self.text_whisper("fault_intro", caller=caller_text), self.text_whisper("fault_steps")],
                              "/voice/fallback/whisper/accept")

    def screening(self, texts: Iterable[str], accept: str, press: str = "accept") -> VoiceResponse:
        """Say the texts and ask for 1 (the whisper message `press`); no key (a voicemail) hangs up."""
        response = VoiceResponse()
        gather = response.gather(num_digits=1, action=accept, method="POST", timeout=WHISPER_TIMEOUT)
        for text in texts:
            self.say(gather, text)
        self.say(gather, self.text_whisper(press))
        response.hangup()
        return response

    def declined(self) -> VoiceResponse:
        """The manager did not press 1: say so and hang up this leg (the caller's dial moves on)."""
        response = VoiceResponse()
        self.say(response, self.text_whisper("declined"))
        response.hangup()
        return response

    def text_whisper(self, name: str, /, **values: object) -> str:
        """A whisper message in this language."""
        return self.line.messages.get("whisper", name, self.lang, **values)

    def whisper_texts(self, decision: Decision) -> list[str]:
        """The line's name, who has the fault, every step done, the facts: no number (the call shows it)."""
        return [self.text_whisper("intro"), *statements(self.line, decision, self.lang)]
