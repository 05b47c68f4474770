"""Understanding what staff text: yes/no words and system names, tolerant of case, spaces and å ä ö."""

from __future__ import annotations

import re
import unicodedata

from flows.model import Checklist

YES_WORDS = frozenset({"1", "ja", "j", "klar", "ok", "okej", "yes", "y"})
NO_WORDS = frozenset({"2", "nej", "n", "no"})
# "vet inte" as staff write it (normalised: no spaces); only a step that allows it takes it.
UNKNOWN_WORDS = frozenset({"3", "vetinte", "vetej", "ingenaning", "dontknow", "idontknow", "notsure"})
MIN_PREFIX = 3  # "npo", "alfa": shorter fragments are too ambiguous to start a checklist


def normalise(text: str) -> str:
    """Case-, space-, punctuation- and diacritic-tolerant form: " Viva Omsorg. " -> "vivaomsorg"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s.,!:;'\"\-_]+", "", letters)


def yes_no(text: str) -> bool | None:
    """True for yes, False for no, None for anything else."""
    word = normalise(text)
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


def dont_know(text: str) -> bool:
    """True for "vet inte", "vet ej", "vetej", "ingen aning", "3" (and "not sure"), in any case or spacing."""
    return normalise(text) in UNKNOWN_WORDS


def find_system(checklists: tuple[Checklist, ...], text: str) -> Checklist | None:
    """A checklist by menu digit, name or id; a unique prefix also counts ("alfa", "timecarema")."""
    word = normalise(text)
    if not word:
        return None
    best: dict[str, int] = {}  # checklist id -> length of its longest name the text matches
    for checklist in checklists:
        names = {normalise(checklist.id), *(normalise(name) for name in checklist.name.values())}
        if word == str(checklist.key) or word in names:
            return checklist
        lengths = [len(n) for n in names if n.startswith(word) or word.startswith(n)]
        if lengths and len(word) >= MIN_PREFIX:
            best[checklist.id] = max(lengths)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    # "vivaomsorgappen" matches both "viva" and "vivaomsorg": the longer name wins; a tie is ambiguous.
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return next(c for c in checklists if c.id == ranked[0][0])
    return None


def exact_system(checklists: tuple[Checklist, ...], text: str) -> Checklist | None:
    """A checklist only by its exact digit, name or id (for commands, where a guess would be wrong)."""
    word = normalise(text)
    for checklist in checklists:
        names = {normalise(checklist.id), *(normalise(name) for name in checklist.name.values())}
        if word == str(checklist.key) or word in names:
            return checklist
    return None
