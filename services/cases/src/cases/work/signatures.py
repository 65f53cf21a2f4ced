"""Greetings and signatures (B12): stored per level, resolved most-specific-first for notifications."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.db import repo
from cases.db.work_models import Signature
from cases.domain import signatures as rules
from cases.handlers import Runtime
from chassis.db import utcnow
from contracts.case_work import ResolvedSignature, SignatureRead, SignatureSet


def _read(row: Signature) -> SignatureRead:
    return SignatureRead(
        id=row.id,
        level=rules.level_of(agent_id=row.agent_id, mailbox=row.mailbox),
        agent_id=row.agent_id,
        mailbox=row.mailbox,
        greeting=row.greeting,
        signature=row.signature,
    )


def set_signature(*, runtime: Runtime, data: SignatureSet) -> SignatureRead:
    """Create or replace the greeting and signature of one level."""
    mailbox = rules.normalise_mailbox(data.mailbox)
    key = rules.scope_key(agent_id=data.agent_id, mailbox=mailbox)
    with runtime.transaction() as session:
        if data.agent_id is not None:
            repo.require_agent(session, data.agent_id)
        row = session.scalar(select(Signature).where(Signature.scope_key == key).with_for_update())
        if row is None:
            row = Signature(scope_key=key, agent_id=data.agent_id, mailbox=mailbox)
            session.add(row)
        row.greeting, row.signature, row.updated_at = data.greeting, data.signature, utcnow()
        session.flush()
        return _read(row)


def list_signatures(*, session: Session) -> list[SignatureRead]:
    return [_read(r) for r in session.scalars(select(Signature).order_by(Signature.id))]


def resolve_signature(*, session: Session, agent_id: int, mailbox: str | None) -> ResolvedSignature:
    """The greeting and signature an agent's mail from `mailbox` carries."""
    rows = session.scalars(select(Signature).where((Signature.agent_id.is_(None)) | (Signature.agent_id == agent_id)))
    levels = [rules.Level(r.agent_id, r.mailbox, r.greeting, r.signature) for r in rows]
    greeting, signature, g_from, s_from = rules.resolve(levels, agent_id=agent_id, mailbox=mailbox)
    return ResolvedSignature(greeting=greeting, signature=signature, greeting_from=g_from, signature_from=s_from)
