"""`ivr init --diff DIR`: what this version's shipped config and checklists change against the municipality's folder.

It only reads. One unified diff per file, from DIR's file to the shipped one: a file this
version ships that DIR lacks is shown whole (from /dev/null); a file only in DIR is named
("Only in DIR/checklists: x.yaml"), as `diff -r` does, and left alone. The comment `ivr init`
put first in each file is left out of the comparison when nobody edited it, whichever version
wrote it: a new version number alone is no change to take.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from ivr.cli.init_header import header, installed_version

INIT_HEADER = re.compile(r"# (?P<folder>\w+)/(?P<name>[^:\n]+): written by `ivr init` "
                         r"from felsokningslinjen (?P<version>[^\n]+)\.\n")
FOLDERS = ("config", "checklists")


def without_header(text: str, name: str, folder: str) -> str:
    """The file's text after the comment `ivr init` wrote first, if it is there unedited."""
    found = INIT_HEADER.match(text)
    if found and (found["folder"], found["name"]) == (folder, name):
        written = header(name, folder, found["version"])
        if text.startswith(written):
            return text[len(written):]
    return text


def unified(before: str, after: str, from_label: str, to_label: str) -> Iterable[str]:
    """difflib's unified diff, with GNU diff's marker for a last line without its newline."""
    for line in difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                     from_label, to_label):
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def show_changes(directory: Path, files: Sequence[tuple[Path, Path, str]]) -> int:
    """Print the diffs; 0 when DIR holds exactly the shipped files, 1 when anything differs, 2 on trouble."""
    if not any((directory / folder).is_dir() for folder in FOLDERS):
        click.echo(f"{directory}: no config/ or checklists/ folder in it: give the folder `ivr init` wrote "
                   "(e.g. /etc/felsokningslinjen)", err=True)
        return 2
    version = installed_version()
    changed, new = [], []
    for source, destination, folder in files:
        shipped = source.read_text("utf-8")
        label = f"felsokningslinjen {version}: {folder}/{source.name}"
        if not destination.exists():
            new.append(destination)
            click.echo("".join(unified("", shipped, "/dev/null", label)), nl=False)
            continue
        try:
            theirs = destination.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            click.echo(f"cannot read {destination}: {reason}", err=True)
            return 2
        theirs = without_header(theirs, source.name, folder)
        if theirs != shipped:
            changed.append(destination)
            click.echo("".join(unified(theirs, shipped, str(destination), label)), nl=False)
    shipped_paths = {destination for _, destination, _ in files}
    only = [path for folder in FOLDERS for path in sorted((directory / folder).glob("*.yaml"))
            if path not in shipped_paths]
    for path in only:
        click.echo(f"Only in {path.parent}: {path.name}")
    if not (changed or new or only):
        click.echo(f"{directory} holds felsokningslinjen {version}'s shipped files unchanged", err=True)
        return 0
    click.echo(f"felsokningslinjen {version} against {directory}: {len(changed)} changed, {len(new)} new, "
               f"{len(only)} only in {directory}. Nothing was written: take what you want by hand, "
               "then `ivr check`.", err=True)
    return 1
