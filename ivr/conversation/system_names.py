"""System names in texts: by menu digit, name, id or alias, else the nearest name (rapidfuzz).

"vivaomsrog" is Viva omsorg, "swedlok" Swedlock, "larm" Trygghetslarm (an
alias from the checklist file); "viv" is as near Viva as Viva omsorg, and the
texter is asked which.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.model import Checklist
from flows.names import normalise
from ivr.conversation.replies import FILLERS, squeeze, words

MIN_PREFIX = 3  # "npo", "alf": shorter fragments are too ambiguous to start a checklist
FUZZY_MIN_LENGTH = 4  # below this a near spelling is noise ("ala" is not Alfa)
FUZZY_CUTOFF = 80  # rapidfuzz ratio: "swedlok" 93, "trygghetlarm" 96, "vivaomsrog" 90; "hej" vs "viva" 0
PREFIX_WEIGHT = 0.95  # a truncated name ("trygg", "cosmic") counts a little below the whole name
AMBIGUOUS_MARGIN = 5  # systems scoring within this of the best are named back to the texter
MAX_CANDIDATES = 3  # more candidates than this: the texter gets the menu, not a long question


@dataclass(frozen=True)
class SystemMatch:
    """The system a text names, or the systems it might name."""

    checklist: Checklist | None
    candidates: tuple[Checklist, ...] = ()  # two or more equally near systems, best first


def names_of(checklist: Checklist) -> set[str]:
    """Every normalised name a checklist answers to: id, name in each language, aliases."""
    return {normalise(checklist.id), *(normalise(n) for n in checklist.name.values()),
            *(normalise(a) for a in checklist.aliases)}


def score(word: str, name: str) -> float:
    """How near a typed word is to a name, 0-100: a near spelling, or a near spelling of its beginning."""
    if len(word) < FUZZY_MIN_LENGTH:
        return 100.0 * PREFIX_WEIGHT if len(word) >= MIN_PREFIX and name.startswith(word) else 0.0
    # Imported at the first text that names no system exactly: rapidfuzz is 42 modules and 3.7 MiB of
    # every worker (measured December 2026 on a started app), and calls, menu digits and exact names
    # never need it.
    from rapidfuzz import fuzz

    whole = fuzz.ratio(word, name)
    start = fuzz.ratio(word, name[:len(word)]) * PREFIX_WEIGHT if len(word) < len(name) else 0.0
    return max(whole, start)


def spans(text: str) -> list[str]:
    """What of a text may name a system, longest first: all of it, then its first three, two, one words.

    "hej, viva omsorg krånglar" -> hejvivaomsorgkranglar, then without the greeting: vivaomsorgkranglar,
    vivaomsorg, viva.
    """
    tokens = [word for word in words(text) if word != "?"]
    whole = "".join(tokens)  # as typed, greeting and all: an alias may begin with any word
    while tokens and squeeze(tokens[0]) in FILLERS:
        tokens = tokens[1:]
    found = [whole, "".join(tokens)] + ["".join(tokens[:n]) for n in (3, 2, 1) if n < len(tokens)]
    return [span for index, span in enumerate(found) if span and span not in found[:index]]


def match_system(checklists: tuple[Checklist, ...], text: str) -> SystemMatch:
    """A checklist by menu digit, exact name, id or alias; else the nearest name if one is clearly nearest."""
    parts = spans(text)
    table = [(checklist, names_of(checklist)) for checklist in checklists]  # normalised once per text
    for part in parts:  # exact first, the longest part first: "viva omsorg" is Viva omsorg, not Viva
        for checklist, names in table:
            if part == str(checklist.key) or part in names:
                return SystemMatch(checklist)
    parts = [part for part in parts if not part.isdigit()]
    if not parts:
        return SystemMatch(None)
    scored = sorted(((max(score(part, name) for part in parts for name in names), checklist)
                     for checklist, names in table), key=lambda pair: -pair[0])
    best = scored[0][0]
    if best < FUZZY_CUTOFF:
        return SystemMatch(None)
    near = tuple(checklist for value, checklist in scored if value >= best - AMBIGUOUS_MARGIN)
    if len(near) == 1:
        return SystemMatch(near[0])
    return SystemMatch(None, near)


def find_system(checklists: tuple[Checklist, ...], text: str) -> Checklist | None:
    """The one checklist a text names, or None (nothing near, or several equally near)."""
    return match_system(checklists, text).checklist
