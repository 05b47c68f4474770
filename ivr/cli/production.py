"""`ivr serve --production`: the app under gunicorn with settings fit for Twilio webhooks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from ivr.store import Store

# Twilio gives up on a webhook after 15 s; a worker stuck longer is restarted well before.
WORKER_TIMEOUT_S = 12
# One line per request. The path without its query: action URLs carry the call's signed state,
# which belongs in no log. Behind the proxy the caller's address is the first X-Forwarded-For.
ACCESS_LOG_FORMAT = '%(h)s %({x-forwarded-for}i)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%(a)s"'


def control_socket_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """gunicorn's control socket (gunicornc), per instance or not at all.

    gunicorn 25+ opens it by default at $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl: one
    path shared by every instance the user runs, the second start taking it from the first. Under
    systemd (RuntimeDirectory=, which sets $RUNTIME_DIRECTORY) it goes in that unit's own runtime
    folder, removed when the unit stops; anywhere else it is off.
    """
    runtime = environ.get("RUNTIME_DIRECTORY", "").split(":")[0]  # systemd lists several with ":"
    if runtime:
        return {"control_socket": str(Path(runtime) / "gunicorn.ctl")}
    return {"control_socket_disable": True}


def default_workers() -> int:
    """gunicorn's usual advice for I/O-bound work: 2 x cores + 1."""
    return 2 * (os.cpu_count() or 1) + 1


def run_gunicorn(app: Flask, bind: str, workers: int | None) -> None:
    """Serve the already-built app (it was validated at start-up) with gunicorn's pre-fork workers."""
    from gunicorn.app.base import BaseApplication

    store: Store = app.extensions["ivr.store"]
    # Building the app connected to the database (schema check). A pooled connection
    # forked into every worker would be one socket shared by all of them, their
    # statements and results interleaved: the master closes its connections and keeps none.
    store.dispose()

    def post_fork(server: Any, worker: Any) -> None:
        # Should the master ever open one again, a worker must neither use nor close it
        # (closing would end the master's session too): drop the pool's references only.
        store.engine.dispose(close=False)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings: dict[str, Any] = {
                "bind": bind, "workers": workers or default_workers(), "timeout": WORKER_TIMEOUT_S,
                "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT,
                "errorlog": "-", "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                "post_fork": post_fork,
            }
            control = control_socket_settings(os.environ)
            # gunicorn before 25 has no control socket, and no setting for one.
            settings.update({key: value for key, value in control.items() if key in self.cfg.settings})
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    Server().run()
