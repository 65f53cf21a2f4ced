"""A mailbox's own SMTP server (decision 0227) and the event that tells notifications about it (0228).

mail-gateway owns the mailbox's configuration; notifications sends. Every save of a mailbox emits
`mailbox_sending_changed` through the outbox, in the save's transaction, with the password sealed
(`chassis.sealed`): notifications keeps its own copy and sends on while this service is down.
"""

from __future__ import annotations

from chassis import sealed
from contracts.errors import ValidationFailed
from contracts.mail_gateway import MailboxSecurity, MailboxSendingChanged, MailboxSmtp, MailboxWrite, SmtpAuth
from mail_gateway.db.models import Mailbox

# the port each security usually listens on (RFC 8314: 465 implicit TLS, 587 submission with STARTTLS)
DEFAULT_PORTS = {MailboxSecurity.SSL: 465, MailboxSecurity.STARTTLS: 587, MailboxSecurity.NONE: 25}


def apply_sending(box: Mailbox, data: MailboxWrite, *, secret: str) -> None:
    """Copy the sending settings of `data` onto `box` (a None password keeps the stored one, "" removes it)."""
    host = (data.smtp_host or "").strip() or None
    if host and any(c.isspace() for c in host):
        raise ValidationFailed(message=f"not a host name: {host!r}", details={"field": "smtp_host"})
    if host and data.smtp_auth == SmtpAuth.PASSWORD and data.smtp_password and not data.smtp_user:
        raise ValidationFailed(message="an SMTP password needs a user name", details={"field": "smtp_user"})
    box.smtp_host = host
    box.smtp_port = (data.smtp_port or DEFAULT_PORTS[data.smtp_security]) if host else data.smtp_port
    box.smtp_security = data.smtp_security.value
    box.smtp_auth = data.smtp_auth.value
    box.smtp_user = (data.smtp_user or "").strip() or None
    if data.smtp_password == "":
        box.smtp_password = None  # an explicit empty password removes the stored one
    elif data.smtp_password is not None:
        box.smtp_password = sealed.seal(data.smtp_password, secret=secret, purpose=sealed.SMTP_PASSWORD)
    box.smtp_version = (box.smtp_version or 0) + 1


def sending_changed(box: Mailbox) -> MailboxSendingChanged:
    """The event of a saved mailbox: its own server, or none (the global relay)."""
    smtp = None
    if box.smtp_host:
        auth = SmtpAuth(box.smtp_auth or "password")
        smtp = MailboxSmtp(
            host=box.smtp_host,
            port=box.smtp_port or DEFAULT_PORTS[MailboxSecurity(box.smtp_security or "starttls")],
            security=MailboxSecurity(box.smtp_security or "starttls"),
            auth=auth,
            # XOAUTH2 names the mailbox itself unless another user is set
            user=box.smtp_user or (box.address if auth == SmtpAuth.OAUTH2 else ""),
            password_sealed=(box.smtp_password or "") if auth == SmtpAuth.PASSWORD else "",
        )
    return MailboxSendingChanged(mailbox_id=box.id, address=box.address, version=box.smtp_version or 0, smtp=smtp)
