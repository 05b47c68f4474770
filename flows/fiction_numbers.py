"""Swedish telephone numbers reserved for fiction: a line that dials one is not live yet.

`phonenumbers` calls these valid (they are in real number series), so the ranges are kept here as data.

Source: Post- och telestyrelsen (PTS) reserved these ranges for film, TV, books and drama in
September 2020 ("070-1740605 to 070-1740699 can therefore only be used by pretend persons ... There are
also numbers for landlines, but only for four cities", PTS' Bo Martinsson to Dagens Nyheter, reported at
https://www.tellerreport.com/life/2020-09-07-hundreds-of-telephone-numbers-are-reserved-for-film--television-and-books.Symrwpm4w.html).
The mobile range is quoted there. The four landline ranges (Stockholm, Göteborg, Malmö, Kiruna) are written
from PTS' announcement as we remember it and were NOT checked against a source here: a refusal names the
range, so an operator whose real number falls in one can check PTS' number plan (pts.se, "Sök i nummerplan")
and correct this table.
"""

from __future__ import annotations

# (first, last) in E.164, both included.
FICTION_RANGES: tuple[tuple[str, str, str], ...] = (
    ("+46701740605", "+46701740699", "070-174 06 05 - 070-174 06 99 (mobile)"),
    ("+46846500400", "+46846500499", "08-465 004 00 - 08-465 004 99 (Stockholm)"),
    ("+46313900600", "+46313900699", "031-390 06 00 - 031-390 06 99 (Göteborg)"),
    ("+46406280400", "+46406280499", "040-628 04 00 - 040-628 04 99 (Malmö)"),
    ("+46980319200", "+46980319299", "0980-319 200 - 0980-319 299 (Kiruna)"),
)


def fiction_range(number: str) -> str | None:
    """The reserved range an E.164 number is in, as people write it, or None for a number that may be real."""
    for first, last, written in FICTION_RANGES:
        if len(number) == len(first) and first <= number <= last:
            return written
    return None
