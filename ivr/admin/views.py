"""The console's pages, each module adding its routes to the one blueprint (import order = nothing else)."""

from __future__ import annotations

from ivr.admin import announce, checklists, lookup, now, oidc, oncall, report, signin
from ivr.admin.blueprint import bp

__all__ = ["announce", "bp", "checklists", "lookup", "now", "oidc", "oncall", "report", "signin"]
