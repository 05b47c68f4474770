"""What a caller said (Twilio's SpeechResult) as the key it stands for, and the hints for the recogniser.

Speech is only another way to press a key: the voice channel maps it here and
then handles the key exactly as if it had been pressed, so every rule (the
on-call manager only after every step, a bad key's answer) holds for speech
too. The key map is the line's: 1 ja, 2 nej, 3 vet inte, 5 mer tid, 8 fortsätt
med sms, * upprepa, 0 menyn, # the other language, 1-9 a system at the menu. A
key a step does not take gets that step's answer to a wrong key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flows.model import Checklist
from flows.names import normalise
from flows.settings import Term
from ivr.conversation.replies import Intent, parse
from ivr.conversation.system_names import find_system

YES, NO, DONT_KNOW, REPEAT, MENU, LANGUAGE = "1", "2", "3", "*", "0", "#"
MORE_TIME, BY_SMS = "5", "8"  # the agreed keys for "I need more time" and "continue by SMS" at a step

ANSWER_KEYS = {Intent.YES: YES, Intent.NO: NO, Intent.DONT_KNOW: DONT_KNOW}
# Words the recogniser is told to expect (<Gather hints>); what they mean is read by ivr/conversation/replies.parse.
ANSWER_HINTS = {"sv": ("ja", "jo", "japp", "absolut", "nej", "nä", "nix"),
                "en": ("yes", "yeah", "yep", "no", "nope")}
DONT_KNOW_HINTS = {"sv": ("vet inte", "vet ej", "ingen aning", "osäker"),
                   "en": ("don't know", "do not know", "not sure", "no idea")}
COMMANDS = {"sv": {"upprepa": REPEAT, "igen": REPEAT, "meny": MENU, "menyn": MENU, "tillbaka": MENU},
            "en": {"repeat": REPEAT, "again": REPEAT, "menu": MENU, "back": MENU}}
STEP_PHRASES = {"sv": {"mer tid": MORE_TIME, "vänta": MORE_TIME, "sms": BY_SMS},
                "en": {"more time": MORE_TIME, "wait": MORE_TIME, "text": BY_SMS, "sms": BY_SMS}}
OTHER_LANGUAGE = {"sv": ("english", "engelska"), "en": ("svenska", "swedish")}
DIGIT_WORDS = {"sv": ("noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio"),
               "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")}


@dataclass(frozen=True)
class Heard:
    """Speech as a key: key None when it was not understood, or not clearly enough (below the threshold)."""

    key: str | None


def speech_key(text: str, confidence: float, threshold: float, lang: str, at_menu: bool,
               checklists: tuple[Checklist, ...], said_as: Mapping[str, str]) -> Heard:
    """The key a SpeechResult stands for at the menu (a system) or at a step (ja/nej/vet inte).

    said_as: how a written name is said ("en-pe-ö" -> "NPÖ"), so that the name as heard finds its system.
    """
    if confidence < threshold:
        return Heard(None)
    words = re.findall(r"[\w'-]+", text.casefold())
    if not words:
        return Heard(None)
    phrase = " ".join(words)
    lang = lang if lang in ANSWER_HINTS else "sv"
    if len(words) == 1 and words[0] in COMMANDS[lang]:
        return Heard(COMMANDS[lang][words[0]])
    if words[0] in DIGIT_WORDS[lang] or words[0].isdigit():
        digit = words[0] if words[0].isdigit() else str(DIGIT_WORDS[lang].index(words[0]))
        return Heard(digit if len(digit) == 1 else None)
    if at_menu:
        if phrase in OTHER_LANGUAGE[lang]:
            return Heard(LANGUAGE)
        for said, written in said_as.items():
            if normalise(said) == normalise(phrase):
                phrase = written
        found = find_system(checklists, phrase)
        return Heard(str(found.key) if found else None)
    # Yes, no and "vet inte" are read as the SMS line reads a text (ivr/conversation/replies.py): one reading of an
    # answer for every channel, so "ja det funkar" or "nej då" mean the same spoken as typed.
    answer = ANSWER_KEYS.get(parse(text).intent)
    if answer is not None:
        return Heard(answer)
    for said, step_key in STEP_PHRASES[lang].items():
        if said in words or (" " in said and said in phrase):
            return Heard(step_key)
    return Heard(None)


def hints(lang: str, checklists: tuple[Checklist, ...], said_as: Mapping[str, str]) -> str:
    """The words a caller is likely to say, for <Gather hints>: answers, commands and the systems' names."""
    words = [*ANSWER_HINTS[lang], *DONT_KNOW_HINTS[lang][:1], *COMMANDS[lang], *STEP_PHRASES[lang],
             *OTHER_LANGUAGE[lang][:1]]
    words += [checklist.name[lang] for checklist in checklists]
    words += [said for said, written in said_as.items() if any(c.name[lang] == written for c in checklists)]
    return ", ".join(dict.fromkeys(words))


def said_as(terms: Mapping[str, Term]) -> dict[str, str]:
    """How written names are said, from the pronunciation terms of one language: {"en-pe-ö": "NPÖ"}."""
    return {term.say: written for written, term in terms.items() if term.say}
