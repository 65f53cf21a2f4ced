"""OAuth2 access tokens of mailboxes, asked of mail-gateway (`mailbox_access_token`) and kept until they expire.

mail-gateway holds the refresh tokens (it ran the consent flow); notifications only borrows access tokens.
A token is kept in this process until a minute before it expires (decision 0227), so mail keeps leaving
while mail-gateway is down for less than a token's life; after that a send fails at the `auth` step and
the delivery is retried, never lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from contracts.mail_gateway import MailboxAccessToken
from notifications.deliveries.rules import SendFailure

# mailbox_id -> its current access token (raises when it cannot be had now)
TokenLookup = Callable[[int], MailboxAccessToken]
MARGIN = timedelta(seconds=60)


class TokenUnavailable(Exception):
    """No way to log in now (no access token: mail-gateway down, consent lapsed; an unopenable password).

    A configuration or availability problem, not the message's: the delivery is retried later.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.send_failure = SendFailure(temporary=True, reason=f"auth: {reason}", relay_down=True)


class TokenCache:
    """The access tokens this process holds, by mailbox (shared by every worker of the process)."""

    def __init__(self) -> None:
        self.tokens: dict[int, MailboxAccessToken] = {}
        self.lock = threading.Lock()


HELD = TokenCache()


class AccessTokens:
    """Access tokens per mailbox, each asked for once and reused until shortly before it expires."""

    def __init__(self, lookup: TokenLookup, cache: TokenCache | None = None) -> None:
        self.lookup = lookup
        cache = cache or TokenCache()
        self._tokens, self._lock = cache.tokens, cache.lock

    def token(self, mailbox_id: int) -> str:
        now = datetime.now(UTC)
        with self._lock:
            held = self._tokens.get(mailbox_id)
        if held is not None and held.expires_at - MARGIN > now:
            return held.access_token
        try:
            fresh = self.lookup(mailbox_id)
        except Exception as exc:
            raise TokenUnavailable(f"no OAuth2 access token: {type(exc).__name__}: {exc}"[:300]) from None
        with self._lock:
            self._tokens[mailbox_id] = fresh
        return fresh.access_token

    def forget(self, mailbox_id: int) -> None:
        """A server refused the token: ask for a new one next time."""
        with self._lock:
            self._tokens.pop(mailbox_id, None)
