"""Greetings and signatures (B12): listed, and resolved most-specific-first for notifications."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.templates import rules_signatures as rules
from cases.templates.tables import Signature
from contracts.case_work import ResolvedSignature, SignatureRead


def signature_read(row: Signature) -> SignatureRead:
    return SignatureRead(
        id=row.id,
        level=rules.level_of(agent_id=row.agent_id, mailbox=row.mailbox),
        agent_id=row.agent_id,
        mailbox=row.mailbox,
        greeting=row.greeting,
        signature=row.signature,
    )


def list_signatures(*, session: Session) -> list[SignatureRead]:
    return [signature_read(r) for r in session.scalars(select(Signature).order_by(Signature.id))]


def resolve_signature(*, session: Session, agent_id: int, mailbox: str | None) -> ResolvedSignature:
    """The greeting and signature an agent's mail from `mailbox` carries."""
    rows = session.scalars(select(Signature).where((Signature.agent_id.is_(None)) | (Signature.agent_id == agent_id)))
    levels = [rules.Level(r.agent_id, r.mailbox, r.greeting, r.signature) for r in rows]
    greeting, signature, g_from, s_from = rules.resolve(levels, agent_id=agent_id, mailbox=mailbox)
    return ResolvedSignature(greeting=greeting, signature=signature, greeting_from=g_from, signature_from=s_from)
