"""The comment `ivr init` puts first in every file it writes; `ivr init --diff` reads it back (init_diff.py)."""

from __future__ import annotations

from importlib import metadata

from ivr.folders import CHECKLISTS_VARIABLE, CONFIG_VARIABLE


def installed_version() -> str:
    """This package's version, from its metadata."""
    try:
        return metadata.version("felsokningslinjen")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(source)"


def header(name: str, folder: str, version: str | None = None) -> str:
    """The comment put first in every written file: where it came from and what to do next."""
    version = version or installed_version()
    return (f"# {folder}/{name}: written by `ivr init` from felsokningslinjen {version}.\n"
            "# Edit it for your municipality (numbers marked PLACEHOLDER first), then run `ivr check`.\n"
            f"# The line reads this folder when {CONFIG_VARIABLE} and {CHECKLISTS_VARIABLE} point here.\n#\n")
