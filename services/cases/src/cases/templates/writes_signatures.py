"""Greetings and signatures (B12) set per level."""

from __future__ import annotations

from sqlalchemy import select

from cases.common import repo
from cases.common.runtime import Runtime
from cases.templates import rules_signatures as rules
from cases.templates.reads_signatures import signature_read
from cases.templates.tables import Signature
from chassis.db import utcnow
from contracts.case_work import SignatureRead, SignatureSet


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
        return signature_read(row)
