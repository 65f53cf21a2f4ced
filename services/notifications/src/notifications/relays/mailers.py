"""The mailers of one sender (decision 0227): one per relay, each opened on first use and reused for the batch.

Every mail is routed by its sender: the own SMTP server of that mailbox when notifications' copy has one,
else the global relay (HELPDESK_SMTP_RELAY, or the .eml folder). A relay whose connection, TLS or login
failed is remembered as down for the rest of the round, so its other mails wait instead of each trying.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from chassis import sealed
from notifications.mail.mailer import Mailer, SmtpMailer, verifying_tls_context
from notifications.relays import replica
from notifications.relays.rules import Relay, relay_for
from notifications.relays.tokens import AccessTokens, TokenUnavailable
from notifications.settings import NotificationsSettings

GLOBAL = ("global",)


@dataclass(frozen=True)
class Route:
    """Where one mail goes: the mailer, the SMTP envelope sender, and the relay (None: the global one)."""

    key: tuple[str, ...] | tuple[str, int, str, str, str, str]
    mailer: Mailer
    envelope_sender: str
    relay: Relay | None

    @property
    def label(self) -> str:
        return self.relay.label if self.relay else "the global relay"


class RelayMailers:
    """A sender's mailers by relay; `refresh` reads notifications' copy of the mailboxes' servers."""

    def __init__(
        self, *, settings: NotificationsSettings, global_mailer: Mailer, tokens: AccessTokens | None = None
    ) -> None:
        self.settings, self.global_mailer, self.tokens = settings, global_mailer, tokens
        self._relays: dict[str, Relay] = {}
        self._own: dict[object, SmtpMailer] = {}

    def refresh(self, session: Session) -> None:
        """Read the mailboxes' servers afresh (once per chunk: a change applies from the next chunk on)."""
        self._relays = replica.own_relays(session)

    def route(self, sender: str | None) -> Route:
        relay = relay_for(sender, self._relays)
        if relay is None:
            return Route(GLOBAL, self.global_mailer, self.settings.from_address, None)
        mailer = self._own.get(relay.key)
        if mailer is None:
            mailer = self._own[relay.key] = smtp_mailer(relay, settings=self.settings, tokens=self.tokens)
        return Route(relay.key, mailer, relay.address, relay)

    def close(self) -> None:
        """Close the mailboxes' connections (the global mailer belongs to whoever gave it)."""
        for mailer in self._own.values():
            mailer.close()
        self._own.clear()


def smtp_mailer(relay: Relay, *, settings: NotificationsSettings, tokens: AccessTokens | None) -> SmtpMailer:
    """The mailer of a mailbox's own server: its certificate checked, its password opened only here."""
    context = verifying_tls_context(settings)
    token: Callable[[], str] | None = None
    refused: Callable[[], None] | None = None
    password = ""
    if relay.auth == "oauth2":
        token = _token_of(relay, tokens)
        if tokens is not None:
            refused = lambda: tokens.forget(relay.mailbox_id)  # noqa: E731
    else:
        try:
            password = sealed.unseal(relay.password_sealed, secret=settings.secret_key, purpose=sealed.SMTP_PASSWORD)
        except sealed.SealBroken as exc:
            password = ""
            token = _refuse(f"the SMTP password cannot be opened: {exc}")
    return SmtpMailer(
        host=relay.host,
        port=relay.port,
        user=relay.user,
        password=password,
        timeout=settings.smtp_timeout,
        security=relay.security,
        token=token,
        tls_context=context,
        token_refused=refused,
    )


def _token_of(relay: Relay, tokens: AccessTokens | None) -> Callable[[], str]:
    if tokens is None:
        return _refuse("this process cannot ask mail-gateway for tokens")
    return lambda: tokens.token(relay.mailbox_id)


def _refuse(reason: str) -> Callable[[], str]:
    def fail() -> str:
        raise TokenUnavailable(reason)

    return fail
