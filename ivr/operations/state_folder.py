"""Where the server writes what is not in the database: the reload's stamp and checked copies, the repair
alert's stamp.

Never inside the installation. For an installed wheel Flask's instance folder lies in the virtualenv
(<venv>/var/ivr-instance): read-only under systemd's ProtectSystem=strict, and wiped by a reinstall. A
reload that wrote there raised PermissionError in gunicorn's master, which then exited with its workers.
The first of:

1. IVR_STATE_DIR (set it for `ivr reload` run by hand, to the server's folder);
2. $STATE_DIRECTORY, which systemd's StateDirectory= sets (the first, if it lists several);
3. Flask's instance folder when it lies outside the Python installation (a checkout's `instance/`);
4. else $XDG_STATE_HOME/felsokningslinjen (by default ~/.local/state/felsokningslinjen).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

STATE_VARIABLE = "IVR_STATE_DIR"


def instance_folder() -> Path:
    """Flask's instance folder for this package (where an app built here would put it)."""
    return Path(Flask("ivr", instance_relative_config=True).instance_path)


def inside_installation(path: Path) -> bool:
    """True when path lies under the Python installation running this (a virtualenv, /usr)."""
    try:
        return path.resolve().is_relative_to(Path(sys.prefix).resolve())
    except OSError:
        return True  # unresolvable: do not write there


def state_folder(configured: str | os.PathLike[str] | None = None,
                 environ: Mapping[str, str] = os.environ) -> Path:
    """The state folder by the rule above (configured: the app's STATE_DIR, i.e. IVR_STATE_DIR)."""
    if configured:
        return Path(configured)
    if environ.get(STATE_VARIABLE, "").strip():
        return Path(environ[STATE_VARIABLE].strip())
    systemd = environ.get("STATE_DIRECTORY", "").split(":")[0].strip()
    if systemd:
        return Path(systemd)
    instance = instance_folder()
    if not inside_installation(instance):
        return instance
    xdg = environ.get("XDG_STATE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "felsokningslinjen"
