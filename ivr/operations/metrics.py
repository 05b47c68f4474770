"""Prometheus metrics at /metrics, behind a bearer token; off unless IVR_METRICS_TOKEN is set.

The one module that knows Prometheus. The rest of the line reports through the few calls
below (a committed turn's events, a store error, the fallback URL, the error TwiML, an
SMS outside a conversation); flows/ never sees any of it.

Under gunicorn every worker is a process of its own: prometheus_client's multiprocess
mode has each write its values to files in PROMETHEUS_MULTIPROC_DIR, and a scrape adds
them up. prometheus_client reads that variable when it is first imported, so
`ivr serve --production` calls prepare_multiprocess() before building the app, and
prometheus_client is imported only inside the functions here.
"""

from __future__ import annotations

import hmac
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from flask import Flask, Response, current_app, g, request

from ivr import parts
from ivr.store import Store, StoreError
from ivr.store.outbox import Transition

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A scraper's token is a password: one short enough to guess is refused at start.
MIN_TOKEN_CHARS = 16
# Twilio waits 15 s for a webhook's answer; a turn usually takes milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
# Audit events that are an SMS the line sent over Twilio's REST API, by kind, and their failures.
# (The receipt and the manager SMS go through the outbox: counted by ivr_messages, by state.)
# (The key-8 hand-over SMS too: ivr_messages{kind="sms_handover"}.)
SMS_SENT = {"incident_alert": "incident_alert"}
SMS_FAILED = {"incident_alert_failed": "incident_alert"}
# The outbox's states a message is counted in: accepted by Twilio's REST API, then the final
# state its status callback gives; "dead" was never accepted (refused, or given up after retries).
# A message that was only logged (no Twilio account) is counted nowhere. "chain_end": a manager
# SMS not delivered with nobody left in the on-call chain to text instead (ivr/outbox/escalation.py).
MESSAGE_STATES = frozenset({"accepted", "delivered", "undelivered", "failed", "dead", "chain_end"})
# An incident's audit events, by the transition they are (flows/events.py): counted as ivr_incident_transitions.
INCIDENT_TRANSITIONS = {"incident_opened": "opened", "incident_acknowledged": "acknowledged",
                        "incident_escalated": "escalated", "incident_resolved": "resolved",
                        "incident_told": "told"}
# The states a live incident can be in (flows/incidents.py); every one is shown, 0 included.
LIVE_STATES = ("open", "acknowledged", "escalated")
# Twilio's DialCallStatus values; anything else is counted as "other" (labels must stay few).
DIAL_STATUSES = {"completed", "answered", "busy", "no-answer", "failed", "canceled"}
EXTENSION = "ivr.metrics"  # app.extensions: LineMetrics, or None when IVR_METRICS_TOKEN is not set


class LineMetrics:
    """The line's counters and the webhook latency histogram, in one registry per app."""

    def __init__(self, token: str, multiprocess_dir: str | None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.token = token
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        reg = self.registry
        self.latency = Histogram("ivr_webhook_seconds", "Time to answer a request, by route (the URL rule)",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=reg)
        self.outcomes = Counter("ivr_outcomes", "Checklists that reached an outcome, by system and outcome",
                                ["system", "outcome"], registry=reg)
        self.dials = Counter("ivr_escalation_dials", "Dials to a person after a checklist (it_support, on_call, "
                             "local) and how each ended (accepted: the on-call manager pressed 1)",
                             ["target", "result"], registry=reg)
        self.sms_sent = Counter("ivr_sms_sent", "SMS sent over Twilio's REST API, by kind", ["kind"], registry=reg)
        self.sms_failed = Counter("ivr_sms_failed", "SMS that Twilio's REST API refused or could not take, by kind",
                                  ["kind"], registry=reg)
        self.messages = Counter("ivr_messages", "Outbox messages by kind and state reached (accepted by Twilio, "
                                "then delivered, undelivered or failed; dead: never accepted; "
                                "chain_end: a manager SMS not delivered, nobody left to text)", ["kind", "state"],
                                registry=reg)
        self.fallbacks = Counter("ivr_fallback", "Requests to Twilio's fallback URL (the main webhook failed)",
                                 registry=reg)
        self.error_twiml = Counter("ivr_error_twiml", "Unexpected errors answered with the fault TwiML or SMS, "
                                   "by channel", ["channel"], registry=reg)
        self.store_errors = Counter("ivr_store_errors", "Database failures (unreachable, timed out, refused)",
                                    registry=reg)
        self.incident_transitions = Counter(
            "ivr_incident_transitions", "Incidents opened, acknowledged, escalated and resolved, and callers told "
            "that Chef i beredskap knows, by kind", ["kind"], registry=reg)
        # Read at each scrape (ivr_incidents_live): set by init_app, None in a bare LineMetrics.
        self.live_incidents: Callable[[], Mapping[str, int]] | None = None
        # Outbox rows not sent yet, by channel (ivr_outbox_pending{channel="ticket"}: tickets the ITSM has not taken).
        self.outbox_pending: Callable[[], Mapping[str, int]] | None = None

    def events(self, events: list[tuple[str, dict[str, Any], str | None]]) -> None:
        """Count a committed turn's audit events."""
        for kind, data, system in events:
            if kind == "outcome":
                self.outcomes.labels(system or "none", str(data.get("outcome"))).inc()
            elif kind == "dial_result":
                status = str(data.get("status", ""))
                result = "accepted" if data.get("accepted") else (status if status in DIAL_STATUSES else "other")
                self.dials.labels(str(data.get("kind", "other")), result).inc()
            elif kind in SMS_SENT:
                self.sms_sent.labels(SMS_SENT[kind]).inc()
            elif kind in SMS_FAILED:
                self.sms_failed.labels(SMS_FAILED[kind]).inc()
            elif kind in INCIDENT_TRANSITIONS:
                self.incident_transitions.labels(INCIDENT_TRANSITIONS[kind]).inc()

    def exposition(self) -> bytes:
        """The text a scraper reads: this process's registry, or every worker's files added up."""
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        if self.multiprocess_dir is None:
            text = generate_latest(self.registry)
        else:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            text = generate_latest(registry)
        return text + self.live_exposition()

    def live_exposition(self) -> bytes:
        """The gauge of live incidents by state, read from the store now (one grouped count).

        A gauge read at the scrape, not kept by the workers: in multiprocess mode each worker's copy
        would go stale, and the store is the one place that knows. A store that does not answer
        leaves the gauge out (ivr_store_errors counts that).
        """
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.core import GaugeMetricFamily

        if self.live_incidents is None:
            return b""
        try:
            counts = self.live_incidents()
        except StoreError:
            return b""
        family = GaugeMetricFamily("ivr_incidents_live", "Incidents still known (not resolved, news within "
                                   "incidents.known_hours), by state", labels=["state"])
        for state in LIVE_STATES:
            family.add_metric([state], counts.get(state, 0))
        families = [family]
        if self.outbox_pending is not None:
            try:
                pending = self.outbox_pending()
            except StoreError:
                pending = None
            if pending is not None:
                waiting = GaugeMetricFamily("ivr_outbox_pending", "Outbox rows not sent yet, by channel (sms, call, "
                                            "ticket)", labels=["channel"])
                for channel in sorted({"sms", "call", "ticket", *pending}):
                    waiting.add_metric([channel], pending.get(channel, 0))
                families.append(waiting)
        registry = CollectorRegistry()
        registry.register(_Fixed(families))
        return generate_latest(registry)


class _Fixed:
    """A collector that yields the families it was given (read once, at the scrape)."""

    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> Iterator[Any]:
        yield from self.families


def prepare_multiprocess(environ: Mapping[str, str]) -> str | None:
    """Before gunicorn's workers: an emptied folder for their values (None when metrics are off); sets the env.

    PROMETHEUS_MULTIPROC_DIR if given, else the systemd unit's runtime folder, else a new temporary one.
    Emptied at every start: the files of a previous run's workers would be counted again.
    """
    if not environ.get("IVR_METRICS_TOKEN"):
        return None
    runtime = environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    folder = Path(environ.get(MULTIPROC_ENV) or (Path(runtime) / "metrics" if runtime else
                                                 tempfile.mkdtemp(prefix="ivr-metrics-")))
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.db"):
        leftover.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    return str(folder)


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: the dead worker's live values are no longer counted."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def init_app(app: Flask, store: Store) -> None:
    """Metrics on when METRICS_TOKEN is set: the registry, the store's observers, the latency timer, /metrics."""
    from ivr.settings import ConfigError

    token = parts.settings(app).metrics_token
    if not token:
        app.extensions[EXTENSION] = None
        return
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"IVR_METRICS_TOKEN är för kort: minst {MIN_TOKEN_CHARS} tecken "
                          f"(too short: at least {MIN_TOKEN_CHARS} characters; e.g. `openssl rand -hex 24`)")
    metrics = LineMetrics(token, os.environ.get(MULTIPROC_ENV) or None)
    metrics.live_incidents = lambda: _live_incidents(app, store)
    metrics.outbox_pending = store.outbox.pending_counts
    app.extensions[EXTENSION] = metrics
    store.on_commit = metrics.events
    store.on_error = metrics.store_errors.inc
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", _scrape, methods=["GET"])


def current(app: Flask) -> LineMetrics | None:
    """The app's metrics, or None when they are off."""
    return cast(LineMetrics | None, app.extensions.get(EXTENSION))


def message_observer(app: Flask) -> Callable[[Transition], None] | None:
    """What the outbox sender reports each row's change of state to (None when metrics are off)."""
    metrics = current(app)
    if metrics is None:
        return None
    counter = metrics.messages

    def observe(transition: Transition) -> None:
        if transition.new in MESSAGE_STATES:
            counter.labels(transition.kind, transition.new).inc()

    return observe


def _live_incidents(app: Flask, store: Store) -> Mapping[str, int]:
    """Live incidents by state, as the line knows them now (the app's clock, the line's known_hours)."""
    from ivr.store.incidents import IncidentStore

    line = parts.line(app)
    now = parts.now(app)
    return IncidentStore(store).live_counts(now, timedelta(hours=line.settings.incident_known_hours))


def _current() -> LineMetrics | None:
    return current(current_app)


def _start_timer() -> None:
    g.ivr_metrics_start = time.perf_counter()


def _observe(response: Response) -> Response:
    metrics, started = _current(), g.get("ivr_metrics_start")
    if metrics is not None and started is not None and request.endpoint != "metrics":
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.latency.labels(route).observe(time.perf_counter() - started)
    return response


def _scrape() -> Response:
    metrics = _current()
    assert metrics is not None  # the route exists only when metrics are on
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {metrics.token}".encode()):
        return Response("bearer token required\n", 401, {"WWW-Authenticate": "Bearer"}, mimetype="text/plain")
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(metrics.exposition(), 200, {"Content-Type": CONTENT_TYPE_LATEST})


def fallback_used() -> None:
    """Twilio called the fallback URL."""
    metrics = _current()
    if metrics is not None:
        metrics.fallbacks.inc()


def error_answered(channel: str) -> None:
    """An unexpected error was answered with the fault TwiML (voice, sms, whisper, status)."""
    metrics = _current()
    if metrics is not None:
        metrics.error_twiml.labels(channel).inc()


def sms_sent(kind: str) -> None:
    """An SMS the fault policy sent directly, without the database (ivr/outbox.send_unstored)."""
    metrics = _current()
    if metrics is not None:
        metrics.sms_sent.labels(kind).inc()


def sms_failed(kind: str) -> None:
    """An SMS the fault policy sent directly that Twilio refused or could not take."""
    metrics = _current()
    if metrics is not None:
        metrics.sms_failed.labels(kind).inc()
