"""Every webhook verifies X-Twilio-Signature against the public URL."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.config import ConfigError
from tests.conftest import PUBLIC_URL, TOKEN, FrozenClock, Twilio, app_config

CALL = {"CallSid": "CA" + "2" * 32, "From": "+46701740699", "To": "+46141225000"}
WEBHOOKS = ["/voice", "/voice/input", "/voice/fallback", "/voice/dial/it_support",
            "/voice/whisper?call=CA1&attempt=0"]


def sign(url: str, params: Mapping[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@pytest.mark.parametrize("path", WEBHOOKS)
def test_unsigned_request_is_refused(app: Flask, path: str) -> None:
    assert app.test_client().post(path, data=CALL).status_code == 403


@pytest.mark.parametrize("path", WEBHOOKS)
def test_wrong_token_is_refused(app: Flask, path: str) -> None:
    response = Twilio(app.test_client(), token="another-token").post(path, **CALL)
    assert response.status_code == 403


def test_tampered_parameter_is_refused(app: Flask) -> None:
    signature = sign(PUBLIC_URL + "/voice/input", {**CALL, "Digits": "1"})
    response = app.test_client().post(
        "/voice/input", data={**CALL, "Digits": "2"}, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_signature_for_another_url_is_refused(app: Flask) -> None:
    signature = sign(PUBLIC_URL + "/voice", CALL)
    response = app.test_client().post(
        "/voice/input", data=CALL, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_signature_for_another_query_is_refused(app: Flask) -> None:
    signature = sign(PUBLIC_URL + "/voice/whisper?call=CA1&attempt=0", CALL)
    response = app.test_client().post(
        "/voice/whisper?call=CA1&attempt=1", data=CALL, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_signature_over_the_url_with_its_default_port_is_accepted(app: Flask) -> None:
    # Twilio sometimes signs https://host:443/...: the one-HMAC fast path misses it, the full check must not.
    with_port = PUBLIC_URL.replace(".invalid", ".invalid:443") + "/voice"
    assert ":443/" in with_port
    response = app.test_client().post("/voice", data=CALL, headers={"X-Twilio-Signature": sign(with_port, CALL)})
    assert response.status_code == 200


def test_every_value_of_a_repeated_field_is_signed(app: Flask) -> None:
    # Twilio signs each value of a repeated field; checking only the first would let the others be forged.
    from werkzeug.datastructures import MultiDict

    signed = MultiDict([*CALL.items(), ("StirVerstat", "TN-Validation-Passed-A"), ("StirVerstat", "B")])
    signature = sign(PUBLIC_URL + "/voice", signed)
    client = app.test_client()
    assert client.post("/voice", data=signed, headers={"X-Twilio-Signature": signature}).status_code == 200
    forged = MultiDict([*CALL.items(), ("StirVerstat", "TN-Validation-Passed-A"), ("StirVerstat", "C")])
    assert client.post("/voice", data=forged, headers={"X-Twilio-Signature": signature}).status_code == 403


def test_signed_request_is_accepted(twilio: Twilio) -> None:
    response = twilio.post("/voice", **CALL)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"


# Twilio's published example (docs: "Validating requests"): token 12345, this URL, these params.
TWILIO_EXAMPLE = {
    "CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
    "From": "+14158675309", "To": "+18005551212",
}


@pytest.mark.parametrize(
    ("signature", "accepted"),
    [("RSOYDt4T1cUTdK1PDd93/VVr8B8=", True), ("RSOYDt4T1cUTdK1PDd93/VVr8B8X", False)],
)
def test_twilios_published_example_vector(
    database_url: str, clock: FrozenClock, signature: str, accepted: bool
) -> None:
    app = create_app(app_config(database_url, clock, TWILIO_AUTH_TOKEN="12345",
                                PUBLIC_URL="https://mycompany.com"))
    app.add_url_rule("/myapp.php", "example", lambda: "ok", methods=["POST"])
    response = app.test_client().post(
        "/myapp.php?foo=1&bar=2", data=TWILIO_EXAMPLE, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == (200 if accepted else 403)
    app.extensions["ivr.store"].dispose()


def test_request_through_a_tls_proxy_is_checked_against_the_public_url(
    database_url: str, clock: FrozenClock
) -> None:
    """Twilio signs https://public/...; the app behind the proxy sees http://internal:8000/..."""
    app = create_app(app_config(database_url, clock, PUBLIC_URL="https://ivr.kommun.example/"))
    client = app.test_client()
    signature = sign("https://ivr.kommun.example/voice", CALL)
    response = client.post(
        "/voice", data=CALL, headers={"X-Twilio-Signature": signature},
        base_url="http://10.0.0.5:8000",
    )
    assert response.status_code == 200
    internal = sign("http://10.0.0.5:8000/voice", CALL)
    refused = client.post("/voice", data=CALL, headers={"X-Twilio-Signature": internal},
                          base_url="http://10.0.0.5:8000")
    assert refused.status_code == 403
    app.extensions["ivr.store"].dispose()


def test_server_refuses_to_start_without_a_token(database_url: str, clock: FrozenClock) -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set"):
        create_app(app_config(database_url, clock, TWILIO_AUTH_TOKEN=None))


def test_development_mode_starts_without_a_token_but_still_checks(
    database_url: str, clock: FrozenClock
) -> None:
    app = create_app(app_config(database_url, clock, TWILIO_AUTH_TOKEN=None, DEV_MODE=True))
    assert app.test_client().post("/voice", data=CALL).status_code == 403
    app.extensions["ivr.store"].dispose()


def test_healthz_needs_no_signature(twilio: Twilio) -> None:
    response = twilio.client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "signature",
    ["é", "é" * 28, "RSOYDt4T1cUTdK1PDd93/VVr8B8\u00ff", "\x00", "x" * 10_000, "ü" * 44],
    ids=["e-acute", "28-non-ascii", "latin1-tail", "nul", "huge", "44-non-ascii"],
)
def test_malformed_signature_is_refused_not_an_error_answer(app: Flask, signature: str) -> None:
    # compare_digest() raises TypeError on non-ASCII text: that must be a 403, never the emergency TwiML.
    response = app.test_client().post("/voice", data=CALL, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_request_to_a_host_with_a_malformed_port_is_refused(database_url: str, clock: FrozenClock) -> None:
    # Without IVR_PUBLIC_URL the Host header is part of the checked URL: a port urlparse() cannot read
    # (Werkzeug drops it today) must be refused like any other bad request, not become an error answer.
    app = create_app(app_config(database_url, clock, PUBLIC_URL=None))
    signature = sign("http://ivr.example/voice", CALL)
    response = app.test_client().post(
        "/voice", data=CALL, headers={"X-Twilio-Signature": signature, "Host": "ivr.example:99999"}
    )
    assert response.status_code == 403
    app.extensions["ivr.store"].dispose()


ESCAPED = ["/voice/whisper?call=%5B%5D&attempt=0", "/voice/dial/it%5Fsupport", "/voice/whisper?call=CA%2F1&attempt=0"]


@pytest.mark.parametrize("path", ESCAPED)
def test_percent_escaped_url_is_checked_as_requested_without_a_public_url(
    database_url: str, clock: FrozenClock, path: str
) -> None:
    """Twilio signs the URL exactly as it requests it, escapes and all (Werkzeug's request.url decodes some)."""
    app = create_app(app_config(database_url, clock, PUBLIC_URL=None))
    response = Twilio(app.test_client(), base="http://localhost").post(path, **CALL)
    assert response.status_code == 200
    decoded = sign("http://localhost" + path.replace("%5B%5D", "[]").replace("%5F", "_").replace("%2F", "/"), CALL)
    assert app.test_client().post(path, data=CALL, headers={"X-Twilio-Signature": decoded}).status_code == 403
    app.extensions["ivr.store"].dispose()


@pytest.mark.parametrize("path", ESCAPED)
def test_percent_escaped_url_is_checked_as_requested_behind_a_public_url(twilio: Twilio, path: str) -> None:
    assert twilio.post(path, **CALL).status_code == 200


def test_escaped_query_is_kept_when_the_server_gives_no_raw_uri(database_url: str, clock: FrozenClock) -> None:
    # RAW_URI and REQUEST_URI are not required by WSGI: the query string is raw there too.
    app = create_app(app_config(database_url, clock, PUBLIC_URL=None))
    path = "/voice/whisper?call=%5B%5D&attempt=0"
    response = app.test_client().post(
        path, data=CALL, headers={"X-Twilio-Signature": sign("http://localhost" + path, CALL)},
        environ_overrides={"RAW_URI": "", "REQUEST_URI": ""},
    )
    assert response.status_code == 200
    app.extensions["ivr.store"].dispose()
