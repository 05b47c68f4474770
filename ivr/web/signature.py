"""Twilio request signatures: every webhook must carry a valid X-Twilio-Signature."""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from urllib.parse import quote, urlsplit

from flask import Flask, abort, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr import parts

# Not called by Twilio: the load balancer's health check, the metrics scrape (its own bearer
# token, ivr/operations/metrics.py), and unknown paths (404).
UNSIGNED_ENDPOINTS = (None, "static", "fallback.healthz", "metrics")
# People's pages, not Twilio's: the /admin console has its own sign-in and CSRF check (ivr/admin).
UNSIGNED_BLUEPRINTS = ("admin",)


# RFC 3986's characters allowed unescaped in a path: re-escaping keeps these as they are.
PATH_SAFE = "/:@!$&'()*+,;="
# Twilio's signatures are base64 HMACs (28 characters for SHA-1, 44 for SHA-256).
MAX_SIGNATURE_CHARS = 128


def requested_target() -> str:
    """The path and query exactly as the client sent them, escapes kept: /voice/whisper?call=%5B%5D.

    Twilio signs the URL it requested byte for byte; Werkzeug's request.url and
    request.path decode some escapes (%5B -> [), which would refuse a genuine request.
    """
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")  # gunicorn, Werkzeug (not required by WSGI)
    if isinstance(raw, str) and raw:
        if raw.startswith("/"):
            return raw
        parts = urlsplit(raw)  # absolute form: http://host/path?query
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # No raw target from this server: escape the decoded path again (WSGI strings are latin-1).
    path = quote((environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1"), safe=PATH_SAFE)
    query = environ.get("QUERY_STRING", "")
    return path + (f"?{query}" if query else "")


def public_url() -> str:
    """The URL Twilio requested, as Twilio saw it.

    Behind a TLS-terminating proxy Flask sees http://internal-host/...; Twilio
    signed https://public-host/..., so the configured public base URL wins. That
    base stands for the app's root, so a mount point (SCRIPT_NAME) is not repeated.
    """
    target = requested_target()
    base = parts.settings().public_url
    if not base:
        return request.host_url.rstrip("/") + target
    root = quote(request.root_path.encode("latin-1"), safe=PATH_SAFE)
    if root and target.startswith(root + "/"):
        target = target[len(root):]
    return str(base).rstrip("/") + target


def public_base() -> str:
    """The base URL Twilio reaches this app at, for URLs handed to the REST API."""
    base = parts.settings().public_url or request.url_root
    return str(base).rstrip("/")


class SignedForm(Mapping[str, str]):
    """The POST form as twilio's validator reads it (a view of it, not a copy).

    The validator asks each field for all its values with getall() and falls back
    through two AttributeErrors to plain indexing; a dict would also keep only the
    first value of a repeated field, which Twilio signs in full.
    """

    def __init__(self, form: MultiDict[str, str]) -> None:
        """form: the request's parsed form."""
        self._form = form

    def __getitem__(self, key: str) -> str:
        return self._form[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._form)

    def __len__(self) -> int:
        return len(self._form)

    def getall(self, key: str) -> list[str]:
        """Every value of a field, as the validator signs them."""
        return self._form.getlist(key)


def signed_params() -> SignedForm:
    """The parameters Twilio signs: the POST form (none for GET)."""
    return SignedForm(request.form if request.method == "POST" else MultiDict())


def verify_request() -> None:
    """Abort with 403 unless the request is signed by Twilio with our token."""
    if request.endpoint in UNSIGNED_ENDPOINTS or request.blueprint in UNSIGNED_BLUEPRINTS:
        return
    validator = parts.validator()
    signature = request.headers.get("X-Twilio-Signature", "")
    try:
        valid = well_formed(signature) and is_valid(validator, public_url(), signed_params(), signature)
    except ValueError:  # a URL urlparse() cannot read, a path not in latin-1: not a request Twilio signed
        valid = False
    if not valid:
        current_app.logger.warning("rejected request with a bad signature: %s", request.path)
        abort(403)


def well_formed(signature: str) -> bool:
    """Could this be a Twilio signature at all? (compare_digest raises on non-ASCII text.)"""
    return 0 < len(signature) <= MAX_SIGNATURE_CHARS and signature.isascii()


def is_valid(validator: RequestValidator, url: str, params: SignedForm, signature: str) -> bool:
    """Twilio's check, one HMAC for the usual request.

    validate() always computes two HMACs (the URL with and without a port, since
    Twilio's own signing differs there). A signature that matches the URL exactly
    as configured is Twilio's either way, so that one is tried first.
    """
    expected = validator.compute_signature(url, params)
    return hmac.compare_digest(expected, signature) or validator.validate(url, params, signature)


def init_app(app: Flask) -> None:
    """Check the signature before any view runs."""
    app.extensions[parts.VALIDATOR] = RequestValidator(parts.settings(app).twilio_auth_token)
    app.before_request(verify_request)
