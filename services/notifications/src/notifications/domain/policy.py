"""Who gets which mail: the rules deciding confirmations and reply emails (E1, E4)."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.cases import AuthorType, CaseRead, MessageRead, Source, Visibility
from notifications.domain.addresses import suppression_reason


def confirmation_recipient(case: CaseRead) -> str | None:
    """The address a confirmation would go to: only email cases with a requester email get one."""
    if case.source != Source.EMAIL or case.requester is None or not case.requester.email:
        return None
    return case.requester.email


def confirmation_blocker(
    *, recipient: str, first_message: MessageRead | None, own_addresses: Iterable[str]
) -> str | None:
    """Why a confirmation must not be sent (never answer robots or ourselves), or None."""
    own = list(own_addresses)
    if first_message is not None and first_message.author_type == AuthorType.SYSTEM:
        return "first message is automatic"
    reason = suppression_reason(recipient, own_addresses=own)
    if reason:
        return reason
    if first_message is not None and first_message.author_email:
        sender_reason = suppression_reason(first_message.author_email, own_addresses=own)
        if sender_reason:
            return f"sender: {sender_reason}"
    return None


def reply_recipient(case: CaseRead, message: MessageRead) -> str | None:
    """The requester's address when `message` is an agent's public reply; internal notes never leave."""
    if message.author_type != AuthorType.AGENT or message.visibility != Visibility.PUBLIC:
        return None
    if case.requester is None or not case.requester.email:
        return None
    return case.requester.email
