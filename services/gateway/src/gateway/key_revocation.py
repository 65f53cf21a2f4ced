"""Revoking an API key without locking the desk out: the last admin credential stays (decision 0191)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import unit_of_work, utcnow
from contracts import errors
from gateway.db.models import AgentCredential, ApiKey
from gateway.domain import api_keys


class LastAdminCredential(errors.DomainError):
    code = errors.LAST_ADMIN_CREDENTIAL


def revoke(
    *, factory: sessionmaker[Session], key_id: int, admin_emails: Collection[str], admin_ids: Collection[int] = ()
) -> bool:
    """Revoke a key (kept for the record); False when there is no such key. Refused with
    `last_admin_credential` when it is the last live admin key and none of `admin_emails` (the active
    admin agents, from cases) has a password. Revoking a revoked key again is a no-op.

    An admin key counts only while it acts as an admin: linked to no agent, or to one of the active admins
    (`admin_ids`, `admin_emails`); a key acts with at most its agent's role (decision 0195).

    The live admin keys are locked (PostgreSQL) before they are counted, so two admins revoking the last
    two keys at once cannot both succeed. A gateway process that remembers verified keys
    (gateway.key_cache) must also forget the key there."""
    with unit_of_work(factory) as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            return False
        if key.revoked_at is not None:
            return True
        emails = sorted({e.strip().lower() for e in admin_emails})
        acts_as_admin = or_(
            and_(ApiKey.agent_id.is_(None), ApiKey.agent_email.is_(None)),
            ApiKey.agent_id.in_(sorted(admin_ids)),
            func.lower(ApiKey.agent_email).in_(emails),
        )
        if session.scalar(select(ApiKey.id).where(ApiKey.id == key_id, ApiKey.is_admin.is_(True), acts_as_admin)):
            live_admin = select(ApiKey.id).where(ApiKey.is_admin.is_(True), ApiKey.revoked_at.is_(None), acts_as_admin)
            others = [i for i in session.scalars(live_admin.order_by(ApiKey.id).with_for_update()) if i != key_id]
            passwords = session.scalar(
                select(func.count()).select_from(AgentCredential).where(AgentCredential.email.in_(emails))
            )
            if api_keys.leaves_no_admin(
                revoking_live_admin_key=True, other_live_admin_keys=len(others), admin_passwords=passwords or 0
            ):
                raise LastAdminCredential(
                    message="this is the last admin credential: create another admin key, or give an admin agent"
                    " a password, before revoking it",
                    details={"key_id": key_id},
                )
        key.revoked_at = utcnow()
        return True
