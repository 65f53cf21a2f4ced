"""Rows looked up once for a group of inbound mails, held by the group's session (decision 0127).

`cases.intake.writes_batch.prepare` fills it; `repo.find_contact` and the threading of `cases.intake.writes`
answer from it when present. The session holds the rows strongly here, so the many-to-one loads of `case_read`
(requester, group, status) find them in the identity map instead of asking the database again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.directory.tables import Contact, Group

KEY = "cases.mail_batch"


@dataclass
class BatchLookups:
    """What the group's mails need: contacts by address (None: known to be absent), groups by name."""

    inbound_mail_ids: set[int] = field(default_factory=set)  # already on a case, or applied in this group
    contacts: dict[str, Contact | None] = field(default_factory=dict)
    groups: dict[str, Group | None] = field(default_factory=dict)
    cases: dict[int, Case | None] = field(default_factory=dict)  # threaded cases, locked (None: no such case)
    keep: list[Any] = field(default_factory=list)  # strong references for the identity map
    # new cases built by the group's mails, inserted together at the end: (case.writes.NewCase, CcFollowers)
    deferred: list[tuple[Any, Any]] = field(default_factory=list)
    # new contacts (contact, normalised address), written together by `group_contacts.insert_pending` (0157):
    # the first `inserted_contacts` are written; ids are handed out from `free_contact_ids`
    new_contacts: list[tuple[Contact, str]] = field(default_factory=list)
    inserted_contacts: int = 0
    free_contact_ids: list[int] = field(default_factory=list)
    unknown_addresses: int = 0  # addresses of the group without a contact: how many ids to take at once
    mail_start: tuple[int, int] = (0, 0)  # (new_contacts, inserted_contacts) when the current mail began
    adopted: dict[int, Contact] = field(default_factory=dict)  # our new contact's id -> another worker's


def current(session: Session) -> BatchLookups | None:
    found: BatchLookups | None = session.info.get(KEY)
    return found


def forget(session: Session) -> None:
    """A mail's savepoint was rolled back: rows it created are gone, so look everything up again.

    The new cases and contacts that earlier mails of the group built (and the mails already applied) stay;
    contacts the failed mail made are dropped, and those its savepoint had written are written again.
    """
    lookups = current(session)
    if lookups is not None:
        kept, written = lookups.mail_start
        new_contacts = lookups.new_contacts[:kept]
        session.info[KEY] = BatchLookups(
            inbound_mail_ids=lookups.inbound_mail_ids,
            deferred=lookups.deferred,
            contacts={address: contact for contact, address in new_contacts},
            new_contacts=new_contacts,
            inserted_contacts=min(written, lookups.inserted_contacts),
            free_contact_ids=lookups.free_contact_ids,
            unknown_addresses=lookups.unknown_addresses,
        )
