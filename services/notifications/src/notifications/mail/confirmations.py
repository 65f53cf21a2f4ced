"""Use case: confirm a new case to the customer who wrote in (E1), loop-safe and rate-limited (E4).

`case_created` is applied in groups (decisions 0152, 0158): `prepare_confirmations` looks up what the
group's mails need at once, `confirm_new_case` then runs per event inside the group's transaction.
"""

from __future__ import annotations

import contextlib

from pydantic import ValidationError
from sqlalchemy.orm import Session

from chassis.db import utcnow
from contracts.cases import AuthorType, CaseCreated
from contracts.envelope import Envelope
from contracts.tokens import make_message_id
from notifications.deliveries import bookkeeping
from notifications.mail import compose, confirm_group
from notifications.mail.context import CustomerContext, customer_context, own_addresses, signed_case_link
from notifications.mail.rules import confirmation_blocker, confirmation_recipient, normalise_message_id
from notifications.mail_settings.rules import scope_key
from notifications.ratelimit import Counter
from notifications.safety.count_once import CountOnce
from notifications.safety.rules import is_automatic, normalise_address
from notifications.safety.suppressions import guard, is_suppressed, limited
from notifications.settings import NotificationsSettings


def confirm_new_case(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `case_created`: remember the customer's Message-ID; queue a confirmation when it is safe to."""
    event = confirm_group.opened(session, envelope)
    case, first = event.case, event.first_message
    customer_msgid = normalise_message_id(first.email_message_id) if first else None
    refs = []
    if first is not None and customer_msgid:
        refs.append(
            confirm_group.thread_ref(
                case_id=case.id,
                email_message_id=customer_msgid,
                author_type=first.author_type.value,
                created_at=first.created_at,
            )
        )
    gate = _confirmation_gate(session=session, settings=settings, event=event, event_id=envelope.event_id)
    if gate is not None:
        recipient, ctx, blocker = gate
        blocker = blocker or guard(
            session=session,
            settings=settings,
            counter=counter,
            kind="confirmation",
            recipient=recipient,
            case_id=case.id,
        )
        base = {"kind": "confirmation", "recipient": recipient, "envelope": envelope, "case_id": case.id}
        if blocker:
            bookkeeping.record_suppressed(session=session, reason=blocker, **base)
        else:
            message_id = make_message_id(
                case_id=case.id,
                message_id=first.id if first else 0,
                secret=settings.secret_key,
                domain=settings.mail_domain,
            )
            now = utcnow()
            mail = compose.confirmation(
                case=case,
                to=compose.Mailbox(recipient, case.requester.name if case.requester else ""),
                sender=ctx.sender,
                message_id=message_id,
                in_reply_to=customer_msgid,
                date=now,
                aids=ctx.aids,
                link_url=signed_case_link(settings=settings, case=case),
            )
            # the confirmation answers the customer's mail, not a message of the case: no case_message_id
            bookkeeping.queue_mail(session=session, mail=mail, case_message_id=None, now=now, **base)
            refs.append(
                confirm_group.thread_ref(
                    case_id=case.id, email_message_id=message_id, author_type="system", created_at=now
                )
            )
    # recorded only when the handler got this far: a failed member of a group leaves no reference behind
    confirm_group.remember(session, refs)


def prepare_confirmations(
    *, session: Session, settings: NotificationsSettings, envelopes: list[Envelope], once: CountOnce | None
) -> None:
    """A group's lookups at once (decision 0158): suppressions, mail settings, and the rate-limit counts."""
    events = []
    for envelope in envelopes:
        with contextlib.suppress(ValidationError):  # a malformed event fails in its handler, alone
            events.append((envelope.event_id, envelope.open(CaseCreated)))
    recipients = [confirmation_recipient(event.case, _started_by(event), event.confirm) for _, event in events]
    orgs = {event.case.organisation.id for _, event in events if event.case.organisation}
    lookups = confirm_group.begin(
        session,
        recipients=[normalise_address(r) for r in recipients if r],
        scope_keys={scope_key(None), *(scope_key(org) for org in orgs)},
    )
    lookups.events.update(events)
    if once is None or not is_automatic("confirmation"):
        return
    hits = []
    for event_id, event in events:
        gate = _confirmation_gate(session=session, settings=settings, event=event, event_id=event_id)
        if gate is None or gate[2] is not None:
            continue  # no confirmation, or blocked before the rate limit: guard() never counts it
        address = normalise_address(gate[0])
        if not is_suppressed(session=session, address=address):
            hits += [(event_id, name, subject) for name, subject in limited(address, event.case.id)]
    # one round trip for the group; the handlers' guard() then finds each count in `once`
    once.hit_many(hits, window_seconds=settings.rate_limit_window_seconds)


Gate = tuple[str, CustomerContext, str | None]


def _confirmation_gate(
    *, session: Session, settings: NotificationsSettings, event: CaseCreated, event_id: str
) -> Gate | None:
    """(recipient, how to mail them, why not before suppressions and rate limits) of a confirmation, or None."""
    lookups = confirm_group.current(session)
    if lookups is not None and event_id in lookups.gates:
        return lookups.gates[event_id]
    case, first = event.case, event.first_message
    recipient = confirmation_recipient(case, _started_by(event), event.confirm)
    gate: Gate | None = None
    if recipient is not None:
        ctx = customer_context(session=session, settings=settings, case=case)
        # the organisation's sender mailbox is ours too: never confirm mail that came from it (E4)
        blocker = confirmation_blocker(
            recipient=recipient, first_message=first, own_addresses=[*own_addresses(settings), ctx.sender.email]
        )
        gate = (recipient, ctx, blocker or ctx.never_reason)
    if lookups is not None:
        lookups.gates[event_id] = gate
    return gate


def _started_by(event: CaseCreated) -> AuthorType | None:
    return event.actor.type if event.actor is not None else None
