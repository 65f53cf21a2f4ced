"""Reads of OAuth2 mailboxes: what an admin sees of a connection (never a token nor the client secret)."""

from __future__ import annotations

from contracts.mail_gateway import MailboxOAuthRead, OAuthProvider, OAuthStatus
from mail_gateway.db.models import MailboxOAuth


def oauth_read(row: MailboxOAuth) -> MailboxOAuthRead:
    return MailboxOAuthRead(
        provider=OAuthProvider(row.provider),
        status=OAuthStatus(row.status),
        client_id=row.client_id,
        client_secret_set=bool(row.client_secret),
        authorize_url=row.authorize_url,
        token_url=row.token_url,
        scopes=row.scopes,
        error=row.error,
        expires_at=row.expires_at,
        connected_at=row.connected_at,
        refreshed_at=row.refreshed_at,
    )
