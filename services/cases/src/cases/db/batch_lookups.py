"""Rows looked up once for a group of inbound mails, held by the group's session (decision 0127).

`cases.mail_batch.prepare` fills it; `repo.find_contact`, `handlers._group` and `handlers._threaded_case`
answer from it when present. The session holds the rows strongly here, so the many-to-one loads of `case_read`
(requester, group, status) find them in the identity map instead of asking the database again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cases.db.models import Case, Contact, Group

KEY = "cases.mail_batch"


@dataclass
class BatchLookups:
    """What the group's mails need: contacts by address (None: known to be absent), groups by name."""

    inbound_mail_ids: set[int] = field(default_factory=set)  # already on a case, or applied in this group
    contacts: dict[str, Contact | None] = field(default_factory=dict)
    groups: dict[str, Group | None] = field(default_factory=dict)
    cases: dict[int, Case | None] = field(default_factory=dict)  # threaded cases, locked (None: no such case)
    keep: list[Any] = field(default_factory=list)  # strong references for the identity map
    # new cases built by the group's mails, inserted together at the end: (handlers.NewCase, CcFollowers)
    deferred: list[tuple[Any, Any]] = field(default_factory=list)


def current(session: Session) -> BatchLookups | None:
    found: BatchLookups | None = session.info.get(KEY)
    return found


def remember_contact(session: Session, address: str, contact: Contact) -> None:
    """A contact created in this group: the group's later mails from the same address find it here."""
    lookups = current(session)
    if lookups is not None:
        lookups.contacts[address] = contact


def forget(session: Session) -> None:
    """A mail's savepoint was rolled back: rows it created are gone, so look everything up again.

    The new cases that earlier mails of the group built (and the mails already applied) stay.
    """
    lookups = current(session)
    if lookups is not None:
        session.info[KEY] = BatchLookups(inbound_mail_ids=lookups.inbound_mail_ids, deferred=lookups.deferred)
