"""Entrypoints of OAuth2 mailboxes: the consent flow, the token for sending, and the refresh timer."""

from __future__ import annotations

from typing import Any

from nameko.timer import timer

from chassis.nameko_runtime import Runtime
from chassis.typed_rpc import typed_rpc
from contracts.mail_gateway import MailboxAccessToken, MailboxOAuthConsent, MailboxOAuthRead, MailboxOAuthStart
from mail_gateway.oauth import writes

REFRESH_TICK = 10.0  # seconds between looks for tokens about to expire


class OAuthRpc:
    runtime: Runtime

    @typed_rpc
    def begin_mailbox_oauth(self, mailbox_id: int, data: MailboxOAuthStart) -> MailboxOAuthConsent:
        """Where to send the admin for the provider's consent; the state must come back on the callback."""
        return writes.begin_consent(runtime=self.runtime, mailbox_id=mailbox_id, data=data)

    @typed_rpc
    def complete_mailbox_oauth(self, state: str, code: str) -> MailboxOAuthRead:
        """The provider's answer: the code is exchanged here, so tokens and client secret never leave."""
        return writes.complete_consent(runtime=self.runtime, state=state, code=code)

    @typed_rpc
    def disconnect_mailbox_oauth(self, mailbox_id: int) -> dict[str, Any]:
        writes.disconnect(runtime=self.runtime, mailbox_id=mailbox_id)
        return {"mailbox_id": mailbox_id, "disconnected": True}

    @typed_rpc
    def mailbox_access_token(self, mailbox_id: int) -> MailboxAccessToken:
        """A current access token of an OAuth2 mailbox (for SMTP XOAUTH2), refreshed first when near expiry."""
        return writes.current_access_token(runtime=self.runtime, mailbox_id=mailbox_id)

    @timer(interval=REFRESH_TICK)
    def refresh_oauth_tokens(self) -> None:
        writes.refresh_due_tokens(runtime=self.runtime)
