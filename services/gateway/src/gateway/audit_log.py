"""The admin audit log in the gateway's own database (decision 0198): write an entry, complete it, read pages.

One transaction each. Callers go through `gateway.admin_changes.guarded_change`, which redacts secrets
before anything reaches this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import unit_of_work, utcnow
from gateway.db.models import AuditEntry
from gateway.domain.audit import Outcome


class AuditActor(BaseModel):
    """Who made a change: an agent (signed in, or through their API key) or an API key acting as nobody."""

    type: str = Field(description="`agent`; `api_key` for a key that acts as no agent; `operator` on the command line")
    agent_id: int | None = None
    name: str
    email: str | None = None
    channel: str = Field(description="`api`, `web` (the admin console) or `cli` (`python -m gateway ...`)")
    api_key_id: int | None = Field(default=None, description="The API key used, if any")


class AuditEntryRead(BaseModel):
    """One admin change: who, what, before and after (secrets redacted), when and how it ended."""

    id: int
    occurred_at: datetime = Field(description="When the change was asked for")
    completed_at: datetime | None = Field(description="When the owning service answered; null while pending")
    actor: AuditActor
    object_type: str = Field(description="e.g. `case_type`, `mailbox`, `api_key`, `agent`")
    object_id: str | None = Field(description="The object's id (an address for a suppression); null for settings")
    action: str = Field(description="create, update, delete, revoke, invite, deactivate, reactivate, end_sessions")
    outcome: str = Field(
        description="`succeeded`; `failed` (refused, nothing changed, see error_code); `unknown` (no answer: the"
        " change may have happened); `pending` (being made, or the gateway stopped before the answer)"
    )
    error_code: str | None = None
    before: Any = Field(default=None, description="The object before the change (null for a create)")
    after: Any = Field(default=None, description="The object after the change (null for a delete or a failure)")
    request_id: str = Field(description="The request's `X-Request-ID` (ours when the caller sent none)")


@dataclass(frozen=True)
class AuditQuery:
    """Filters of a page of the log; `before_id` is the cursor (entries older than it)."""

    agent_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 50


def start(
    *,
    factory: sessionmaker[Session],
    actor: AuditActor,
    object_type: str,
    object_id: str | None,
    action: str,
    before: Any,
    request_id: str,
) -> int:
    """Write the entry of a change about to be made (`pending`); its id, to complete it with `finish`."""
    with unit_of_work(factory) as session:
        entry = AuditEntry(
            occurred_at=utcnow(),
            actor_type=actor.type,
            actor_agent_id=actor.agent_id,
            actor_name=actor.name[:200],
            actor_email=actor.email,
            channel=actor.channel,
            api_key_id=actor.api_key_id,
            object_type=object_type,
            object_id=object_id,
            action=action,
            outcome=Outcome.PENDING,
            before=before,
            request_id=request_id,
        )
        session.add(entry)
        session.flush()
        return entry.id


def finish(
    *,
    factory: sessionmaker[Session],
    entry_id: int,
    outcome: str,
    after: Any = None,
    object_id: str | None = None,
    error_code: str | None = None,
) -> None:
    """Complete an entry with the answer of the owning service (and the new object's id after a create)."""
    with unit_of_work(factory) as session:
        entry = session.get(AuditEntry, entry_id)
        if entry is None:
            return
        entry.outcome = outcome
        entry.after = after
        entry.error_code = error_code
        entry.completed_at = utcnow()
        if object_id is not None:
            entry.object_id = object_id


def _read(entry: AuditEntry) -> AuditEntryRead:
    return AuditEntryRead(
        id=entry.id,
        occurred_at=entry.occurred_at,
        completed_at=entry.completed_at,
        actor=AuditActor(
            type=entry.actor_type,
            agent_id=entry.actor_agent_id,
            name=entry.actor_name,
            email=entry.actor_email,
            channel=entry.channel,
            api_key_id=entry.api_key_id,
        ),
        object_type=entry.object_type,
        object_id=entry.object_id,
        action=entry.action,
        outcome=entry.outcome,
        error_code=entry.error_code,
        before=entry.before,
        after=entry.after,
        request_id=entry.request_id,
    )


def page(*, factory: sessionmaker[Session], query: AuditQuery) -> tuple[list[AuditEntryRead], int | None]:
    """Entries matching the query, newest first, and the cursor of the next page (None on the last one)."""
    stmt = select(AuditEntry)
    if query.agent_id is not None:
        stmt = stmt.where(AuditEntry.actor_agent_id == query.agent_id)
    if query.object_type is not None:
        stmt = stmt.where(AuditEntry.object_type == query.object_type)
    if query.object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == query.object_id)
    if query.since is not None:
        stmt = stmt.where(AuditEntry.occurred_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(AuditEntry.occurred_at < query.until)
    if query.before_id is not None:
        stmt = stmt.where(AuditEntry.id < query.before_id)
    with unit_of_work(factory) as session:
        rows = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(query.limit + 1)))
        items = [_read(r) for r in rows[: query.limit]]
    return items, (items[-1].id if len(rows) > query.limit else None)
