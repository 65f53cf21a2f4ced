"""New contacts of a group of inbound mails, inserted together (decision 0157).

In a group (decision 0127) a new sender or Cc contact gets its id at once (from the table's sequence on
PostgreSQL, after the largest id on SQLite, handed out in one statement per group) and joins the session
as if it were stored, so the group's mails use it like any other contact. Its rows are written by
`insert_pending`: one multi-row INSERT for the contacts and one for their addresses, before the session's
next flush (a case, follower or change that needs them) and at the latest when the group completes.
An address another worker stored meanwhile (ON CONFLICT DO NOTHING finds it): during a mail's flush, that
flush fails (`ContactTaken`) and the mail takes the one-by-one path; when the group completes, the other
worker's contact is adopted (`adopted`: ours is deleted, the group's new cases are re-pointed to it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached

from cases.common import batch_lookups
from cases.directory.tables import Contact, ContactEmail
from chassis.db import utcnow

CHUNK = 500  # rows per INSERT: far below the bound parameters PostgreSQL and SQLite take in one statement


class ContactTaken(Exception):
    """Another transaction stored one of the group's new addresses first."""


def create(session: Session, *, address: str, name: str, approved: bool) -> Contact:
    """A new contact for `address` (normalised), usable at once; stored by `insert_pending`."""
    lookups = batch_lookups.current(session)
    assert lookups is not None, "only in a group of mails"
    if not lookups.free_contact_ids:
        lookups.free_contact_ids = _allocate_ids(session, max(1, lookups.unknown_addresses))
    contact = Contact(
        id=lookups.free_contact_ids.pop(0),
        name=name.strip(),
        created_at=utcnow(),
        phone=None,
        organisation_id=None,
        approved=approved,
        preferred_channel="email",
    )
    make_transient_to_detached(contact)
    session.add(contact)  # persistent without an INSERT: session.get and case.requester find it
    lookups.new_contacts.append((contact, address))
    lookups.contacts[address] = contact  # the group's later mails from this address find it (one contact)
    return contact


def insert_pending(session: Session, *, adopt: bool = False) -> int:
    """Write the group's new contacts not written yet: two multi-row INSERTs; returns how many.

    An address stored meanwhile by another transaction raises `ContactTaken`, or with `adopt` puts that
    transaction's contact in `lookups.adopted` under our contact's id (ours is deleted).
    """
    lookups = batch_lookups.current(session)
    if lookups is None or lookups.inserted_contacts == len(lookups.new_contacts):
        return 0
    pending = lookups.new_contacts[lookups.inserted_contacts :]
    lookups.inserted_contacts = len(lookups.new_contacts)
    connection = session.connection()
    contact_table, email_table = Contact.__table__, ContactEmail.__table__
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        connection.execute(contact_table.insert().values([_contact_row(c) for c, _ in chunk]))
        dml = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        added = connection.execute(
            dml(email_table)
            .values([{"contact_id": c.id, "email": address} for c, address in chunk])
            .on_conflict_do_nothing(index_elements=["email"])
            .returning(email_table.c.id, email_table.c.email)
        )
        ids = {row.email: row.id for row in added}
        taken = {contact.id: address for contact, address in chunk if address not in ids}
        if taken and not adopt:
            raise ContactTaken(f"stored meanwhile by another transaction: {', '.join(sorted(taken.values()))}")
        if taken:
            _adopt(session, lookups, taken)
        for contact, address in chunk:
            if contact.id in taken:
                continue
            row = ContactEmail(id=ids[address], contact_id=contact.id, email=address)
            make_transient_to_detached(row)
            session.add(row)
            set_committed_value(contact, "emails", [row])
            set_committed_value(row, "contact", contact)
    return len(pending)


def _adopt(session: Session, lookups: batch_lookups.BatchLookups, taken: dict[int, str]) -> None:
    """Another transaction stored these addresses first (our contact id -> address): use its contacts."""
    query = select(Contact, ContactEmail.email).join(ContactEmail).where(ContactEmail.email.in_(taken.values()))
    theirs = {address: contact for contact, address in session.execute(query)}
    session.connection().execute(Contact.__table__.delete().where(Contact.__table__.c.id.in_(list(taken))))
    for contact, address in lookups.new_contacts:
        if contact.id in taken:
            lookups.adopted[contact.id] = theirs[address]
            lookups.contacts[address] = theirs[address]
            session.expunge(contact)


def install(session: Session) -> None:
    """Write pending contacts before any flush of this session (a flush may refer to them or change them)."""
    if not event.contains(session, "before_flush", _before_flush):
        event.listen(session, "before_flush", _before_flush)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    insert_pending(session)


def _allocate_ids(session: Session, count: int) -> list[int]:
    """`count` contact ids in one statement; on PostgreSQL unused ones are a gap, as a rolled-back insert leaves."""
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence('contact', 'id')) FROM generate_series(1, :n)")
        return [int(v) for v in session.execute(query, {"n": count}).scalars()]
    # SQLite takes one writer at a time; our own pending ids count as taken
    lookups = batch_lookups.current(session)
    taken = max((c.id for c, _ in lookups.new_contacts), default=0) if lookups else 0
    last = max(int(session.scalar(select(func.coalesce(func.max(Contact.id), 0))) or 0), taken)
    return list(range(last + 1, last + 1 + count))


def _contact_row(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "created_at": contact.created_at,
        "phone": contact.phone,
        "organisation_id": contact.organisation_id,
        "approved": contact.approved,
        "preferred_channel": contact.preferred_channel,
    }
