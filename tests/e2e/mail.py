"""Sending mail to the system the way an MTA would: over real SMTP, retrying while the listener is down."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid


def customer_mail(
    *, sender: str, subject: str, body: str, in_reply_to: str | None = None, references: list[str] | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Support <support@example.com>"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg.set_content(body)
    return msg


def deliver(port: int, msg: EmailMessage, *, retry_for: float = 0.0) -> None:
    """Hand the message to our SMTP listener; like an MTA, retry on connection errors and 4xx."""
    deadline = time.monotonic() + retry_for
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                smtp.send_message(msg)
            return
        except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPDataError, smtplib.SMTPConnectError) as exc:
            temporary = not isinstance(exc, smtplib.SMTPResponseException) or 400 <= exc.smtp_code < 500
            if not temporary or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
