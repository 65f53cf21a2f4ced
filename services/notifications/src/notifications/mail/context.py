"""How mail to the customer of one case is made (E1, E3, E6, B12): from whom, with which threading aids,
which sign-off, which followers in CC, and whether the conversation, a link or nothing goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from contracts.case_work import ResolvedSignature
from contracts.cases import CaseRead, MessageRead
from contracts.notifications import ConversationMode
from notifications.mail import compose
from notifications.mail.rules import (
    Signoff,
    ThreadingAids,
    case_link_url,
    cc_candidates,
    sender_address,
    threading_aids,
)
from notifications.mail_settings import levels
from notifications.ratelimit import Counter
from notifications.safety.suppressions import guard
from notifications.settings import NotificationsSettings

# (agent_id, mailbox) -> the agent's greeting and signature for mail from that mailbox (cases.resolve_signature);
# raises chassis.consumer.TransientError when cases does not answer in time
SignatureLookup = Callable[[int, str], ResolvedSignature]


NEVER_REASON = "organisation setting: never email the customer"
CASE_NEVER_REASON = "case setting: never email the customer"


@dataclass(frozen=True)
class CustomerContext:
    """How mail to the customer of one case is made (E3): from whom, how much of the conversation, CC."""

    sender: compose.Mailbox
    aids: ThreadingAids
    conversation: ConversationMode
    cc_followers: bool
    # B12 + E3: the organisation's own greeting beats the agent's levels; the workspace one is the fallback
    organisation_greeting: str | None
    workspace_greeting: str
    # the case's own choice (B16) made `conversation`, not the organisation's setting
    chosen_on_case: bool = False

    @property
    def never_reason(self) -> str | None:
        if self.conversation != ConversationMode.NEVER:
            return None
        return CASE_NEVER_REASON if self.chosen_on_case else NEVER_REASON


def customer_context(*, session: Session, settings: NotificationsSettings, case: CaseRead) -> CustomerContext:
    org_id = case.organisation.id if case.organisation else None
    found = levels.for_case(session=session, settings=settings, organisation_id=org_id)
    eff = found.effective
    # the mailbox the case came in on beats the E3 sender levels (decision 0101)
    sender = compose.Mailbox(sender_address(case_mailbox=case.mailbox, configured=eff.sender_address), eff.sender_name)
    return CustomerContext(
        sender=sender,
        aids=aids_for(settings=settings, case=case, sender=sender),
        # B16: the case's own choice beats the organisation's setting, which beats the workspace's
        conversation=case.inform_contact or eff.conversation,
        cc_followers=eff.cc_followers,
        organisation_greeting=found.organisation_greeting,
        workspace_greeting=eff.closing_greeting,
        chosen_on_case=case.inform_contact is not None,
    )


def link_for(*, settings: NotificationsSettings, case: CaseRead, ctx: CustomerContext) -> str | None:
    """The portal link that replaces the text of a reply when the organisation wants "link only"."""
    return signed_case_link(settings=settings, case=case) if ctx.conversation == ConversationMode.LINK else None


def signed_case_link(*, settings: NotificationsSettings, case: CaseRead) -> str:
    """The signed portal link of the case for its requester (D5): confirmations and "link only" mail carry it."""
    return case_link_url(
        portal_url=settings.portal_url,
        case=case,
        secret=settings.secret_key,
        ttl_seconds=settings.case_link_ttl_seconds,
        now=time.time(),
    )


def followers_in_cc(
    *,
    session: Session,
    settings: NotificationsSettings,
    counter: Counter | None,
    case: CaseRead,
    ctx: CustomerContext,
    own_addresses: list[str],
) -> list[compose.Mailbox]:
    """The followers copied on a public reply when the organisation wants it; never suppressed addresses."""
    if not ctx.cc_followers:
        return []
    picked = []
    for email, name in cc_candidates(case, own_addresses=[*own_addresses, ctx.sender.email]):
        if guard(session=session, settings=settings, counter=counter, kind="reply", recipient=email, case_id=case.id):
            continue
        picked.append(compose.Mailbox(email, name))
    return picked


def aids_for(*, settings: NotificationsSettings, case: CaseRead, sender: compose.Mailbox) -> ThreadingAids:
    """Subject token and Reply-To of a mail of `case` sent from `sender`."""
    return threading_aids(
        case=case,
        sender_address=sender.email,
        secret=settings.secret_key,
        plain_reply_to=settings.plain_reply_to_mailboxes,
    )


def signoff_for(*, message: MessageRead, ctx: CustomerContext | None, signatures: SignatureLookup | None) -> Signoff:
    """The greeting and signature of the agent who wrote `message`, as cases resolves them (B12 precedence).

    The lookup is never skipped when there is one: a TransientError (cases too slow) propagates so
    the event is retried, and the mail never goes out without its signature. The greeting: the
    customer organisation's own (E3) first, then cases' levels, then the workspace's E3 greeting.
    """
    greeting, signature = "", ""
    if signatures is not None and message.author_id is not None:
        mailbox = ctx.sender.email if ctx else ""
        resolved = signatures(message.author_id, mailbox)
        greeting, signature = resolved.greeting, resolved.signature
    if ctx is not None:
        greeting = ctx.organisation_greeting or greeting or ctx.workspace_greeting
    return Signoff(greeting=greeting, signature=signature)


def own_addresses(settings: NotificationsSettings) -> list[str]:
    """Our own mailboxes: automatic mail never goes to them."""
    return [settings.from_address, *settings.own_addresses]


def service_sender(settings: NotificationsSettings) -> compose.Mailbox:
    """The service's own sender, for mail that belongs to no case."""
    return compose.Mailbox(settings.from_address, settings.from_name)
