"""What an inbound mail does to the cases: open one, join one, or nothing."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from contracts.mail_gateway import MailKind

MAX_CC_FOLLOWERS = 50  # a mail copied to a whole company does not make hundreds of contacts


class MailAction(StrEnum):
    NEW_CASE = "new_case"
    REPLY = "reply"  # a contact's public message on the threaded case
    ATTACH_SYSTEM = "attach_system"  # an auto-reply/bounce kept as an internal system message
    DROP = "drop"


def decide(*, kind: MailKind, threaded_case_exists: bool, sender_belongs: bool) -> MailAction:
    """Only normal mail opens a case; automatic mail never does, and never reaches the contact's view.

    `sender_belongs`: the sender is the threaded case's requester, a follower or a participant (E6).
    """
    if kind == MailKind.NORMAL:
        # a stranger answering on a case's thread gets a case of their own, linked to it
        if threaded_case_exists and sender_belongs:
            return MailAction.REPLY
        return MailAction.NEW_CASE
    # the thread comes from our signed Message-ID, so a bounce from MAILER-DAEMON still belongs
    return MailAction.ATTACH_SYSTEM if threaded_case_exists else MailAction.DROP


def cc_candidates(cc: Iterable[tuple[str, str]], *, sender: str, excluded: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The (address, name) pairs of a mail's Cc that may become followers of the case it opens.

    Lower-cased, de-duplicated in order, without the sender, `excluded` (agents) and anything
    that is not an address; at most MAX_CC_FOLLOWERS.
    """
    skip = {sender.strip().lower(), *(e.strip().lower() for e in excluded)}
    result: list[tuple[str, str]] = []
    seen: set[str] = set()
    for email, name in cc:
        address = email.strip().lower()
        local, at, domain = address.rpartition("@")
        if not (local and at and "." in domain) or " " in address or address in skip or address in seen:
            continue
        seen.add(address)
        result.append((address, name.strip()))
        if len(result) == MAX_CC_FOLLOWERS:
            break
    return result
