"""Revoking an API key without locking the desk out: the last admin credential stays (decision 0191)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import unit_of_work, utcnow
from contracts import errors
from gateway.db.models import AgentCredential, ApiKey
from gateway.domain import api_keys


class LastAdminCredential(errors.DomainError):
    code = errors.LAST_ADMIN_CREDENTIAL


def revoke(*, factory: sessionmaker[Session], key_id: int, admin_emails: Collection[str]) -> bool:
    """Revoke a key (kept for the record); False when there is no such key. Refused with
    `last_admin_credential` when it is the last live admin key and none of `admin_emails` (the active
    admin agents, from cases) has a password. Revoking a revoked key again is a no-op.

    The live admin keys are locked (PostgreSQL) before they are counted, so two admins revoking the last
    two keys at once cannot both succeed. A gateway process that remembers verified keys
    (gateway.key_cache) must also forget the key there."""
    with unit_of_work(factory) as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            return False
        if key.revoked_at is not None:
            return True
        if key.is_admin:
            live_admin = select(ApiKey.id).where(ApiKey.is_admin.is_(True), ApiKey.revoked_at.is_(None))
            others = [i for i in session.scalars(live_admin.order_by(ApiKey.id).with_for_update()) if i != key_id]
            emails = sorted({e.strip().lower() for e in admin_emails})
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
