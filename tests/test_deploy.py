"""deploy/: the systemd units pass `systemd-analyze verify` and are hardened; nginx's example passes `nginx -t`,
forwards what the signature needs, and logs no query string."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.log_wait import text_once

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ("felsokningslinjen.service", "felsokningslinjen-purge.service", "felsokningslinjen-purge.timer")
SERVICES = UNITS[:2]
INSTALLED_IVR = "/opt/felsokningslinjen/bin/ivr"
ANALYZE = shutil.which("systemd-analyze")
MAX_EXPOSURE = 3.5  # issue 25: `systemd-analyze security` rated the first unit 6.0 (MEDIUM)
# Stage 1 needs no certificate and stays enabled (ACME, the redirect, the log format); stage 2 is TLS.
NGINX_HTTP, NGINX_TLS = "nginx-felsokningslinjen-http.conf", "nginx-felsokningslinjen.conf"
NGINX = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
OPENSSL = shutil.which("openssl")
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed; .ci/run installs nginx-light")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl (to make a test certificate) is not installed")
SECRET = "SeCrEtStAtE"  # stands for a call's state token in the tests' URLs


def exec_start(unit: str) -> str:
    found = re.findall(r"^ExecStart=(.+)$", (DEPLOY / unit).read_text("utf-8"), re.MULTILINE)
    assert len(found) == 1, found
    return str(found[0])


def copy_units(folder: Path) -> None:
    """The units with the installed path as this environment's ivr (verify and security check that it exists)."""
    ivr = Path(sys.executable).parent / "ivr"
    assert ivr.exists(), ivr
    for name in UNITS:
        text = (DEPLOY / name).read_text("utf-8")
        (folder / name).write_text(text.replace(INSTALLED_IVR, str(ivr)), "utf-8")


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (systemd); .ci/run installs it")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: the installed path becomes this environment's ivr.
    copy_units(tmp_path)
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


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (systemd); .ci/run installs it")
@pytest.mark.parametrize("name", SERVICES)
def test_the_services_are_hardened_to_a_low_exposure(tmp_path: Path, name: str) -> None:
    copy_units(tmp_path)
    result = subprocess.run([str(ANALYZE), "security", "--offline=yes", "--no-pager", str(tmp_path / name)],
                            capture_output=True, text=True, timeout=120, check=False)
    if "--offline" in result.stderr and ("unrecognized" in result.stderr or "unknown" in result.stderr):
        pytest.skip(f"this systemd-analyze has no --offline (systemd 252 or newer has it): {result.stderr.strip()}")
    found = re.search(rf"Overall exposure level for {re.escape(name)}: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE, result.stdout


def nginx_conf(name: str) -> str:
    return (DEPLOY / name).read_text("utf-8")


def test_the_proxy_forwards_the_request_target_unchanged_to_the_service() -> None:
    conf = nginx_conf(NGINX_TLS)
    # No URI after the address: nginx then forwards the request target as Twilio sent it (the signature covers it).
    passes = re.findall(r"^\s*proxy_pass\s+(\S+);", conf, re.MULTILINE)
    assert passes and set(passes) == {"http://127.0.0.1:8000"}, passes
    for header in ("Host", "X-Forwarded-Proto", "X-Forwarded-For"):
        assert re.search(rf"^\s*proxy_set_header\s+{header}\s", conf, re.MULTILINE), header
    assert re.search(r"^\s*listen 443 ssl;", conf, re.MULTILINE) and "ssl_certificate " in conf
    # Stage 1 must pass `nginx -t` before any certificate exists.
    assert "ssl" not in re.sub(r"#.*", "", nginx_conf(NGINX_HTTP))


def test_nginx_logs_paths_never_queries() -> None:
    text = "\n".join(re.sub(r"#.*", "", nginx_conf(name)) for name in (NGINX_HTTP, NGINX_TLS))
    formats = dict(re.findall(r"\blog_format\s+(\S+)\s+([^;]+);", text))
    assert list(formats) == ["felsokningslinjen"], formats
    fields = set(re.findall(r"\$\w+", formats["felsokningslinjen"]))
    assert "$uri" in fields
    # $request is the request line, $request_uri the target as sent: both carry the query.
    leaks = {"$request", "$request_uri", "$args", "$query_string", "$http_referer"}
    assert not fields & leaks and not any(field.startswith("$arg_") for field in fields), fields
    # Every server logs with it (a bare access_log would use nginx's "combined", i.e. $request).
    logs = re.findall(r"\baccess_log\s+([^;]+);", text)
    assert len(logs) == 2 and all(log.split()[1:] == ["felsokningslinjen"] for log in logs), logs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_certificate(folder: Path) -> None:
    """A self-signed fullchain.pem and privkey.pem, as certbot leaves them in /etc/letsencrypt/live/<name>/."""
    assert OPENSSL is not None
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem"), "-days", "2",
                    "-subj", "/CN=ivr.kommun.se"], check=True, capture_output=True, timeout=60)


def nginx_site(folder: Path, stages: tuple[str, ...], *, ports: tuple[int, int, int] | None = None) -> Path:
    """nginx's main config in `folder` including copies of `stages`, as Debian's nginx.conf includes sites-enabled/.

    The copies' certificate, log and ACME folders are moved into `folder`; with ports (http, tls, service) they
    listen on loopback there and pass to the service's port, else they keep 80, 443 and 8000 (`nginx -t` binds none).
    """
    includes = []
    for name in stages:
        text = (nginx_conf(name).replace("/etc/letsencrypt/live/ivr.kommun.se", str(folder))
                .replace("/var/log/nginx", str(folder / "logs")).replace("/var/www/letsencrypt", str(folder / "www")))
        if ports is not None:
            http, tls, service = ports
            text = re.sub(r"^\s*listen \[::\].*$", "", text, flags=re.MULTILINE)  # IPv6 may be absent here
            text = (text.replace("listen 80;", f"listen 127.0.0.1:{http};")
                    .replace("listen 443 ssl;", f"listen 127.0.0.1:{tls} ssl;")
                    .replace("http://127.0.0.1:8000", f"http://127.0.0.1:{service}"))
        (folder / name).write_text(text, "utf-8")
        includes.append(f"    include {folder / name};")
    (folder / "logs").mkdir(exist_ok=True)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{kind}_temp_path {folder / kind};" for kind in kinds)
    main = folder / "nginx.conf"
    main.write_text("\n".join([
        # As root, nginx would run its workers as nobody, who cannot enter this private temporary folder.
        "user root;" if os.geteuid() == 0 else "",
        f"pid {folder / 'nginx.pid'};", f"error_log {folder / 'logs' / 'main-error.log'};",
        "events {}", "http {", f"    access_log {folder / 'logs' / 'main-access.log'};", f"    {temp}",
        *includes, "}", ""]), "utf-8")
    return main


def nginx_command(main: Path, *args: str) -> list[str]:
    assert NGINX is not None
    return [NGINX, "-p", str(main.parent), "-e", str(main.parent / "logs" / "early-error.log"), "-c", str(main), *args]


def nginx_test(main: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(nginx_command(main, "-t"), capture_output=True, text=True, timeout=60, check=False)


@needs_nginx
@needs_openssl
def test_nginx_accepts_each_stage_and_the_tls_stage_only_with_its_certificate(tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    result = nginx_test(nginx_site(first, (NGINX_HTTP,)))
    assert result.returncode == 0, result.stderr
    # Why the order: the TLS server names a certificate that must exist.
    early = tmp_path / "early"
    early.mkdir()
    result = nginx_test(nginx_site(early, (NGINX_HTTP, NGINX_TLS)))
    assert result.returncode != 0 and "fullchain.pem" in result.stderr, result.stderr
    both = tmp_path / "both"
    both.mkdir()
    make_certificate(both)
    result = nginx_test(nginx_site(both, (NGINX_HTTP, NGINX_TLS)))
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


class Seen(BaseHTTPRequestHandler):
    """The service's stand-in: answers 200 and keeps each request's target and headers."""

    requests: list[tuple[str, dict[str, str]]] = []

    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Seen.requests.append((self.path, {key.lower(): value for key, value in self.headers.items()}))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[int, int, Path, ThreadingHTTPServer]]:
    """nginx running both stages in front of a stand-in service: (http port, tls port, folder, service)."""
    Seen.requests = []
    service = ThreadingHTTPServer(("127.0.0.1", 0), Seen)
    threading.Thread(target=service.serve_forever, daemon=True).start()
    http, tls = free_port(), free_port()
    make_certificate(tmp_path)
    (tmp_path / "www" / ".well-known" / "acme-challenge").mkdir(parents=True)
    main = nginx_site(tmp_path, (NGINX_HTTP, NGINX_TLS), ports=(http, tls, service.server_address[1]))
    nginx = subprocess.Popen(nginx_command(main, "-g", "daemon off;"), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", tls), timeout=1).close()
                break
            except OSError:
                assert nginx.poll() is None, nginx.communicate()[1]
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        yield http, tls, tmp_path, service
    finally:
        nginx.terminate()
        nginx.communicate(timeout=20)
        service.shutdown()
        service.server_close()


def request(port: int, method: str, target: str, *, tls: bool = True, source: str = "127.0.0.1",
            body: str | None = None) -> http.client.HTTPResponse:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's self-signed certificate
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context, timeout=10, source_address=(source, 0))
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    headers = {"Host": "ivr.kommun.se"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, target, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@needs_nginx
@needs_openssl
def test_nginx_passes_twilios_url_unchanged_guards_admin_and_logs_no_state(
        proxied: tuple[int, int, Path, ThreadingHTTPServer]) -> None:
    http, tls, folder, service = proxied
    # Escapes as Twilio sent them: the signature is over this exact URL.
    target = f"/voice/input?s={SECRET}_a%2Fb-c&Digits=1&x=%C3%A5+%20"
    assert request(tls, "POST", target, body="CallSid=CA1&Digits=1").status == 200
    path, headers = Seen.requests[-1]
    assert path == target
    assert (headers["host"], headers["x-forwarded-proto"], headers["x-forwarded-for"]) == (
        "ivr.kommun.se", "https", "127.0.0.1")

    # The console: this machine is allowed, any other address is refused before the service sees it.
    assert request(tls, "GET", "/admin/").status == 200
    assert Seen.requests[-1][0] == "/admin/"
    seen = len(Seen.requests)
    assert request(tls, "GET", "/admin/logga-in", source="127.0.0.2").status == 403
    assert request(tls, "GET", "/admin", source="127.0.0.2").status == 403
    assert len(Seen.requests) == seen
    assert request(tls, "POST", "/voice", source="127.0.0.2", body="CallSid=CA2").status == 200

    # Plain http: the ACME challenge is served from the webroot, everything else is redirected.
    (folder / "www" / ".well-known" / "acme-challenge" / "token-1").write_text("token-1.thumbprint")
    assert request(http, "GET", "/.well-known/acme-challenge/token-1", tls=False).status == 200
    moved = request(http, "GET", f"/voice?s={SECRET}", tls=False)
    assert (moved.status, moved.getheader("Location")) == (301, f"https://ivr.kommun.se/voice?s={SECRET}")

    # The service down: a 502, in the access log by path and status alone.
    service.shutdown()
    service.server_close()
    assert request(tls, "POST", f"/voice/input?s={SECRET}", body="CallSid=CA3").status == 502

    # nginx writes a request's access line after the response has left, so the last line may lag the reply.
    access_log = folder / "logs" / "felsokningslinjen.access.log"
    access = text_once(lambda: access_log.read_text("utf-8"), '"POST /voice/input HTTP/1.1" 502')
    assert '"POST /voice/input HTTP/1.1" 200' in access and '"POST /voice/input HTTP/1.1" 502' in access
    assert '"GET /admin/logga-in HTTP/1.1" 403' in access
    for log in (folder / "logs").iterdir():
        assert SECRET not in log.read_text("utf-8"), log.name
