"""`mail_received` in groups (decision 0127): the group's lookups once, its new cases inserted together.

The chassis group committer (decision 0126) applies a group of mails in one transaction. Before the
mails, `prepare` asks the database once for the group: which mails are already on a case, the contacts
of every sender and Cc address (with their addresses), the threaded cases (locked), the default groups
by name, and the statuses.
Each mail then runs `intake.writes.apply_mail` (threading, who may join, replies, follow-ups, followers,
history, events: the same code as one by one), answering those lookups from the session; a mail that
opens a case off any thread only builds and checks it there. `complete` inserts those cases together.
Contacts created by one mail are found by the next mail from the same address (one contact); the group's
new contacts are written together, two multi-row INSERTs (`cases.common.group_contacts`, decision 0157).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.case import writes as case_writes
from cases.case.tables import Case, Message
from cases.common import batch_lookups, group_contacts, repo
from cases.common.runtime import Runtime
from cases.config.tables import CaseStatus
from cases.directory.tables import Contact, ContactEmail, Group
from cases.intake import writes as intake_writes
from cases.intake import writes_people as mail_people
from chassis.logging import get_logger
from contracts.cases import AuthorType
from contracts.envelope import Envelope
from contracts.mail_gateway import MailReceived

log = get_logger(__name__)


def prepare(session: Session, envelopes: list[Envelope]) -> None:
    """Look up what the group's mails need, in one query per table; kept in the session (`batch_lookups`)."""
    payloads = []
    for envelope in envelopes:
        try:
            payloads.append(envelope.open(MailReceived))
        except ValueError as exc:  # the mail's own handler fails on it too and takes the one-by-one path
            log.info("mail_group_payload_invalid", event_id=envelope.event_id, error=str(exc)[:200])
    lookups = batch_lookups.BatchLookups()
    if payloads:
        mail_ids = [p.inbound_mail_id for p in payloads]
        lookups.inbound_mail_ids = set(
            session.scalars(select(Message.inbound_mail_id).where(Message.inbound_mail_id.in_(mail_ids)))
        )
        addresses = {repo.normalise_email(p.from_address.email) for p in payloads}
        addresses.update(repo.normalise_email(a.email) for p in payloads for a in p.cc)
        lookups.contacts = dict.fromkeys(addresses)
        rows = session.execute(
            select(Contact, ContactEmail.email).join(ContactEmail).where(ContactEmail.email.in_(sorted(addresses)))
        )
        for contact, address in rows:
            lookups.contacts[address] = contact
        lookups.unknown_addresses = sum(1 for c in lookups.contacts.values() if c is None)
        names = {p.default_group for p in payloads if p.default_group}
        if names:
            lookups.groups = dict.fromkeys(names)
            for group in session.scalars(select(Group).where(Group.name.in_(sorted(names)))):
                lookups.groups[group.name] = group
        threaded = sorted({p.thread.case_id for p in payloads if p.thread.case_id is not None})
        if threaded:  # locked in id order, as one by one would lock each (no deadlock between workers)
            lookups.cases = dict.fromkeys(threaded)
            query = select(Case).where(Case.id.in_(threaded)).order_by(Case.id).with_for_update(of=Case)
            for case in session.scalars(query.execution_options(populate_existing=True)):
                lookups.cases[case.id] = case
        lookups.keep.extend(c for c in lookups.contacts.values() if c is not None)
        lookups.keep.extend(c for c in lookups.cases.values() if c is not None)
        lookups.keep.extend(g for g in lookups.groups.values() if g is not None)
        lookups.keep.extend(session.scalars(select(CaseStatus)))  # a new case's status_def: identity map
    session.info[batch_lookups.KEY] = lookups
    group_contacts.install(session)


def apply(*, runtime: Runtime, session: Session, payload: MailReceived, correlation_id: str | None) -> None:
    """One mail of a group (no savepoint of its own: the group committer isolates it)."""
    lookups = batch_lookups.current(session)
    if lookups is None:  # not in a group, or the group's lookups were dropped after a failed mail
        intake_writes.apply_mail_received(
            runtime=runtime, session=session, payload=payload, correlation_id=correlation_id
        )
        return
    if payload.inbound_mail_id in lookups.inbound_mail_ids:
        return  # this mail is already on a case (re-sent under a new event id)
    lookups.mail_start = (len(lookups.new_contacts), lookups.inserted_contacts)  # for `batch_lookups.forget`
    intake_writes.apply_mail(runtime=runtime, session=session, payload=payload, correlation_id=correlation_id)
    lookups.inbound_mail_ids.add(payload.inbound_mail_id)


def _repoint(new: case_writes.NewCase, adopted: dict[int, Contact]) -> None:
    """A new case built with a contact another worker stored first: refer to that worker's contact."""
    if new.case.requester_id in adopted:
        new.case.requester_id = adopted[new.case.requester_id].id
    if new.actor.type == AuthorType.CONTACT and new.actor.id in adopted:
        new.actor = new.actor.model_copy(update={"id": adopted[new.actor.id].id})
        if new.first_message is not None:
            new.first_message.author_id = new.actor.id
    if any(c.id in adopted for c in new.created.followers):
        followers = {(theirs := adopted.get(c.id, c)).id: theirs for c in new.created.followers}
        new.created.followers[:] = followers.values()  # (the fields are frozen, the list is not)


def complete(*, runtime: Runtime, session: Session) -> None:
    """Insert the new cases the group's mails built: each step once for all (decision 0127).

    One UPDATE for their numbers, one multi-row INSERT per table (cases; then history, followers and first
    messages; then the case_created outbox rows at the commit), the same rows and events as `_open_case`.
    """
    group_contacts.insert_pending(session, adopt=True)  # before the cases that refer to them
    lookups = batch_lookups.current(session)
    if lookups is None or not lookups.deferred:
        return
    deferred, lookups.deferred = lookups.deferred, []
    if lookups.adopted:
        for new, _ in deferred:
            _repoint(new, lookups.adopted)
    numbers = repo.next_case_numbers(session, len(deferred))
    for (new, _), number in zip(deferred, numbers, strict=True):
        new.case.number = number
        session.add(new.case)
    session.flush()
    for new, cc in deferred:
        case_writes.record_new_case(session, new)
        mail_people.record_skipped(session, new.case, cc, new.actor)
    session.flush()
    for new, _ in deferred:
        case_writes.announce_new_case(runtime, session, new)
