"""Console page: on-call (this week's chain, the swaps in force, the chain now, gaps in the next 14 days).

Routes on the console's blueprint (ivr/admin/blueprint.py), so its guard (a signed-in admin),
its CSRF check on every POST and its error pages apply. A swap's one audit event is written
with the swap itself, by the signed-in admin (as `audit()` writes the console's other actions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from flows.moments import MomentError, parse_moment
from flows.oncall import GAP_DAYS, OncallChange, OncallError, merged, new_change, next_handover_time
from ivr import parts
from ivr.admin.auth import Admin, current_admin, login_required
from ivr.admin.blueprint import bp
from ivr.admin.texts import t
from ivr.store import StoreError
from ivr.store.console import admin_session_id
from ivr.web.oncall_cache import changes_from_rows, row_values

WEEKDAYS_SV = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")


@dataclass(frozen=True)
class SwapForm:
    """What the swap form was sent with, kept to show it again with its error."""

    who: str = ""
    number: str = ""  # someone not on the roster: a phone number instead of a person
    replaces: str = ""
    start: str = ""
    end: str = ""
    note: str = ""


@bp.get("/oncall")
@login_required
def oncall() -> str:
    """This week's chain, the swaps in force, the chain now, and gaps in the next 14 days."""
    return _oncall_page(SwapForm(), None, 200)[0]


def _oncall_page(form: SwapForm, error: str | None, status: int) -> tuple[str, int]:
    line, now = parts.line(), parts.now()
    roster = line.roster
    cache = parts.oncall_cache()
    store_error = None
    try:
        swaps = changes_from_rows(parts.store().oncall_overrides(now))
    except StoreError as exc:
        store_error = str(exc)
        swaps = cache.changes(now, refresh=False)  # what this worker dials with
    effective = merged(roster, swaps)
    local = now.astimezone(roster.tz)
    week_start = local.replace(hour=roster.handover_time.hour, minute=roster.handover_time.minute, second=0,
                               microsecond=0) - timedelta(days=(local.weekday() - roster.handover_day) % 7)
    if week_start > local:
        week_start -= timedelta(days=7)
    days = [(f"{WEEKDAYS_SV[moment.weekday()]} {moment:%Y-%m-%d}", roster.on_call_at(moment),
             effective.on_call_at(moment))
            for moment in (week_start + timedelta(days=offset, hours=14) for offset in range(7))]
    page = render_template(
        "admin/oncall.html", now=local, days=days, fallback=[roster.people[p] for p in roster.fallback],
        chain=effective.chain_at(now), swaps=[_local(swap, roster.tz) for swap in swaps],
        gaps=effective.gaps(now, days=GAP_DAYS), gap_days=GAP_DAYS, people=sorted(roster.people.values(),
                                                                                 key=lambda p: p.name),
        form=form, error=error, store_error=store_error,
        default_end=next_handover_time(roster, now), saved=request.args.get("saved"),
        test_calls=test_calls(), tested=request.args.get("provsamtal"),
    )
    return page, status


def _signed_in() -> Admin:
    admin = current_admin()
    assert admin is not None  # the blueprint's guard, and login_required
    return admin


def _local(swap: OncallChange, zone: tzinfo) -> OncallChange:
    return replace(swap, start=swap.start.astimezone(zone), end=swap.end.astimezone(zone))


@bp.post("/oncall")
@login_required
def set_swap() -> BaseResponse | tuple[str, int]:
    """Store a swap from the form; a bad one is shown again with the reason (400)."""
    form = SwapForm(**{name: request.form.get(name, "").strip()[:200] for name in SwapForm.__dataclass_fields__})
    line, now = parts.line(), parts.now()
    roster = line.roster
    try:
        start = _form_moment(form.start, now, roster.tz, "Från") if form.start else now
        end = _form_moment(form.end, now, roster.tz, "Till") if form.end else next_handover_time(roster, start)
        admin = _signed_in()
        who = form.number or form.who
        if not who:
            raise OncallError("Välj en person i listan, eller skriv ett telefonnummer.")
        swap = new_change(roster, who, start, end, now, replaces=form.replaces or None, note=form.note,
                          by=admin.who)
        parts.store().add_oncall_override(row_values(swap), now, admin.who[:64], session_id=admin_session_id(admin.key),
                                     by_key=admin.key)
    except OncallError as exc:
        return _oncall_page(form, swedish(str(exc)), 400)
    except StoreError as exc:
        current_app.logger.error("on-call swap not stored: %s", exc)
        return _oncall_page(form, "Databasen svarar inte: bytet sparades inte. Försök igen om en stund.", 503)
    parts.oncall_cache().invalidate()
    return redirect(url_for("admin.oncall", saved="1"), 303)


@bp.post("/oncall/<int:swap_id>/clear")
@login_required
def clear_swap(swap_id: int) -> BaseResponse | tuple[str, int]:
    """End a swap now."""
    admin = _signed_in()
    try:
        found = parts.store().clear_oncall_override(swap_id, parts.now(), admin.who[:64],
                                                    session_id=admin_session_id(admin.key), by_key=admin.key)
    except StoreError:
        return _oncall_page(SwapForm(), "Databasen svarar inte: bytet är kvar. Försök igen om en stund.", 503)
    if not found:
        return _oncall_page(SwapForm(), f"Byte nummer {swap_id} gäller inte längre.", 404)
    parts.oncall_cache().invalidate()
    return redirect(url_for("admin.oncall", saved="1"), 303)


def _form_moment(text: str, now: datetime, zone: tzinfo, label: str) -> datetime:
    """A datetime-local field (2026-11-25T18:00) or a time of today (18:00)."""
    try:
        if len(text) <= 5 and ":" in text:
            text = f"{now.astimezone(zone):%Y-%m-%d}T{text}"
        return parse_moment(text, now, zone)
    except MomentError:
        raise OncallError(f"{label}: tiden går inte att läsa. Välj datum och tid.") from None


def swedish(problem: str) -> str:
    """A swap's problem for the form: flows/oncall.py's Swedish half, without file paths or id lists."""
    if "är varken en person" in problem:
        return "Välj en person i listan, eller skriv ett giltigt telefonnummer."
    if problem.startswith("okänd person att ersätta"):
        return "Välj i listan vem bytet gäller i stället för."
    text = problem.split(" / ")[0].strip()
    text = text.replace("; längre ändringar görs i config/roster.yaml",
                        ". Längre ändringar gör IT-enheten i beredskapslistan")
    text = text.replace("'", "")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def test_calls() -> list[dict[str, object]]:
    """The console's latest test calls: whom, when, how the call went, and whether they pressed 1."""
    from ivr.admin.words import MESSAGE_STATES
    from ivr.channels.voice.test_call import session_id

    store = parts.store()
    line = parts.line()
    found = []
    for row in store.outbox.rows(limit=200):
        if row["kind"] != "test_call":
            continue
        person = line.roster.people.get(str(row["key"]).split(":")[1])
        answered = bool(row["provider_id"]) and store.get(session_id(str(row["provider_id"]))) is not None
        found.append({"at": row["created_at"].astimezone(line.roster.tz), "who": person.name if person else "okänd",
                      "state": t(MESSAGE_STATES.get(row["state"], row["state"])), "answered": answered})
    return found[:5]


@bp.post("/oncall/provsamtal")
@login_required
def test_call() -> BaseResponse | tuple[str, int]:
    """`ivr test-call` from the console: the line calls a roster person (through the outbox), who hears that it
    is a test and presses 1 (ivr/channels/voice/test_call.py); the page then shows that they did."""
    from flows.events import EventKind
    from ivr.admin.auth import audit
    from ivr.outbox import Outgoing
    from ivr.outbox.sender import app_sender
    from ivr.web.signature import public_base

    line, now = parts.line(), parts.now()
    person = line.roster.people.get(request.form.get("person", ""))
    if person is None:
        return _oncall_page(SwapForm(), "Välj vem du vill provringa.", 400)
    if not line.settings.line_number:
        return _oncall_page(SwapForm(), "Linjen har inget eget nummer än: provsamtalet kan inte ringas.", 400)
    message = Outgoing(kind="test_call", key=f"test_call:{person.id}:{now:%Y%m%dT%H%M%S}", target=person.number,
                       text="", sender=line.settings.line_number, channel="call",
                       url=f"{public_base()}/voice/test-call")
    row = parts.store().outbox.enqueue_alone(message, now)
    audit(EventKind.TEST_CALL_REQUESTED, {"person": person.id})
    if row is not None:
        app_sender(current_app).send_now([row])
    return redirect(url_for("admin.oncall", provsamtal=person.name), 303)
