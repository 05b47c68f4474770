"""`ivr init DIR`: a starter configuration and the checklists, copied out of the package for the IT unit to edit."""

from __future__ import annotations

from pathlib import Path

import click

from ivr.cli.init_header import header
from ivr.folders import CHECKLISTS_VARIABLE, CONFIG_VARIABLE, SHIPPED_CHECKLISTS, SHIPPED_CONFIG


def planned(target: Path) -> list[tuple[Path, Path, str]]:
    """(source, destination, folder name) for every file init writes."""
    files = []
    for source_dir, folder in ((SHIPPED_CONFIG, "config"), (SHIPPED_CHECKLISTS, "checklists")):
        for source in sorted(source_dir.glob("*.yaml")):
            files.append((source, target / folder / source.name, folder))
    return files


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing: show what this version's shipped files change against DIRECTORY as a unified "
                   "diff per file (exit 0: the same, 1: different, 2: DIRECTORY cannot be read).")
def init(directory: Path, force: bool, show_diff: bool) -> None:
    """Write a commented starter configuration and the checklists into DIRECTORY.

    \b
    DIRECTORY/config/       line.yaml, office_hours.yaml, roster.yaml, messages.yaml
    DIRECTORY/checklists/   one file per system
    Existing files are left alone unless --force is given.
    After installing a new version, `ivr init --diff DIRECTORY` shows what its shipped files change.
    """
    files = planned(directory)
    if not files:  # a broken installation: the package data is missing
        raise click.ClickException(f"no shipped configuration found in {SHIPPED_CONFIG.parent}: reinstall the package")
    if show_diff:
        if force:
            raise click.UsageError("--diff writes nothing: it does not go with --force")
        from ivr.cli.init_diff import show_changes

        raise SystemExit(show_changes(directory, files))
    existing = [destination for _, destination, _ in files if destination.exists()]
    if existing and not force:
        shown = ", ".join(str(path) for path in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise click.ClickException(
            f"{len(existing)} file(s) already exist ({shown}); nothing was written. "
            "Use --force to overwrite them with the shipped versions.")
    for source, destination, folder in files:
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(header(source.name, folder) + source.read_text("utf-8"), "utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {destination}: {exc.strerror or exc}") from None
    config, checklists = (directory / "config").resolve(), (directory / "checklists").resolve()
    click.echo(f"wrote {len(files)} files into {directory}")
    click.echo("Next: edit the PLACEHOLDER numbers, then")
    click.echo(f"  export {CONFIG_VARIABLE}={config}")
    click.echo(f"  export {CHECKLISTS_VARIABLE}={checklists}")
    click.echo("  ivr check")
