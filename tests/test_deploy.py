"""deploy/: the systemd units pass `systemd-analyze verify`, and the proxy example forwards what the signature needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ("felsokningslinjen.service", "felsokningslinjen-purge.service", "felsokningslinjen-purge.timer")
INSTALLED_IVR = "/opt/felsokningslinjen/bin/ivr"
ANALYZE = shutil.which("systemd-analyze")


def exec_start(unit: str) -> str:
    found = re.findall(r"^ExecStart=(.+)$", (DEPLOY / unit).read_text("utf-8"), re.MULTILINE)
    assert len(found) == 1, found
    return str(found[0])


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (systemd); .ci/run installs it")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: the installed path becomes this environment's ivr.
    ivr = Path(sys.executable).parent / "ivr"
    assert ivr.exists(), ivr
    for name in UNITS:
        text = (DEPLOY / name).read_text("utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_IVR, str(ivr)), "utf-8")
    result = subprocess.run([str(ANALYZE), "verify", "--man=no", *(str(tmp_path / name) for name in UNITS)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # Unknown keys and bad values are only warnings to verify: none may mention our units.
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if any(name in line for name in UNITS)]
    assert complaints == []


def test_the_service_serves_in_production_on_loopback_and_the_timer_purges() -> None:
    assert exec_start("felsokningslinjen.service") == (
        f"{INSTALLED_IVR} serve --production --host 127.0.0.1 --port 8000")
    # The retention setting decides; no --older-than, so the timer never needs --yes.
    assert exec_start("felsokningslinjen-purge.service") == f"{INSTALLED_IVR} purge"
    service = (DEPLOY / "felsokningslinjen.service").read_text("utf-8")
    assert "RuntimeDirectory=felsokningslinjen" in service  # gunicorn's control socket, per instance


def test_the_proxy_forwards_the_request_target_unchanged_to_the_service() -> None:
    conf = (DEPLOY / "nginx-felsokningslinjen.conf").read_text("utf-8")
    # No URI after the address: nginx then forwards the request target as Twilio sent it (the signature covers it).
    assert re.findall(r"^\s*proxy_pass\s+(\S+);", conf, re.MULTILINE) == ["http://127.0.0.1:8000"]
    for header in ("Host", "X-Forwarded-Proto", "X-Forwarded-For"):
        assert re.search(rf"^\s*proxy_set_header\s+{header}\s", conf, re.MULTILINE), header
    assert re.search(r"^\s*listen 443 ssl;", conf, re.MULTILINE) and "ssl_certificate " in conf
