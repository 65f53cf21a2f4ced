"""What an inbound mail does to the cases: open one, join one, or nothing."""

from __future__ import annotations

from enum import StrEnum

from contracts.mail_gateway import MailKind


class MailAction(StrEnum):
    NEW_CASE = "new_case"
    REPLY = "reply"  # a contact's public message on the threaded case
    ATTACH_SYSTEM = "attach_system"  # an auto-reply/bounce kept as an internal system message
    DROP = "drop"


def decide(*, kind: MailKind, threaded_case_exists: bool, sender_is_requester: bool) -> MailAction:
    """Only normal mail opens a case; automatic mail never does, and never reaches the contact's view."""
    if kind == MailKind.NORMAL:
        # a stranger answering on a case's thread gets a case of their own (E6: sender must belong)
        if threaded_case_exists and sender_is_requester:
            return MailAction.REPLY
        return MailAction.NEW_CASE
    # the thread comes from our signed Message-ID, so a bounce from MAILER-DAEMON still belongs
    return MailAction.ATTACH_SYSTEM if threaded_case_exists else MailAction.DROP
