"""The console's pages, each module adding its routes to the one blueprint (import order = nothing else)."""

from __future__ import annotations

from ivr.admin import (
    about,
    announce,
    calls,
    checklists,
    history,
    incidents,
    language,
    lookup,
    now,
    oidc,
    oncall,
    report,
    signin,
)
from ivr.admin.blueprint import bp

__all__ = ["about", "announce", "bp", "calls", "checklists", "history", "incidents", "language", "lookup", "now",
           "oidc", "oncall", "report", "signin"]
