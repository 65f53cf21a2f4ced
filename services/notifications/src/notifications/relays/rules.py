"""Which relay a mail leaves through, pure (decision 0227): its sender mailbox's own server, else the global one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Relay:
    """A mailbox's own SMTP server as notifications' copy holds it (the password still sealed)."""

    mailbox_id: int
    address: str
    host: str
    port: int
    security: str  # none | starttls | ssl
    auth: str  # password | oauth2
    user: str
    password_sealed: str = field(default="", repr=False)

    @property
    def key(self) -> tuple[str, int, str, str, str, str]:
        """Mailboxes with the same server and login share one connection within a batch."""
        return (self.host.lower(), self.port, self.security, self.auth, self.user, self.password_sealed)

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"


def relay_for(sender: str | None, relays: Mapping[str, Relay]) -> Relay | None:
    """The own server of the mailbox `sender` (the mail's From), or None: the global relay."""
    return relays.get((sender or "").strip().lower())
