"""How the line tells names apart: case, spaces, punctuation and diacritics aside ("Viva Omsorg." is "vivaomsorg").

Checklist aliases are compared this way when the files load (flows/checklists.py); the channels read the
names people text and say the same way (ivr/conversation/replies.py, ivr/conversation/system_names.py).
"""

from __future__ import annotations

import re
import unicodedata


def plain(text: str) -> str:
    """Lower case without diacritics or apostrophes: "Don't FUNKA" -> "dont funka"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"['’`´]", "", letters)  # "don't" -> "dont"


def normalise(text: str) -> str:
    """Case-, space-, punctuation- and diacritic-tolerant form: " Viva Omsorg. " -> "vivaomsorg"."""
    return "".join(re.findall(r"[^\W_]+", plain(text)))
