"""What an inbound mail does to the cases: open one, join one, or nothing."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from contracts.mail_gateway import MailKind, OutsiderReply

MAX_CC_FOLLOWERS = 50  # a mail copied to a whole company does not make hundreds of contacts


class MailAction(StrEnum):
    NEW_CASE = "new_case"
    REPLY = "reply"  # a contact's public message on the threaded case
    REPLY_AS_FOLLOWER = "reply_as_follower"  # public, and the sender now follows the case
    OUTSIDER_NOTE = "outsider_note"  # internal, flagged "from someone not on this case"
    NEW_LINKED_CASE = "new_linked_case"  # a case of the sender's own, related to the threaded one
    ATTACH_SYSTEM = "attach_system"  # an auto-reply/bounce kept as an internal system message
    DROP = "drop"


def decide(
    *,
    kind: MailKind,
    threaded_case_exists: bool,
    sender_belongs: bool,
    colleague: bool = False,
    outsider_reply: OutsiderReply = OutsiderReply.INTERNAL,
) -> MailAction:
    """Only normal mail opens a case; automatic mail never does, and never reaches the contact's view.

    `sender_belongs`: the sender is the threaded case's requester, a follower or a participant (E6).
    `colleague`: the sender's domain is one of the requester's organisation's, whose setting lets colleagues
    join publicly. Anyone else on a case's thread follows the mailbox's `outsider_reply` (decision 0220):
    a new case is opened only when nothing matched.
    """
    if kind == MailKind.NORMAL:
        if not threaded_case_exists:
            return MailAction.NEW_CASE
        if sender_belongs:
            return MailAction.REPLY
        if colleague or outsider_reply == OutsiderReply.PUBLIC_FOLLOWER:
            return MailAction.REPLY_AS_FOLLOWER
        if outsider_reply == OutsiderReply.NEW_LINKED_CASE:
            return MailAction.NEW_LINKED_CASE
        return MailAction.OUTSIDER_NOTE
    # the thread comes from our signed Message-ID, so a bounce from MAILER-DAEMON still belongs
    return MailAction.ATTACH_SYSTEM if threaded_case_exists else MailAction.DROP


def join_reason(action: MailAction, *, colleague: bool, outsider_reply: OutsiderReply) -> str:
    """The sentence the case's history keeps for how a mail from someone not on the case joined it."""
    if action == MailAction.REPLY_AS_FOLLOWER:
        if colleague:
            return "public, sender now follows: a colleague at the requester's organisation"
        return "public, sender now follows: the mailbox lets people not on a case join it (public_follower)"
    if action == MailAction.NEW_LINKED_CASE:
        return "opened a related case: the mailbox opens a case for people not on a case (new_linked_case)"
    return f"internal, flagged: the sender is not on this case (mailbox setting {outsider_reply.value})"


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
