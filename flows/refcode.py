"""Reference codes: six characters a carer reads out or types without mixing 0/O or 1/I up.

The line derives a call's code from a keyed hash of its session id (ivr), so the
same call always has the same code, even when the database was down; this module
only spells a hash as a code and reads back what someone typed.
"""

from __future__ import annotations

# 32 symbols: digits 2-9 and the letters without I and O (no 0/O, 1/I/L-like pairs).
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 6  # 32**6 = about a billion: a collision among 90 days of calls is unlikely, and lookup lists both


def spell(digest: bytes) -> str:
    """The code for a hash: its first 30 bits, five bits a symbol."""
    value = int.from_bytes(digest[:4], "big") >> 2
    symbols = []
    for _ in range(LENGTH):
        value, index = divmod(value, len(ALPHABET))
        symbols.append(ALPHABET[index])
    return "".join(reversed(symbols))


def read(text: str) -> str | None:
    """A code as typed ("k7m 4qx", "K7M-4QX") in its stored form; None if it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(symbol not in ALPHABET for symbol in code):
        return None
    return code
