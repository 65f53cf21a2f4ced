"""The delivery log's rules, pure: which deliveries are due, whose bytes are dropped once they ended, and
whether a failed send is worth retrying, and when (E5: retries with backoff, dead letters)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import timedelta

# a delivery in one of these states is sent once its next_attempt_at has come
DUE_STATUSES = ("queued", "failed")
# mail whose body is a bearer credential: its bytes are dropped once the delivery has ended
SECRET_KINDS = frozenset({"magic_link", "agent_invite", "password_reset", "portal_password"})


@dataclass(frozen=True)
class SendFailure:
    """A classified failure: temporary ones are retried, permanent ones end the delivery."""

    temporary: bool
    reason: str
    # the relay itself is unreachable: later deliveries of the same batch would fail the same way
    relay_down: bool = False


def twilio_failure(status: int, code: object, message: object) -> SendFailure:
    """Twilio answers 4xx for a bad number or a blocked recipient: retrying changes nothing, except 429."""
    return SendFailure(temporary=status == 429 or status >= 500, reason=f"twilio: {status} {code}: {message}")


def classify(exc: BaseException) -> SendFailure:
    """Classify an exception raised while handing a message to the relay (or SMS to Twilio)."""
    own = getattr(exc, "send_failure", None)
    if isinstance(own, SendFailure):  # a channel that classified its failure itself (Web Push, Twilio)
        return own
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
        return SendFailure(temporary=not codes or any(c < 500 for c in codes), reason=f"recipient refused: {detail}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # a configuration problem, not the message's fault: keep it until an operator fixes the credentials
        return SendFailure(temporary=True, reason=f"authentication failed: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPConnectError):
        return SendFailure(temporary=True, reason=f"connect: {exc.smtp_code} {_text(exc.smtp_error)}", relay_down=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = "temporary" if exc.smtp_code < 500 else "permanent"
        return SendFailure(temporary=exc.smtp_code < 500, reason=f"{kind}: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendFailure(temporary=True, reason=f"disconnected: {exc}", relay_down=True)
    if isinstance(exc, smtplib.SMTPException):
        return SendFailure(temporary=True, reason=f"smtp: {type(exc).__name__}: {exc}")
    # after the SMTP cases on purpose: SMTPException is an OSError too
    if isinstance(exc, OSError | TimeoutError):
        return SendFailure(temporary=True, reason=f"connection: {type(exc).__name__}: {exc}", relay_down=True)
    return SendFailure(temporary=False, reason=f"{type(exc).__name__}: {exc}")


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Delay before the next try after `attempts` failed ones: base, 2*base, 4*base, ... up to cap."""
    return timedelta(seconds=min(cap, base * (2 ** max(attempts - 1, 0))))


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
