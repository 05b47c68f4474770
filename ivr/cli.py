"""The `ivr` console command."""

from __future__ import annotations

from pathlib import Path

import click

from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG, load_line
from flows.yamlfile import DataError

checklists_option = click.option(
    "--checklists", "checklists_dir", type=click.Path(path_type=Path), default=DEFAULT_CHECKLISTS,
    show_default="checklists/", help="Folder of checklist YAML files.",
)
config_option = click.option(
    "--config", "config_dir", type=click.Path(path_type=Path), default=DEFAULT_CONFIG,
    show_default="config/", help="Folder of settings YAML files.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Felsökningslinjen: the troubleshooting phone and SMS line."""


@main.command()
@checklists_option
@config_option
def check(checklists_dir: Path, config_dir: Path) -> None:
    """Validate every checklist and setting; exit 1 on any problem."""
    try:
        line = load_line(checklists_dir, config_dir)
    except DataError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) found.", err=True)
        raise SystemExit(1) from None
    for checklist in line.library.checklists:
        click.echo(f"{checklist.key}  {checklist.name['sv']:<14} {len(checklist.steps)} steps  ({checklist.source})")
    click.echo(f"OK: {len(line.library.checklists)} systems, {len(line.settings.on_call)} on-call numbers.")
