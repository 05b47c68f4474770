"""`ivr ...` in a subprocess with the clock frozen at IVR_TEST_FROZEN_CLOCK (tests only: never today).

The command runs unchanged; only the app it builds gets a clock that always reads the given moment.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import ivr
from ivr.cli import main as ivr_main

_real_create_app = ivr.create_app


def _frozen_create_app(test_config: dict[str, Any] | None = None, **overrides: Any) -> Any:
    moment = datetime.fromisoformat(os.environ["IVR_TEST_FROZEN_CLOCK"])
    return _real_create_app(test_config, CLOCK=lambda: moment, **overrides)


def main() -> None:
    """Run the `ivr` command with the frozen clock."""
    ivr.create_app = _frozen_create_app  # type: ignore[assignment]
    ivr_main()
