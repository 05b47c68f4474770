"""`ivr print`: the printable checklists (ivr/reports/printable.py) or the poster, to a file or standard output."""

from __future__ import annotations

from pathlib import Path

import click

from flows.model import LANGUAGES
from ivr.folders import checklists_option, config_option, line_folders
from ivr.reports.printable import national, render_html


@click.command("print")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML to this file (default: standard output).")
@click.option("--lang", type=click.Choice(LANGUAGES), default="sv", show_default=True, help="Language of the page.")
@click.option("--number", help="The line's phone number to print (default: line_number in config/line.yaml).")
@click.option("--poster", is_flag=True, help="One A4 poster instead: the number, each system's key, the SMS words.")
@checklists_option
@config_option
def print_checklists(out_path: Path | None, lang: str, number: str | None, poster: bool,
                     checklists_dir: Path | None, config_dir: Path | None) -> None:
    """Every checklist as one printable HTML page (A4), or with --poster a one-page A4 poster."""
    from flows.line import load_line
    from flows.yamlfile import DataError

    folders = line_folders(config_dir, checklists_dir)
    try:
        line = load_line(folders.checklists, folders.config)
        number = number or line.settings.line_number
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    if poster:
        from ivr.reports.poster import render_poster

        if not number:
            raise click.UsageError("the poster needs the line's number: set line_number in config/line.yaml "
                                   "or give --number")
        page = render_poster(line, national(number), national(str(line.settings.it_support.number)))
    else:
        page = render_html(line, lang, national(number) if number else None)
    if out_path is None:
        click.echo(page, nl=False)
    else:
        out_path.write_text(page, encoding="utf-8")
        click.echo(f"wrote {out_path}", err=True)
