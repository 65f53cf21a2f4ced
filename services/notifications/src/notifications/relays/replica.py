"""notifications' copy of the mailboxes' SMTP servers, kept from mail-gateway's `mailbox_sending_changed`.

Decision 0228: mail-gateway owns the configuration; this copy lets mail leave while mail-gateway is down.
Each event carries the mailbox's change counter: an older or repeated one changes nothing, so events
that arrive out of order leave the newest settings in place.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.envelope import Envelope
from contracts.mail_gateway import MailboxSendingChanged
from notifications.db.models import MailboxRelay
from notifications.relays.rules import Relay


def apply_sending_changed(*, session: Session, envelope: Envelope) -> bool:
    """Apply one `mailbox_sending_changed`; False when the copy already holds that version or a newer one."""
    event = envelope.open(MailboxSendingChanged)
    row = session.get(MailboxRelay, event.mailbox_id, with_for_update=True)
    if row is not None and row.version >= event.version:
        return False
    if row is None:
        row = MailboxRelay(mailbox_id=event.mailbox_id)
        session.add(row)
    smtp = event.smtp
    row.address = event.address.strip().lower()
    row.version = event.version
    row.smtp_host = smtp.host if smtp else None
    row.smtp_port = smtp.port if smtp else None
    row.smtp_security = smtp.security.value if smtp else "starttls"
    row.smtp_auth = smtp.auth.value if smtp else "password"
    row.smtp_user = smtp.user if smtp else ""
    row.smtp_password_sealed = smtp.password_sealed if smtp else ""
    row.changed_at = envelope.occurred_at
    return True


def relay_of(row: MailboxRelay) -> Relay | None:
    if not row.smtp_host or not row.smtp_port:
        return None
    return Relay(
        mailbox_id=row.mailbox_id,
        address=row.address,
        host=row.smtp_host,
        port=row.smtp_port,
        security=row.smtp_security,
        auth=row.smtp_auth,
        user=row.smtp_user,
        password_sealed=row.smtp_password_sealed,
    )


def own_relays(session: Session) -> dict[str, Relay]:
    """Every mailbox with its own server, by address (the newest change wins should two share one)."""
    rows = session.scalars(
        select(MailboxRelay).where(MailboxRelay.smtp_host.is_not(None)).order_by(MailboxRelay.changed_at)
    )
    return {relay.address: relay for row in rows if (relay := relay_of(row)) is not None}


def copy_of(session: Session, mailbox_id: int) -> MailboxRelay | None:
    return session.get(MailboxRelay, mailbox_id)
