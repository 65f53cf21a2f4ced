"""SMS-to-case (A5): an inbound SMS joins the open case of its phone number, or opens a new case."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.case import writes as case_writes
from cases.case.tables import Case, Message
from cases.common import repo
from cases.common.runtime import Runtime
from cases.directory.tables import Contact
from cases.intake.rules_phones import phone_key, sms_title
from chassis.logging import get_logger
from contracts import errors
from contracts.cases import Actor, AuthorType, CaseCreate, Channel, Source, Status, Visibility
from contracts.gateway import SmsReceived

log = get_logger(__name__)

# a case in one of these is "the open case" an SMS joins; a resolved or closed one gets a new case
_JOINABLE = (Status.NEW.value, Status.OPEN.value, Status.WAITING.value, Status.DORMANT.value)


def find_contact_by_phone(session: Session, phone: str) -> Contact | None:
    """The contact with this number, compared in normalised form (the oldest contact when several share it)."""
    key = phone_key(phone)
    if key is None:
        return None
    # numbers are stored as typed ("+47 912 34 567"); compare normalised (an indexed key column can come later)
    contacts = session.scalars(select(Contact).where(Contact.phone.is_not(None)).order_by(Contact.id))
    return next((c for c in contacts if phone_key(c.phone) == key), None)


def apply_sms_received(
    *, runtime: Runtime, session: Session, payload: SmsReceived, correlation_id: str | None = None
) -> None:
    """Add the SMS to the sender's open case, or open a case (source sms) for it."""
    number = phone_key(payload.from_number)
    if number is None:
        raise errors.ValidationFailed(message="the SMS sender is not a phone number", details={"from": "invalid"})
    contact = find_contact_by_phone(session, number)
    if contact is None:
        contact = Contact(name=number, phone=number)
        session.add(contact)
        session.flush()
    actor = Actor(type=AuthorType.CONTACT, id=contact.id, name=contact.name, channel=Channel.SMS)
    message = Message(
        author_type=AuthorType.CONTACT.value,
        author_id=contact.id,
        author_name=contact.name,
        visibility=Visibility.PUBLIC.value,
        channel=Channel.SMS.value,
        body_text=payload.body,
        attachments=[],
    )
    open_id = session.scalar(
        select(Case.id)
        .where(Case.requester_id == contact.id, Case.status.in_(_JOINABLE))
        .order_by(Case.id.desc())
        .limit(1)
    )
    if open_id is not None:
        case = repo.lock_case(session, open_id)
        case_writes.post_message(
            session, runtime, case=case, message=message, actor=actor, correlation_id=correlation_id
        )
        log.info("sms_added_to_case", case_id=case.id)
        return
    data = CaseCreate(title=sms_title(payload.body, number), description=payload.body[:100_000], source=Source.SMS)
    case_writes.open_case(
        session,
        runtime,
        data=data,
        requester_id=contact.id,
        actor=actor,
        first_message=message,
        correlation_id=correlation_id,
        intake=True,  # required fields never refuse a customer's SMS (decision 0110)
    )
    log.info("sms_opened_case", contact_id=contact.id)
