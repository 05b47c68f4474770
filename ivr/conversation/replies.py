"""Understanding what staff text: one reply read once into an intent.

A carer in a car or a client's home writes "ja det funkar nu", "nä" or "ok",
not "1". `parse` reads the first meaningful word, with a negation after it
("det funkar inte" is no); system names are matched in ivr/conversation/system_names.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from flows.model import Checklist
from flows.names import normalise, plain


class Intent(StrEnum):
    """What a reply means, before the conversation decides what to do with it."""

    MENU = "menu"
    HELP = "help"
    STOP = "stop"
    CALL = "call"  # RING, "ring mig"
    LANGUAGE = "language"  # ENGLISH / SVENSKA; Reply.lang says which
    YES = "yes"
    NO = "no"
    DONT_KNOW = "dont_know"  # "vet inte": read here, answered by the engine once it supports it
    ACK = "ack"  # "ok", "klar", "👍": the carer did something, but did not answer the question
    THANKS = "thanks"
    NO_TICKET = "no_ticket"  # INGET ÄRENDE: the caller declines the ticket the line filed for her
    TEXT = "text"  # anything else (maybe a system's name: see match_system)


@dataclass(frozen=True)
class Reply:
    """One text, read."""

    intent: Intent
    lang: str | None = None  # for Intent.LANGUAGE


def words(text: str) -> list[str]:
    """Lower-case words without diacritics, and question marks: "Nej, det FUNKAR inte!" -> nej det funkar inte."""
    return re.findall(r"[^\W_]+|\?", plain(text))


def squeeze(word: str) -> str:
    """Drawn-out letters once: "jaaa" -> "ja", "neeej" -> "nej", "nääää" -> "na"; numbers stay as typed."""
    return word if word.isdigit() else re.sub(r"(\w)\1+", r"\1", word)


def vocabulary(typed: tuple[str, ...] | list[str]) -> frozenset[str]:
    """Words as parse sees them: lower case, no diacritics, drawn-out letters once."""
    return frozenset(squeeze(word) for text in typed for word in words(text))


# Keywords are Swedish in both languages on purpose: Twilio itself answers STOP, HELP, YES, START, END, QUIT.
# Every word list is written as people type; `vocabulary` reads it the way `parse` reads a text.
KEYWORDS_AS_TYPED = {
    "meny": Intent.MENU, "menyn": Intent.MENU, "menu": Intent.MENU,
    "hjälp": Intent.HELP, "?": Intent.HELP,
    "stopp": Intent.STOP, "avsluta": Intent.STOP,
    "ring": Intent.CALL, "ringa": Intent.CALL, "call": Intent.CALL,
}
LANGUAGES_AS_TYPED = {"english": "en", "engelska": "en", "svenska": "sv", "swedish": "sv"}
YES_AS_TYPED = (
    "1", "ja", "j", "jo", "jodå", "japp", "jepp", "jajamen", "javisst", "jadå", "absolut", "visst", "precis",
    "stämmer", "yes", "y", "yep", "yeah", "sure",
)
NO_AS_TYPED = ("2", "nej", "n", "nä", "näe", "nejdå", "ne", "nix", "nope", "no", "icke")
NEGATIONS_AS_TYPED = ("inte", "ej", "int", "icke", "not", "don't", "doesn't", "can't", "isn't", "aldrig", "never")
# A reply that echoes "does it work" answers it: "funkar" is yes, "funkar inte" is no. Only verbs of working:
# "jag har startat om" must not read as yes to "Fungerar Viva nu?".
ECHO_AS_TYPED = ("funkar", "fungerar", "funkade", "fungerade", "går", "gick", "works", "worked")
# Acknowledgements: the carer did the step. They are not an answer, so they never move a checklist on.
ACK_AS_TYPED = ("ok", "okej", "okey", "okay", "oki", "k", "klar", "klart", "gjort", "fixat", "done")
ACK_SYMBOLS = ("\N{THUMBS UP SIGN}", "\N{OK HAND SIGN}", "\N{HEAVY CHECK MARK}", "\N{WHITE HEAVY CHECK MARK}")
THANKS_AS_TYPED = ("tack", "tackar", "tusen", "thanks", "thank", "thx", "tnx")
# Words that carry no answer of their own: "hej, jag tror att det funkar" is read from "funkar".
FILLERS_AS_TYPED = (
    "hej", "hejsan", "hallå", "jag", "det", "den", "du", "vi", "men", "och", "nu", "så", "asså", "alltså", "eh",
    "öh", "hm", "mycket", "snälla", "please", "hi", "hello", "i", "it", "well", "so", "mig", "dig", "er", "då",
    "redan", "fortfarande", "still", "now", "in", "you", "tror", "att", "verkar", "nog", "much", "very",
)
# Phrases read before single words: "no idea" is not "no"; "vet inte" is not a text to ask again about.
# "3" is the voice line's key for it, and the English SMS step offers "3=not sure".
DONT_KNOW_AS_TYPED = ("3", "vet inte", "vetinte", "vet ej", "vetej", "vete", "ingen aning", "ingenaning", "no idea",
                      "not sure", "notsure", "don't know", "dontknow", "idontknow", "osäker", "unsure")

# Declining the ticket the line filed: a phrase, read before its words ("inget" alone is not "nej").
NO_TICKET_AS_TYPED = ("inget ärende", "ingetärende", "inga ärenden", "ej ärende",
                      "no ticket", "noticket")


KEYWORDS = {squeeze(normalise(word) or word): intent for word, intent in KEYWORDS_AS_TYPED.items()}
LANGUAGE_WORDS = {squeeze(normalise(word)): lang for word, lang in LANGUAGES_AS_TYPED.items()}
YES_WORDS = vocabulary(YES_AS_TYPED)
NO_WORDS = vocabulary(NO_AS_TYPED)
NEGATIONS = vocabulary(NEGATIONS_AS_TYPED)
ECHO_VERBS = vocabulary(ECHO_AS_TYPED)
ACK_WORDS = vocabulary(ACK_AS_TYPED)
THANKS_WORDS = vocabulary(THANKS_AS_TYPED)
FILLERS = vocabulary(FILLERS_AS_TYPED)
NO_TICKET_PHRASES = tuple(tuple(squeeze(word) for word in words(phrase)) for phrase in NO_TICKET_AS_TYPED)
DONT_KNOW_PHRASES = tuple(tuple(squeeze(word) for word in words(phrase)) for phrase in DONT_KNOW_AS_TYPED)


def parse(text: str) -> Reply:
    """The intent of one text: the first meaningful word decides, read together with a negation after it."""
    tokens = [squeeze(word) for word in words(text)]
    if not tokens:
        return Reply(Intent.ACK) if any(symbol in text for symbol in ACK_SYMBOLS) else Reply(Intent.TEXT)
    soft: Intent | None = None  # thanks or ok: the answer only when nothing more meaningful follows
    for index, word in enumerate(tokens):
        rest = tokens[index + 1:]
        if word in KEYWORDS:
            # "ring mig", "meny tack"; but STOPP only with nothing more than politeness around it:
            # "stopp, fel svar" must not forget the whole conversation.
            if KEYWORDS[word] is Intent.STOP and not set(rest) <= FILLERS | THANKS_WORDS | ACK_WORDS:
                return Reply(Intent.TEXT)
            return Reply(KEYWORDS[word])
        if word in LANGUAGE_WORDS:
            return Reply(Intent.LANGUAGE, LANGUAGE_WORDS[word])
        if any(tuple(tokens[index:index + len(phrase)]) == phrase for phrase in NO_TICKET_PHRASES):
            return Reply(Intent.NO_TICKET)
        if any(tuple(tokens[index:index + len(phrase)]) == phrase for phrase in DONT_KNOW_PHRASES):
            return Reply(Intent.DONT_KNOW)
        if word in NO_WORDS or word in NEGATIONS:
            return Reply(Intent.NO)  # "nej det funkar inte", "nej då", "inte än"
        if word in YES_WORDS:
            # "ja men det funkar inte" says both: asking again is cheaper than a wrong "solved".
            return Reply(Intent.TEXT if NEGATIONS & set(rest) else Intent.YES)
        if word in ECHO_VERBS:
            return Reply(Intent.NO if NEGATIONS & set(rest) else Intent.YES)
        if word in THANKS_WORDS:
            soft = Intent.THANKS
        elif word in ACK_WORDS:
            soft = soft or Intent.ACK
        elif word not in FILLERS:
            return Reply(Intent.TEXT)
    return Reply(soft or Intent.TEXT)


def yes_no(text: str) -> bool | None:
    """True for yes, False for no, None for anything else (acknowledgements included)."""
    intent = parse(text).intent
    return True if intent is Intent.YES else False if intent is Intent.NO else None


def exact_system(checklists: tuple[Checklist, ...], text: str) -> Checklist | None:
    """A checklist only by its exact digit, name or id (for commands, where a guess would be wrong).

    Names people text are matched forgivingly in ivr/conversation/system_names.py; this one never guesses.
    """
    word = normalise(text)
    for checklist in checklists:
        names = {normalise(checklist.id), *(normalise(name) for name in checklist.name.values())}
        if word == str(checklist.key) or word in names:
            return checklist
    return None
