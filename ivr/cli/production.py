"""`ivr serve --production`: the app under gunicorn with settings fit for Twilio webhooks."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask

from flows.validate import problems_text
from ivr import parts
from ivr.notify import TwilioNotifier
from ivr.operations.production import production_problems

log = logging.getLogger(__name__)

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


def refuse_placeholders(app: Flask, accept: bool) -> None:
    """`ivr check --production` before a production start: refuse a line that is not real yet, unless the
    operator says explicitly that this is a rehearsal; then say so in the log at every start."""
    line, settings = parts.line(app), parts.settings(app)
    problems = production_problems(line, Path(settings.checklists_dir), Path(settings.config_dir))
    if accept:
        log.warning("STARTED WITH --accept-placeholders: %d value(s) that cannot be real (`ivr check "
                    "--production` lists them); never let real callers reach this line", len(problems))
        return
    if problems:
        raise click.ClickException(
            "Startar inte: linjen har kvar värden som inte kan vara riktiga. "
            "(Refusing to start: the line still has values that cannot be real.)\n" + problems_text(problems)
            + "\nRätta dem (`ivr check --production`), eller starta en övning med --accept-placeholders. "
            "(Fix them, or start a rehearsal with --accept-placeholders.)"
        )


def refuse_without_outbound(app: Flask, no_outbound: bool) -> None:
    """A production line sends its SMS and call-backs, or the operator says it may not (a rehearsal).

    Without a Twilio account the notifier only logs: the manager would never get her SMS, nor a carer her
    receipt, while /metrics counted them as logged. That must be a decision, never a missing variable.
    """
    if isinstance(parts.notifier(app), TwilioNotifier):
        if no_outbound:
            raise click.ClickException("--no-outbound, but TWILIO_ACCOUNT_SID is set: unset it for a rehearsal "
                                       "without messages, or leave out --no-outbound.")
        return
    if no_outbound:
        log.warning("STARTED WITH --no-outbound: no SMS or call is sent (no Twilio account); the manager's SMS, "
                    "receipts and console codes are only counted as logged. Never let real callers reach this line")
        return
    raise click.ClickException(
        "Startar inte: inget Twilio-konto, så linjen kan inte skicka sms eller ringa upp. "
        "(Refusing to start: no Twilio account, so the line cannot send SMS or call back.)\n"
        "Sätt TWILIO_ACCOUNT_SID (och TWILIO_AUTH_TOKEN) i miljöfilen, eller starta en övning med --no-outbound. "
        "(Set TWILIO_ACCOUNT_SID, or start a rehearsal with --no-outbound.)")


def run_gunicorn(app: Flask, bind: str, workers: int | None) -> None:
    """Serve the already-built app (it was validated at start-up) with gunicorn's pre-fork workers."""
    from gunicorn.app.base import BaseApplication

    store = parts.store(app)
    # Building the app connected to the database (schema check). A pooled connection
    # forked into every worker would be one socket shared by all of them, their
    # statements and results interleaved: the master closes its connections and keeps none.
    store.dispose()

    def on_reload(server: Any) -> None:
        # SIGHUP: validate once here, in the master; the new workers fork from its swapped line,
        # and any worker still running takes the stamp's version at its next request. An exception
        # here would end the master and its workers: reload_now() logs every failure instead.
        from ivr.operations.reload import reload_now

        reload_now(app)

    def post_fork(server: Any, worker: Any) -> None:
        # Should the master ever open one again, a worker must neither use nor close it
        # (closing would end the master's session too): drop the pool's references only.
        store.engine.dispose(close=False)

    def child_exit(server: Any, worker: Any) -> None:
        # prometheus_client's multiprocess mode: a dead worker's live values stop counting.
        from ivr.operations.metrics import worker_exited

        worker_exited(worker.pid)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings: dict[str, Any] = {
                "bind": bind, "workers": workers or default_workers(), "timeout": WORKER_TIMEOUT_S,
                "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT,
                "errorlog": "-", "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                "post_fork": post_fork, "on_reload": on_reload, "child_exit": child_exit,
            }
            if parts.settings(app).log_format == "json":
                from ivr.operations.logs import gunicorn_log_config

                # gunicorn's own lines and the access log as JSON too, numbers masked.
                settings["logconfig_dict"] = gunicorn_log_config()
            control = control_socket_settings(os.environ)
            # gunicorn before 25 has no control socket, and no setting for one.
            settings.update({key: value for key, value in control.items() if key in self.cfg.settings})
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    Server().run()
