"""Use cases of OAuth2 mailboxes: start and finish the consent flow, keep the tokens fresh, hand one out.

The provider is called with Authlib's OAuth2 client (decision 0224) over `requests` (green under the
worker's eventlet). Tokens, the client secret and the PKCE verifier are stored encrypted (decision 0225).
A refresh holds the mailbox's `mailbox_oauth` row locked (SELECT ... FOR UPDATE) across the call to the
token endpoint, so two worker processes never spend one refresh token twice: providers that rotate refresh
tokens (Microsoft) would refuse the second and the mailbox would look revoked (decision 0226).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.errors import (
    OAUTH_NOT_CONNECTED,
    OAUTH_PROVIDER_REFUSED,
    OAUTH_STATE_INVALID,
    DomainError,
    NotFound,
    ValidationFailed,
)
from contracts.mail_gateway import (
    MailboxAccessToken,
    MailboxOAuthConsent,
    MailboxOAuthFailed,
    MailboxOAuthRead,
    MailboxOAuthStart,
    OAuthProvider,
    OAuthStatus,
)
from mail_gateway import mailbox_secrets
from mail_gateway.db.models import Mailbox, MailboxOAuth
from mail_gateway.oauth import rules
from mail_gateway.oauth.reads import oauth_read

log = get_logger(__name__)


class OAuthNotConnected(DomainError):
    code = OAUTH_NOT_CONNECTED


class OAuthStateInvalid(DomainError):
    code = OAUTH_STATE_INVALID


class OAuthProviderRefused(DomainError):
    code = OAUTH_PROVIDER_REFUSED


@dataclass(frozen=True)
class _Client:
    client_id: str
    client_secret: str


def _seal(runtime: Runtime, value: str) -> str:
    return mailbox_secrets.encrypt(value, secret=runtime.settings.secret_key, info=mailbox_secrets.OAUTH)


def _open(runtime: Runtime, stored: str | None) -> str:
    return mailbox_secrets.decrypt(stored, secret=runtime.settings.secret_key, info=mailbox_secrets.OAUTH)


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def _client(runtime: Runtime, row: MailboxOAuth) -> _Client:
    """The mailbox's own client, else the preset's from the settings."""
    settings = runtime.settings
    preset = {
        OAuthProvider.MICROSOFT.value: (settings.oauth_microsoft_client_id, settings.oauth_microsoft_client_secret),
        OAuthProvider.GOOGLE.value: (settings.oauth_google_client_id, settings.oauth_google_client_secret),
    }.get(row.provider, ("", ""))
    client_id = row.client_id or preset[0]
    client_secret = _open(runtime, row.client_secret) if row.client_secret else preset[1]
    return _Client(client_id, client_secret)


def _session(runtime: Runtime, client: _Client, **kwargs: Any) -> OAuth2Session:
    # client_secret_post: what Microsoft's and Google's token endpoints both take
    return OAuth2Session(
        client.client_id,
        client.client_secret,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method's name, not a secret)
        **kwargs,
    )


def begin_consent(*, runtime: Runtime, mailbox_id: int, data: MailboxOAuthStart) -> MailboxOAuthConsent:
    """Store the provider and client (secret encrypted), a fresh state and PKCE verifier; the consent URL."""
    settings = runtime.settings
    config = rules.provider_config(data, microsoft_tenant=settings.oauth_microsoft_tenant)
    if not rules.web_url(data.redirect_uri):
        raise ValidationFailed(message="the redirect URI must be an https:// URL", details={"field": "redirect_uri"})
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    with runtime.transaction() as session:
        box = session.get(Mailbox, mailbox_id)
        if box is None:
            raise NotFound(message=f"no mailbox {mailbox_id}", details={"mailbox_id": mailbox_id})
        row = session.get(MailboxOAuth, mailbox_id, with_for_update=True)
        before = (row.provider, row.token_url, row.client_id) if row is not None else None
        if row is None or row.provider != config.provider.value:
            if row is None:
                row = MailboxOAuth(mailbox_id=mailbox_id, status=OAuthStatus.PENDING.value)
                session.add(row)
            row.client_id = row.client_secret = None  # another provider: its client is not this one's
        row.provider = config.provider.value
        row.authorize_url, row.token_url, row.scopes, row.tenant = (
            config.authorize_url,
            config.token_url,
            config.scopes,
            config.tenant,
        )
        if data.client_id is not None:
            row.client_id = data.client_id.strip() or None
        if data.client_secret:
            row.client_secret = _seal(runtime, data.client_secret)
        if before is not None and before != (row.provider, row.token_url, row.client_id) and row.refresh_token:
            # tokens of another provider or client are no use with this one: the mailbox waits for this consent
            row.access_token = row.refresh_token = row.expires_at = row.error = None
            row.status = OAuthStatus.PENDING.value
        client = _client(runtime, row)
        if not client.client_id or not client.client_secret:
            raise ValidationFailed(
                message=f"no OAuth2 client for {config.provider.value}: enter the app's client id and secret",
                details={"field": "client_id" if not client.client_id else "client_secret"},
            )
        row.state_sha256 = _state_hash(state)
        row.code_verifier = _seal(runtime, verifier)
        row.redirect_uri = data.redirect_uri
        row.state_expires_at = utcnow() + timedelta(seconds=settings.oauth_consent_seconds)
        if not box.imap_host and config.provider in rules.IMAP_HOSTS:
            box.imap_host, box.imap_security = rules.IMAP_HOSTS[config.provider], "ssl"
        if not box.imap_user:
            box.imap_user = box.address
        oauth = _session(runtime, client, scope=config.scopes, redirect_uri=data.redirect_uri)
        url, _ = oauth.create_authorization_url(
            config.authorize_url,
            state=state,
            code_verifier=verifier,
            code_challenge_method="S256",
            login_hint=box.imap_user,  # the provider offers the right account first
            **config.authorize_params(),
        )
    return MailboxOAuthConsent(mailbox_id=mailbox_id, authorize_url=url, state=state)


def complete_consent(*, runtime: Runtime, state: str, code: str) -> MailboxOAuthRead:
    """Exchange the provider's code for tokens (with the PKCE verifier) and store them encrypted."""
    with runtime.transaction() as session:
        row = session.scalar(
            select(MailboxOAuth).where(MailboxOAuth.state_sha256 == _state_hash(state)).with_for_update()
        )
        if row is None:
            raise OAuthStateInvalid(message="this sign-in answer matches no consent in progress (used or unknown)")
        expired = row.state_expires_at is None or row.state_expires_at < utcnow()
        verifier = _open(runtime, row.code_verifier)
        redirect_uri = row.redirect_uri or ""
        row.state_sha256 = row.code_verifier = row.redirect_uri = row.state_expires_at = None  # used once
        if expired:
            session.commit()
            raise OAuthStateInvalid(message="the consent took too long: start connecting the mailbox again")
        oauth = _session(runtime, _client(runtime, row), redirect_uri=redirect_uri)
        try:
            token = oauth.fetch_token(
                row.token_url, code=code, code_verifier=verifier, timeout=runtime.settings.oauth_timeout
            )
        except OAuthError as exc:
            session.commit()
            raise OAuthProviderRefused(
                message=f"the provider refused the sign-in: {rules.refusal_reason(exc.error, exc.description)}"
            ) from None
        except (requests.RequestException, ValueError) as exc:
            session.commit()
            raise OAuthProviderRefused(message=f"the provider's token endpoint failed: {type(exc).__name__}") from None
        if not token.get("refresh_token"):
            session.commit()
            raise OAuthProviderRefused(
                message="the provider gave no refresh token (Microsoft: add the offline_access scope)"
            )
        now = utcnow()
        _store(runtime, row, token, now)
        row.status, row.error, row.connected_at = OAuthStatus.CONNECTED.value, None, now
        box = session.get(Mailbox, row.mailbox_id)
        if box is not None:
            box.imap_next_poll_at, box.imap_last_error = None, None  # fetch at once with the new sign-in
        log.info("mailbox_oauth_connected", mailbox_id=row.mailbox_id, provider=row.provider)
        return oauth_read(row)


def _store(runtime: Runtime, row: MailboxOAuth, token: dict[str, Any], now: datetime) -> None:
    row.access_token = _seal(runtime, str(token["access_token"]))
    if token.get("refresh_token"):  # Google keeps the refresh token; Microsoft sends a new one each time
        row.refresh_token = _seal(runtime, str(token["refresh_token"]))
    row.expires_at = rules.expiry(token, now)
    row.refreshed_at = now


def _refresh_locked(runtime: Runtime, session: Session, row: MailboxOAuth) -> str | None:
    """Refresh the row's tokens (the caller holds its lock); the reason when the provider refused for good."""
    oauth = _session(runtime, _client(runtime, row))
    try:
        token = oauth.refresh_token(
            row.token_url, refresh_token=_open(runtime, row.refresh_token), timeout=runtime.settings.oauth_timeout
        )
    except OAuthError as exc:
        reason = rules.refusal_reason(exc.error, exc.description)
        if not rules.is_permanent(exc.error):
            log.warning("mailbox_oauth_refresh_failed", mailbox_id=row.mailbox_id, reason=reason, permanent=False)
            return None
        _fail(runtime, session, row, reason)
        return reason
    except (requests.RequestException, ValueError) as exc:
        # the provider is down or answered garbage: try again next tick; the token may still be good
        log.warning("mailbox_oauth_refresh_failed", mailbox_id=row.mailbox_id, reason=type(exc).__name__)
        return None
    _store(runtime, row, dict(token), utcnow())
    row.error = None
    log.info("mailbox_oauth_refreshed", mailbox_id=row.mailbox_id, expires_at=str(row.expires_at))
    return None


def _fail(runtime: Runtime, session: Session, row: MailboxOAuth, reason: str) -> None:
    """Mark the connection failed and tell the admins (through the outbox), once per failure."""
    row.status, row.error = OAuthStatus.FAILED.value, reason
    row.access_token = None  # useless now, and nothing keeps a token it cannot refresh
    box = session.get(Mailbox, row.mailbox_id)
    address = box.address if box is not None else ""
    if box is not None:
        box.imap_last_error = f"oauth: {reason}"
    log.warning("mailbox_oauth_failed", mailbox_id=row.mailbox_id, reason=reason)
    runtime.emit(
        session, MailboxOAuthFailed(mailbox_id=row.mailbox_id, address=address, provider=row.provider, reason=reason)
    )


def current_access_token(*, runtime: Runtime, mailbox_id: int) -> MailboxAccessToken:
    """A current access token of an OAuth2 mailbox, refreshed first when it expires within the margin.

    The one way into the token store for IMAP and for sending mail (`mailbox_access_token`); raises
    OAuthNotConnected (with the reason) when the mailbox has no usable tokens.
    """
    margin = runtime.settings.oauth_refresh_margin_seconds
    failure: str | None = None
    with runtime.transaction() as session:
        box = session.get(Mailbox, mailbox_id)
        if box is None:
            raise NotFound(message=f"no mailbox {mailbox_id}", details={"mailbox_id": mailbox_id})
        row = session.get(MailboxOAuth, mailbox_id)
        _check_usable(row, box)
        assert row is not None
        if rules.refresh_due(row.expires_at, utcnow(), margin):
            session.refresh(row, with_for_update=True)  # another process may have refreshed meanwhile
            _check_usable(row, box)
            if rules.refresh_due(row.expires_at, utcnow(), margin):
                failure = _refresh_locked(runtime, session, row)
        if failure is None and row.access_token and row.expires_at is not None and row.expires_at > utcnow():
            return MailboxAccessToken(
                mailbox_id=mailbox_id,
                address=box.address,
                user=box.imap_user or box.address,
                access_token=_open(runtime, row.access_token),
                expires_at=row.expires_at,
            )
    reason = failure or "the access token expired and could not be refreshed"
    raise OAuthNotConnected(
        message=f"the mailbox's OAuth2 sign-in failed: {reason}",
        details={"mailbox_id": mailbox_id},
    )


def _check_usable(row: MailboxOAuth | None, box: Mailbox) -> None:
    if row is None or (row.status == OAuthStatus.PENDING.value and not row.refresh_token):
        raise OAuthNotConnected(
            message=f"mailbox {box.address} is not connected with OAuth2", details={"mailbox_id": box.id}
        )
    if row.status == OAuthStatus.FAILED.value:
        raise OAuthNotConnected(
            message=f"the mailbox's OAuth2 sign-in failed: {row.error}; connect it again",
            details={"mailbox_id": box.id, "reason": row.error},
        )


def refresh_due_tokens(*, runtime: Runtime, limit: int = 50) -> int:
    """The worker's timer: refresh every connected mailbox whose token expires within the margin."""
    horizon = utcnow() + timedelta(seconds=runtime.settings.oauth_refresh_margin_seconds)
    with runtime.session_factory() as session:
        ids = session.scalars(
            select(MailboxOAuth.mailbox_id)
            .where(MailboxOAuth.status == OAuthStatus.CONNECTED.value, MailboxOAuth.expires_at <= horizon)
            .order_by(MailboxOAuth.expires_at)
            .limit(limit)
        ).all()
    refreshed = 0
    for mailbox_id in ids:
        try:
            current_access_token(runtime=runtime, mailbox_id=mailbox_id)
            refreshed += 1
        except DomainError:
            pass  # recorded on the mailbox (and alerted) by the refresh itself
    return refreshed


def disconnect(*, runtime: Runtime, mailbox_id: int) -> None:
    """Forget a mailbox's OAuth2 sign-in and tokens (it signs in with its password again)."""
    with runtime.transaction() as session:
        row = session.get(MailboxOAuth, mailbox_id)
        if row is not None:
            session.delete(row)
