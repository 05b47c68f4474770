"""Where the line's data lives: one rule for every command and for create_app.

config (line.yaml, office_hours.yaml, roster.yaml, messages.yaml):
    --config, else IVR_CONFIG_DIR, else the configuration shipped with the package.
checklists (one YAML file per system):
    --checklists, else IVR_CHECKLISTS_DIR, else the checklists shipped with the package.

The shipped folders are package data (ivr/defaults, links to config/ and checklists/ in a
checkout), so an installed wheel finds them without the source folder; `ivr init DIR` copies
them out for the IT unit to edit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

# Not resolved further: in a checkout these are links, and a message should still say config/line.yaml.
SHIPPED_CONFIG = Path(__file__).resolve().parent / "defaults" / "config"
SHIPPED_CHECKLISTS = Path(__file__).resolve().parent / "defaults" / "checklists"
CONFIG_VARIABLE = "IVR_CONFIG_DIR"
CHECKLISTS_VARIABLE = "IVR_CHECKLISTS_DIR"


@dataclass(frozen=True)
class Folders:
    """The two folders the line reads, and where each choice came from (for `ivr check`)."""

    config: Path
    checklists: Path
    config_from: str  # "--config", "IVR_CONFIG_DIR" or "shipped"
    checklists_from: str


def chosen(given: str | os.PathLike[str] | None, variable: str, option: str,
           environ: Mapping[str, str], shipped: Path) -> tuple[Path, str]:
    """The first of: the option's value, the environment variable, the shipped folder."""
    if given:
        return Path(given), option
    if environ.get(variable, "").strip():
        return Path(environ[variable].strip()), variable
    return shipped, "shipped"


def line_folders(config: str | os.PathLike[str] | None = None, checklists: str | os.PathLike[str] | None = None,
                 environ: Mapping[str, str] | None = None) -> Folders:
    """The config and checklists folders; environ defaults to the process's environment."""
    environ = os.environ if environ is None else environ
    config_path, config_from = chosen(config, CONFIG_VARIABLE, "--config", environ, SHIPPED_CONFIG)
    checklists_path, checklists_from = chosen(checklists, CHECKLISTS_VARIABLE, "--checklists", environ,
                                              SHIPPED_CHECKLISTS)
    return Folders(config_path, checklists_path, config_from, checklists_from)


# The options every command that reads the line's data takes; None means "not given" so that
# line_folders can fall back to the environment and then the shipped folders.
config_option = click.option(
    "--config", "config_dir", type=click.Path(path_type=Path), default=None,
    help=f"Folder of settings YAML files (default: ${CONFIG_VARIABLE}, else the shipped config).",
)
checklists_option = click.option(
    "--checklists", "checklists_dir", type=click.Path(path_type=Path), default=None,
    help=f"Folder of checklist YAML files (default: ${CHECKLISTS_VARIABLE}, else the shipped checklists).",
)


def describe(folders: Folders) -> list[str]:
    """Two lines saying which folders are read and why."""
    def origin(source: str) -> str:
        return "shipped with the package" if source == "shipped" else f"from {source}"

    return [f"config: {folders.config} ({origin(folders.config_from)})",
            f"checklists: {folders.checklists} ({origin(folders.checklists_from)})"]


def app_folders(config: Mapping[str, Any], from_environment: bool) -> Folders:
    """create_app's folders: its CONFIG_DIR/CHECKLISTS_DIR settings, else the same rule as the commands."""
    return line_folders(config.get("CONFIG_DIR"), config.get("CHECKLISTS_DIR"),
                        None if from_environment else {})
