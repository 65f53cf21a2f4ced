"""Input rules of the portal's forms: e-mail addresses and replies (CSRF and redirects: chassis.web_security)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_REPLY_CHARS = 200_000  # contracts.cases.MessageCreate.body


class FormError(ValueError):
    """A form value the customer must correct; the message is shown to them."""


def normalize_email(raw: str) -> str:
    """A syntactically valid address, lower-cased (addresses are matched case-insensitively)."""
    text = raw.strip()
    if not text or len(text) > 320:
        raise FormError("Enter the e-mail address you use with us.")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise FormError("That does not look like an e-mail address.") from None
    return checked.normalized.lower()


def clean_reply(raw: str) -> str:
    """A reply body: not blank, not larger than the cases service accepts."""
    text = raw.replace("\r\n", "\n").strip()
    if not text:
        raise FormError("Write a message before sending.")
    if len(text) > MAX_REPLY_CHARS:
        raise FormError(f"The message is too long (at most {MAX_REPLY_CHARS:,} characters).")
    return text


def clean_name(raw: str) -> str:
    """A person's name for a new account: required, one line, at most 200 characters."""
    text = " ".join(raw.split())
    if not text:
        raise FormError("Enter your name.")
    if len(text) > 200:
        raise FormError("The name is too long (at most 200 characters).")
    return text
