"""The console's pages, each module adding its routes to the one blueprint (import order = nothing else)."""

from __future__ import annotations

from ivr.admin import announce, lookup, now, oncall, signin
from ivr.admin.blueprint import bp

__all__ = ["announce", "bp", "lookup", "now", "oncall", "signin"]
