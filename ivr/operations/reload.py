"""Config changes without a restart: `ivr reload` (or SIGHUP) validates the data files once; every process
of the server then swaps the new line into its own memory at its next request.

Under gunicorn the app is built in the master before the fork, so each worker holds its own copy of the
line. What reaches all of them is a small stamp file (config-reload.json in the state folder,
ivr/operations/state_folder.py, never inside the installation; or RELOAD_STAMP): the
reload writes the version it validated (a hash of the files) or, when it refused the files, why. Each
process compares the stamp's mtime before every request (one stat) and, when it changed, loads that
version. A bad file is refused by the reload and never reaches a worker; should the files change again
after the check, the worker validates them fully itself and keeps its last good line if they fail.

A reload must never take the line down: under gunicorn it runs in the master's HUP handler, where any
exception ends the master and its workers. So every failure (a file that cannot be copied, a state
folder that cannot be written) is logged and the running line kept: reload_now() never raises.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from flask import Flask

from flows.line import load_line
from flows.validate import problems_text
from flows.yamlfile import DataError
from ivr import parts
from ivr.channels.check import check_line
from ivr.operations.state_folder import state_folder

log = logging.getLogger(__name__)

STAMP_NAME = "config-reload.json"
SNAPSHOTS = "config-versions"  # next to the stamp: one folder per validated version


@dataclass(frozen=True)
class ConfigStatus:
    """What the running line uses, and the last reload it refused (for the log and the console)."""

    version: str  # a hash of the checklist and config files loaded
    loaded_at: datetime
    refused_at: datetime | None = None
    refused: str | None = None  # the refused reload's problems, each naming file and field

    def as_dict(self) -> dict[str, Any]:
        """For a page or JSON: times as ISO text."""
        return {"version": self.version, "loaded_at": self.loaded_at.isoformat(),
                "refused_at": self.refused_at.isoformat() if self.refused_at else None, "refused": self.refused}


def data_files(checklists: Path, config: Path) -> list[tuple[str, Path]]:
    """Every file the line is loaded from, with the folder it belongs in.

    The config folder's CSV files too: staff.directory names one there (flows/directory.py), and the
    checked copy must hold it (personal data: the copies are pruned to the current and the previous one).
    """
    return [("config", path) for path in sorted([*config.glob("*.yaml"), *config.glob("*.csv")])] + \
        [("checklists", path) for path in sorted(checklists.glob("*.yaml"))]


def files_version(checklists: Path, config: Path) -> str:
    """A short hash of the files' names and contents: equal versions, equal line."""
    digest = hashlib.sha256()
    for kind, path in data_files(checklists, config):
        digest.update(f"{kind}/{path.name}\0".encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0unreadable")
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def snapshot(checklists: Path, config: Path, root: Path) -> tuple[str, Path]:
    """Copy the files as they are now into root/<version>: what is validated is exactly what every
    process loads later, however the files are edited meanwhile."""
    root.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=root, prefix=".new-"))
    os.chmod(fresh, 0o755)  # mkdtemp's 0700 would hide it from a server running as another user
    for kind, path in data_files(checklists, config):
        (fresh / kind).mkdir(exist_ok=True)
        shutil.copyfile(path, fresh / kind / path.name)
    for kind in ("config", "checklists"):
        (fresh / kind).mkdir(exist_ok=True)
    version = files_version(fresh / "checklists", fresh / "config")
    target = root / version
    if target.exists():
        shutil.rmtree(fresh)
    else:
        os.replace(fresh, target)
    return version, target


def prune(root: Path, keep: set[str]) -> None:
    """Delete the snapshots no process needs any more (the current one and the one before are kept)."""
    for entry in root.iterdir():
        if entry.is_dir() and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)


def read_stamp(stamp: Path) -> dict[str, Any]:
    """The stamp's content; empty when there is none or it cannot be read."""
    try:
        data = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_stamp(stamp: Path, data: dict[str, Any]) -> None:
    """Replace the stamp at once (a reader never sees half of it)."""
    stamp.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=stamp.parent, prefix=".config-reload-")
    os.chmod(temporary, 0o644)  # as above: `ivr reload` may run as another user than the server
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False)
    os.replace(temporary, stamp)


def request_reload(checklists: Path, config: Path, stamp: Path, now: datetime | None = None) -> tuple[bool, str]:
    """Validate the files once, as `ivr check` does; (True, version) and the stamp names the validated copy,
    or (False, the problems) and the stamp records the refusal while the servers keep their line."""
    at = (now or datetime.now(UTC)).isoformat()
    root = stamp.parent / SNAPSHOTS
    previous = read_stamp(stamp)
    version, copy = snapshot(checklists, config, root)
    line, problems = check_line(copy / "checklists", copy / "config")
    if problems or line is None:
        text = problems_text(problems)
        write_stamp(stamp, {**previous, "refused": {"at": at, "message": text, "version": version}})
        prune(root, {str(previous.get("version"))})
        log.error("config reload refused; the line keeps its last good config:\n%s", text)
        return False, text
    write_stamp(stamp, {"version": version, "snapshot": str(copy), "validated_at": at, "refused": None})
    prune(root, {version, str(previous.get("version"))})
    log.info("config reload: version %s validated; each server process takes it at its next request", version)
    return True, version


class Reloader:
    """One process's view: the line it runs, and the stamp it last read."""

    def __init__(self, app: Flask, checklists: Path, config: Path, stamp: Path) -> None:
        self.app = app
        self.checklists, self.config, self.stamp = checklists, config, stamp
        self.lock = threading.Lock()
        self.seen = self.stamp_mtime()  # a reload before this start is already in the files loaded
        self.status = ConfigStatus(files_version(checklists, config), datetime.now(UTC))

    def stamp_mtime(self) -> tuple[int, int] | None:
        """The stamp's inode and mtime: each reload replaces the file, so two within one tick still differ."""
        try:
            found = os.stat(self.stamp)
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns

    def check(self) -> None:
        """Before a request: one stat; when the stamp changed, take its version or note its refusal."""
        mtime = self.stamp_mtime()
        if mtime is None or mtime == self.seen:
            return
        with self.lock:
            if mtime == self.seen:
                return
            self.seen = mtime
            data = read_stamp(self.stamp)
            refused = data.get("refused")
            if isinstance(refused, dict):
                self.status = ConfigStatus(self.status.version, self.status.loaded_at,
                                           _moment(refused.get("at")), str(refused.get("message")))
            version, copy = data.get("version"), data.get("snapshot")
            if isinstance(version, str) and isinstance(copy, str) and version != self.status.version:
                self.swap(version, Path(copy))

    def swap(self, version: str, copy: Path) -> None:
        """Load the validated copy into this process; should it be unreadable, keep the line it has."""
        try:
            line = load_line(copy / "checklists", copy / "config")
        except Exception as exc:  # noqa: BLE001 - a DataError, or the copy gone or unreadable: keep the line
            text = problems_text(exc.problems) if isinstance(exc, DataError) else f"{copy}: {exc}"
            log.error("config reload failed in this process; it keeps version %s:\n%s", self.status.version, text)
            self.status = ConfigStatus(self.status.version, self.status.loaded_at, datetime.now(UTC), text)
            return
        self.app.extensions[parts.LINE] = line
        self.status = ConfigStatus(version, datetime.now(UTC), self.status.refused_at, self.status.refused)
        log.info("config reloaded: version %s", version)


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def stamp_path(app: Flask) -> Path:
    """RELOAD_STAMP, or config-reload.json in the state folder (IVR_STATE_DIR, $STATE_DIRECTORY, ...)."""
    settings = parts.settings(app)
    return Path(settings.reload_stamp) if settings.reload_stamp else state_folder(settings.state_dir) / STAMP_NAME


RELOADER = "ivr.reloader"  # app.extensions key


def app_reloader(app: Flask) -> Reloader:
    """The process's config reloader (init_app's)."""
    return cast(Reloader, app.extensions[RELOADER])


def init_app(app: Flask) -> None:
    """Check for a reload before each request."""
    settings = parts.settings(app)
    reloader = Reloader(app, Path(settings.checklists_dir), Path(settings.config_dir), stamp_path(app))
    app.extensions[RELOADER] = reloader
    app.before_request(reloader.check)


def config_status(app: Flask) -> ConfigStatus:
    """The running line's config version and time, and the last refused reload (for the console)."""
    reloader = app_reloader(app)
    reloader.check()
    return reloader.status


def reload_now(app: Flask) -> tuple[bool, str]:
    """SIGHUP in this process (gunicorn's master, or the development server): validate, stamp, swap.

    Never raises (see the module's note): a failure is logged, (False, why), and the line kept.
    """
    reloader = app_reloader(app)
    try:
        result = request_reload(reloader.checklists, reloader.config, reloader.stamp)
        reloader.check()
    except Exception as exc:  # noqa: BLE001 - in gunicorn's master, an exception would stop the line
        text = f"{type(exc).__name__}: {exc}"
        log.exception("config reload failed; the line keeps version %s (the reload state goes in %s: "
                      "set IVR_STATE_DIR to a folder the server may write)", reloader.status.version,
                      reloader.stamp.parent)
        return False, text
    return result
