"""Sign-in with the municipality's own accounts: OpenID Connect through Authlib (Entra ID or any provider).

/admin/oidc/login sends the browser to the provider (authorization code flow, with state and
nonce); /admin/oidc/callback takes the code, has Authlib check the ID token (signature against
the provider's keys, issuer, audience, nonce, expiry) and reads the person's name and role from
its claims. The role claim and its values are settings (ivr/settings.py OidcSettings): Entra's app
roles arrive in `roles`; a group claim carries group ids, which work as values the same way.
Someone with none of the configured values is refused, and the refusal is in the audit.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, redirect, render_template, url_for
from werkzeug.wrappers import Response

from flows.events import EventKind
from ivr import parts
from ivr.admin.auth import Admin, Role, audit
from ivr.admin.blueprint import bp
from ivr.admin.texts import t
from ivr.privacy import pseudonym
from ivr.settings import OidcSettings

log = logging.getLogger(__name__)

PROVIDER = "municipality"
OAUTH = "ivr.oauth"  # app.extensions: Authlib's client registry, only when OIDC is set up
# Strongest first: someone holding two roles' values gets the one that may do more.
ORDER = (Role.ADMIN, Role.MANAGER, Role.READ_ONLY)


def init_app(app: Flask) -> None:
    """Register the provider when IVR_OIDC_* is set (its metadata is read at the first sign-in, not at start)."""
    settings = parts.settings(app).oidc
    if settings is None:
        return
    # Imported only here: Authlib costs every worker ~11 MiB and 0.06 s (bench/README.md, December 2026),
    # which a line without OIDC (SMS codes only) never needs.
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    app.extensions[OAUTH] = oauth
    oauth.register(PROVIDER, client_id=settings.client_id, client_secret=settings.client_secret,
                   server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
                   client_kwargs={"scope": "openid profile email"}, overwrite=True)


def role_of(claims: dict[str, Any], settings: OidcSettings) -> Role | None:
    """The console role the claims grant: the role claim holds one value or a list (roles, groups)."""
    held = claims.get(settings.role_claim)
    values = {str(item) for item in held} if isinstance(held, list) else {str(held)} if held else set()
    granted = {Role(role) for role, value in settings.roles if value in values}
    return next((role for role in ORDER if role in granted), None)


def name_of(claims: dict[str, Any], settings: OidcSettings) -> str:
    """The person's name as the audit shows it: the name claim, else the e-mail or user name, else the subject."""
    for claim in (settings.name_claim, "name", "email", "preferred_username", "sub"):
        if claims.get(claim):
            return str(claims[claim])[:100]
    return "okänd"


@bp.get("/oidc/login")
def oidc_login() -> Response | tuple[str, int]:
    """Off to the provider's sign-in page."""
    if parts.settings().oidc is None:
        return render_template("admin/error.html", title=t("Inloggning med konto är inte inställd"),
                               text=t("Konsolen har ingen inloggning med kommunens konton. Fråga IT-enheten.")), 404
    client = current_app.extensions[OAUTH].create_client(PROVIDER)
    try:
        response: Response = client.authorize_redirect(url_for("admin.oidc_callback", _external=True))
    except Exception:  # noqa: BLE001 - the provider may be down: a page in Swedish, the details in the log
        log.exception("console: the OpenID provider's metadata could not be read")
        return refused(t("Kommunens inloggning svarar inte just nu. Försök igen om en stund."), 502)
    return response


@bp.get("/oidc/callback")
def oidc_callback() -> Response | tuple[str, int]:
    """Back from the provider: check the token, sign the person in with their role, or refuse."""
    settings = parts.settings().oidc
    if settings is None:
        return refused(t("Konsolen har ingen inloggning med kommunens konton."), 404)
    from authlib.integrations.base_client.errors import OAuthError

    client = current_app.extensions[OAUTH].create_client(PROVIDER)
    try:
        token = client.authorize_access_token()
    except OAuthError as exc:
        log.warning("console: OpenID sign-in refused by the provider or the token check: %s", exc.error)
        return refused(t("Inloggningen avbröts eller gick inte att kontrollera. Försök igen."), 400)
    claims: dict[str, Any] = dict(token.get("userinfo") or {})
    if settings.role_claim not in claims:  # some providers give only the userinfo endpoint the role claim
        claims.update(client.userinfo(token=token))
    key = pseudonym(f"oidc:{settings.issuer}:{claims.get('sub', '')}", parts.settings().pseudonym_key)
    name = name_of(claims, settings)
    role = role_of(claims, settings)
    if role is None:
        audit(EventKind.ADMIN_SIGN_IN_REFUSED, {"reason": "no_role"}, admin=Admin(key, name, Role.READ_ONLY, "oidc"))
        return refused(t("{name} har ingen roll i konsolen. Be IT-enheten om behörighet.", name=name), 403)
    from ivr.admin.signin import begin  # one way in for both sign-ins (signin imports the blueprint too)

    begin(Admin(key, name, role, "oidc"))
    return redirect(url_for("admin.now"))


def refused(text: str, status: int) -> tuple[str, int]:
    """The console's error page for a sign-in that did not work."""
    return render_template("admin/error.html", title=t("Det gick inte att logga in"), text=text), status
