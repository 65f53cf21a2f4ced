"""OAuth2 mailboxes against real servers: dovecot verifies SASL XOAUTH2 by asking the (fake) provider.

Only the provider is fake (tests/oauth_provider.py): Authlib in the worker talks to it over HTTP for the code
exchange and every refresh, and dovecot's oauth2 passdb asks its introspection endpoint about each token.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import SECRET, Stack
from imap_server import Dovecot, dovecot_server
from oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, fake_provider
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.testing import SyncRpc, wait_until
from contracts import errors
from mail_gateway import mailbox_secrets
from mail_gateway.db.models import MailboxOAuth

USERS = ["oauth-inbox", "oauth-refresh", "oauth-revoked", "oauth-state", "oauth-idle"]
REDIRECT = "http://127.0.0.1:9/admin/mailboxes/oauth/callback"  # never opened: the test reads the redirect


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with fake_provider() as server:
        yield server


@pytest.fixture(scope="module")
def oauth_imap(provider: FakeProvider) -> Iterator[Dovecot]:
    """A dovecot whose users sign in with XOAUTH2; their passwords are never given to the mail gateway."""
    with dovecot_server(dict.fromkeys(USERS, "unused-password"), introspection_url=provider.introspection_url) as d:
        yield d


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def consent(url: str) -> dict[str, str]:
    """Open the consent URL as the admin's browser would; the provider answers with a redirect (code, state)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, timeout=10)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.read()
        location = answer.headers["Location"]
        assert location.startswith(REDIRECT)
        return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    raise AssertionError("the provider did not redirect back")


def connect(
    rpc: SyncRpc, provider: FakeProvider, imap: Dovecot, user: str, *, use_idle: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A mailbox on the OAuth dovecot (no password), connected through the consent flow; (mailbox, answer)."""
    saved = rpc.call(
        "mail_gateway",
        "save_mailbox",
        data={
            "address": f"{user}@example.com",
            "name": user,
            "default_group": "Support",
            "imap_host": imap.host,
            "imap_port": imap.port,
            "imap_security": "none",
            "imap_user": user,
            "imap_poll_seconds": 1 if not use_idle else 600,
            "use_idle": use_idle,
        },
    )
    start = {
        "provider": "custom",
        "redirect_uri": REDIRECT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "authorize_url": provider.authorize_url,
        "token_url": provider.token_url,
        "scopes": "imap smtp offline_access",
    }
    begun = rpc.call("mail_gateway", "begin_mailbox_oauth", mailbox_id=saved["id"], data=start)
    query = parse_qs(urlparse(begun["authorize_url"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["login_hint"] == [user]
    answer = consent(begun["authorize_url"])
    assert answer["state"] == begun["state"]
    connected = rpc.call("mail_gateway", "complete_mailbox_oauth", state=answer["state"], code=answer["code"])
    return saved, connected


def oauth_row(stack: Stack, mailbox_id: int) -> MailboxOAuth:
    with Session(stack.engine) as session:
        row = session.get(MailboxOAuth, mailbox_id)
        assert row is not None
        session.expunge(row)
        return row


def mailbox(rpc: SyncRpc, mailbox_id: int) -> dict[str, Any]:
    return next(b for b in rpc.call("mail_gateway", "list_mailboxes") if b["id"] == mailbox_id)


def make_due(stack: Stack, mailbox_id: int) -> None:
    """The access token expires in a minute: inside the refresh margin (five minutes)."""
    with Session(stack.engine) as session:
        session.execute(
            update(MailboxOAuth)
            .where(MailboxOAuth.mailbox_id == mailbox_id)
            .values(expires_at=utcnow() + timedelta(seconds=60))
        )
        session.commit()


def test_a_mailbox_connected_by_oauth2_is_fetched_over_xoauth2(stack, rpc, provider, oauth_imap):
    mid = stack.unique("oauth")
    oauth_imap.append("oauth-inbox", stack.mail(message_id=mid, subject="Fetched with a bearer token"))
    saved, connected = connect(rpc, provider, oauth_imap, "oauth-inbox")
    assert connected["status"] == "connected" and connected["client_secret_set"] is True
    assert "access_token" not in connected and "client_secret" not in connected

    [row] = stack.wait_rows(lambda r: len(r) == 1 and r[0].status == "processed", mailbox_id=saved["id"], timeout=30)
    assert row.message_id == mid and row.source == "imap"
    event = stack.wait_emitted([mid])[mid][0]["payload"]
    assert event["mailbox"] == "oauth-inbox@example.com"
    log = (oauth_imap.root / "dovecot.log").read_text()
    assert "user=<oauth-inbox>, method=XOAUTH2" in log  # dovecot verified the token with the provider
    assert provider.introspections >= 1

    # at rest, the tokens, the client secret and the PKCE verifier are ciphertext; the state is gone
    stored = oauth_row(stack, saved["id"])
    [issued] = [r for r in provider.grants("authorization_code") if r["redirect_uri"] == REDIRECT][-1:]
    assert issued["code_verifier"]  # PKCE
    tokens = [t for t, g in provider.access.items() if g.user == "oauth-inbox"]
    for column in (stored.access_token, stored.refresh_token, stored.client_secret):
        assert column and column.startswith("fernet:")
        assert all(token not in column for token in tokens) and CLIENT_SECRET not in column
    plain = mailbox_secrets.decrypt(stored.access_token, secret=SECRET, info=mailbox_secrets.OAUTH)
    assert plain in tokens
    assert stored.state_sha256 is None and stored.code_verifier is None
    shown = mailbox(rpc, saved["id"])
    assert shown["oauth"]["status"] == "connected" and shown["imap_last_error"] is None

    # the sending side's way in: a current token (the one stored), and its expiry
    token = rpc.call("mail_gateway", "mailbox_access_token", mailbox_id=saved["id"])
    assert token["access_token"] == plain and token["user"] == "oauth-inbox"


def test_the_token_is_refreshed_before_it_expires_and_mail_still_comes(stack, rpc, provider, oauth_imap):
    saved, _ = connect(rpc, provider, oauth_imap, "oauth-refresh")
    before = oauth_row(stack, saved["id"])
    refreshes = len(provider.grants("refresh_token"))
    make_due(stack, saved["id"])

    # the worker's timer refreshes it, with no IMAP activity needed; the provider rotates the refresh token
    after = wait_until(
        lambda: (r := oauth_row(stack, saved["id"])).access_token != before.access_token and r, timeout=30
    )
    assert after.refresh_token != before.refresh_token
    assert after.expires_at is not None and after.expires_at > utcnow() + timedelta(minutes=30)
    assert after.status == "connected" and after.error is None
    assert len(provider.grants("refresh_token")) > refreshes
    old = mailbox_secrets.decrypt(before.refresh_token, secret=SECRET, info=mailbox_secrets.OAUTH)
    assert old not in provider.refresh  # spent: only the new one works now

    mid = stack.unique("refreshed")
    oauth_imap.append("oauth-refresh", stack.mail(message_id=mid, subject="After the refresh"))
    stack.wait_emitted([mid])
    new = mailbox_secrets.decrypt(after.access_token, secret=SECRET, info=mailbox_secrets.OAUTH)
    assert provider.access[new].user == "oauth-refresh"


def test_a_refused_refresh_marks_the_mailbox_and_emits_the_alert_event(stack, rpc, provider, oauth_imap):
    saved, _ = connect(rpc, provider, oauth_imap, "oauth-revoked")
    provider.fail_refresh["oauth-revoked"] = "consent revoked"
    make_due(stack, saved["id"])

    [event] = stack.events.wait_for("mailbox_oauth_failed", timeout=30, mailbox_id=saved["id"])
    assert event["payload"]["reason"] == "invalid_grant: consent revoked"
    assert event["payload"]["address"] == "oauth-revoked@example.com"
    shown = wait_until(lambda: (b := mailbox(rpc, saved["id"]))["oauth"]["status"] == "failed" and b)
    assert shown["oauth"]["error"] == "invalid_grant: consent revoked"
    assert "invalid_grant: consent revoked" in (shown["imap_last_error"] or "")
    with pytest.raises(errors.DomainError) as refused:
        rpc.call("mail_gateway", "mailbox_access_token", mailbox_id=saved["id"])
    assert refused.value.code == "oauth_not_connected" and "consent revoked" in refused.value.message

    # the failure is told once: no retry storm, no second event while it stays failed
    failed_tries = len(provider.grants("refresh_token"))
    wait_until(lambda: mailbox(rpc, saved["id"])["imap_last_polled_at"] is not None, timeout=10)
    with pytest.raises(TimeoutError):
        stack.events.wait_for("mailbox_oauth_failed", count=2, timeout=3, mailbox_id=saved["id"])
    assert len(provider.grants("refresh_token")) == failed_tries

    # connecting again (the admin consents anew) clears the failure
    provider.fail_refresh.pop("oauth-revoked")
    _, again = connect(rpc, provider, oauth_imap, "oauth-revoked")
    assert again["status"] == "connected" and again["error"] is None


def test_a_consent_answer_is_taken_once_and_only_with_its_state(stack, rpc, provider, oauth_imap):
    saved = rpc.call(
        "mail_gateway",
        "save_mailbox",
        data={"address": "oauth-state@example.com", "imap_host": oauth_imap.host, "imap_user": "oauth-state"},
    )
    start = {
        "provider": "custom",
        "redirect_uri": REDIRECT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "authorize_url": provider.authorize_url,
        "token_url": provider.token_url,
        "scopes": "imap offline_access",
    }
    begun = rpc.call("mail_gateway", "begin_mailbox_oauth", mailbox_id=saved["id"], data=start)
    answer = consent(begun["authorize_url"])
    for state in ("forged-state", ""):
        with pytest.raises(errors.DomainError) as refused:
            rpc.call("mail_gateway", "complete_mailbox_oauth", state=state, code=answer["code"])
        assert refused.value.code == "oauth_state_invalid"
    assert oauth_row(stack, saved["id"]).access_token is None
    # the right state with a code the provider does not know: refused with the provider's words, and spent
    begun = rpc.call("mail_gateway", "begin_mailbox_oauth", mailbox_id=saved["id"], data=start)
    with pytest.raises(errors.DomainError) as bad_code:
        rpc.call("mail_gateway", "complete_mailbox_oauth", state=begun["state"], code="made-up")
    assert bad_code.value.code == "oauth_provider_refused"
    assert "invalid_grant: unknown code" in bad_code.value.message
    with pytest.raises(errors.DomainError) as spent:
        rpc.call("mail_gateway", "complete_mailbox_oauth", state=begun["state"], code="made-up")
    assert spent.value.code == "oauth_state_invalid"

    begun = rpc.call("mail_gateway", "begin_mailbox_oauth", mailbox_id=saved["id"], data=start)
    answer = consent(begun["authorize_url"])
    rpc.call("mail_gateway", "complete_mailbox_oauth", state=answer["state"], code=answer["code"])
    with pytest.raises(errors.DomainError) as again:
        rpc.call("mail_gateway", "complete_mailbox_oauth", state=answer["state"], code=answer["code"])
    assert again.value.code == "oauth_state_invalid"

    # a custom provider must name https endpoints (or this machine's); a preset needs a client
    for bad, field in (({"token_url": "http://example.com/token"}, "token_url"), ({"scopes": ""}, "scopes")):
        with pytest.raises(errors.DomainError) as invalid:
            rpc.call("mail_gateway", "begin_mailbox_oauth", mailbox_id=saved["id"], data={**start, **bad})
        assert invalid.value.code == "validation_error" and invalid.value.details["field"] == field
    with pytest.raises(errors.DomainError) as no_client:
        rpc.call(
            "mail_gateway",
            "begin_mailbox_oauth",
            mailbox_id=saved["id"],
            data={"provider": "google", "redirect_uri": REDIRECT},
        )
    assert no_client.value.code == "validation_error" and "client id" in no_client.value.message
    # another client (or provider) replaces the sign-in: its tokens are dropped, the consent is awaited
    assert oauth_row(stack, saved["id"]).status == "connected"
    rpc.call("mail_gateway", "begin_mailbox_oauth", mailbox_id=saved["id"], data={**start, "client_id": "other-app"})
    switched = oauth_row(stack, saved["id"])
    assert switched.status == "pending" and switched.access_token is None and switched.refresh_token is None
    with pytest.raises(errors.DomainError) as waiting:
        rpc.call("mail_gateway", "mailbox_access_token", mailbox_id=saved["id"])
    assert waiting.value.code == "oauth_not_connected"
    with Session(stack.engine) as session:  # refused: nothing changed, still the custom provider
        assert session.scalar(select(MailboxOAuth.provider).where(MailboxOAuth.mailbox_id == saved["id"])) == "custom"


def test_an_oauth2_mailbox_is_watched_with_idle(stack, rpc, provider, oauth_imap):
    saved, _ = connect(rpc, provider, oauth_imap, "oauth-idle", use_idle=True)
    wait_until(lambda: mailbox(rpc, saved["id"])["imap_idle_active"], timeout=30, what="IDLE over XOAUTH2")
    mid = stack.unique("idle")
    oauth_imap.append("oauth-idle", stack.mail(message_id=mid, subject="Announced by IDLE"))
    stack.wait_emitted([mid], timeout=20)  # polled every 10 minutes only: IDLE announced it
