"""The session store: sessions, their audit events, announcements and incident reports, with migrations."""

from ivr.store.store import SessionRecord, StaleSession, Store, StoreError

__all__ = ["SessionRecord", "StaleSession", "Store", "StoreError"]
