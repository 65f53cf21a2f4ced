"""Which replies go by SMS, which numbers are dialable, and what the text says (A5, E1). Pure."""

from __future__ import annotations

import re

from contracts.cases import AuthorType, CaseRead, Channel, ContactChannel, MessageRead, Source, Visibility

# Twilio concatenates up to 1600 characters; longer bodies are refused
MAX_SMS_LENGTH = 1600
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")


def normalise_phone(value: str) -> str | None:
    """A dialable number (digits with an optional leading +), or None when it is not one."""
    cleaned = re.sub(r"[\s().-]", "", value or "")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    return cleaned if _PHONE.match(cleaned) else None


def sms_reply_recipient(case: CaseRead, message: MessageRead) -> str | None:
    """The requester's phone when an agent's public reply goes by SMS, else None (then it is mailed, if at all).

    SMS when the agent chose it (the message's channel), when the customer wrote in by SMS (the case's
    source: they prefer it), when the contact says they prefer SMS, or when SMS is the only way to
    reach them (a phone and no email).
    """
    if message.author_type != AuthorType.AGENT or message.visibility != Visibility.PUBLIC:
        return None
    requester = case.requester
    phone = normalise_phone(requester.phone or "") if requester else None
    if requester is None or phone is None:
        return None
    if message.channel == Channel.SMS or case.source == Source.SMS or not requester.email:
        return phone
    if requester.preferred_channel == ContactChannel.SMS:
        return phone
    return None


def sms_text(*, case: CaseRead, message: MessageRead) -> str:
    """The reply as one SMS text, with the case number so a human can place an answer."""
    suffix = f"\n(Case #{case.number})"
    body = message.body_text.strip()
    room = MAX_SMS_LENGTH - len(suffix)
    if len(body) > room:
        body = body[: room - 1].rstrip() + "…"
    return body + suffix
