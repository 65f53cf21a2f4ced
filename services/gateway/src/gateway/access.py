"""Use cases of access control: API keys and agent credentials, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chassis import passwords
from chassis.db import unit_of_work, utcnow
from contracts.cases import AgentRole
from gateway import accounts
from gateway.db.models import AgentCredential, ApiKey
from gateway.domain import api_keys, roles

# last_used_at is a hint for operators, not an audit log: one write a minute per key is plenty
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiPrincipal:
    """Who is calling the API: the key, and the agent it acts as (if any).

    `is_admin` is what the key may do: once the key's agent is known (`gateway.api.deps`), an admin key of
    a non-admin agent is no admin (decision 0195); `agent_role` is that agent's role."""

    key_id: int
    name: str
    is_admin: bool
    scopes: tuple[str, ...] = field(default_factory=tuple)
    agent_id: int | None = None
    agent_email: str | None = None
    agent_role: AgentRole | None = None

    @property
    def role(self) -> AgentRole:
        """The role this caller acts with."""
        return roles.role_of(is_admin=self.is_admin, agent_role=self.agent_role)

    @property
    def owner(self) -> str:
        """The namespace of this caller's idempotency keys."""
        return f"api_key:{self.key_id}"


class ApiKeyRead(BaseModel):
    """An API key as shown to admins and to its agent: never the secret nor its hash."""

    id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to tell keys apart")
    scopes: list[str]
    agent_id: int | None = Field(description="The agent the key acts as (null: an API client acting as nobody)")
    agent_email: str | None = None
    is_admin: bool
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most once a minute")
    revoked_at: datetime | None = None


def _key_read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=[str(s) for s in key.scopes or ()],
        agent_id=key.agent_id,
        agent_email=key.agent_email,
        is_admin=key.is_admin,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


def get_api_key(*, factory: sessionmaker[Session], key_id: int) -> ApiKeyRead | None:
    with unit_of_work(factory) as session:
        key = session.get(ApiKey, key_id)
        return _key_read(key) if key is not None else None


def list_api_keys(
    *, factory: sessionmaker[Session], agent_id: int | None = None, agent_email: str | None = None, limit: int = 1000
) -> list[ApiKeyRead]:
    """Keys, newest first: all of them, or those acting as one agent (by id, or by the email of a seeded key)."""
    query = select(ApiKey)
    if agent_id is not None or agent_email is not None:
        clauses = [ApiKey.agent_id == agent_id]
        if agent_email:
            clauses.append(func.lower(ApiKey.agent_email) == accounts.normalise(agent_email))
        query = query.where(or_(*clauses))
    with unit_of_work(factory) as session:
        return [_key_read(k) for k in session.scalars(query.order_by(ApiKey.id.desc()).limit(limit))]


def create_api_key(
    *,
    factory: sessionmaker[Session],
    name: str,
    secret: str | None = None,
    scopes: list[str] | None = None,
    is_admin: bool = False,
    agent_id: int | None = None,
    agent_email: str | None = None,
) -> tuple[int, str]:
    """Store a new key; return its id and the secret (the only time the secret is available)."""
    secret = secret or api_keys.generate_key()
    with unit_of_work(factory) as session:
        key = ApiKey(
            name=name,
            prefix=api_keys.display_prefix(secret),
            key_hash=api_keys.key_hash(secret),
            scopes=list(scopes if scopes is not None else api_keys.ALL_SCOPES),
            is_admin=is_admin,
            agent_id=agent_id,
            agent_email=agent_email,
        )
        session.add(key)
        session.flush()
        return key.id, secret


def ensure_api_key(*, factory: sessionmaker[Session], name: str, secret: str, is_admin: bool, agent_email: str) -> bool:
    """Create the key with exactly this secret unless it exists; True when created (seeding)."""
    with unit_of_work(factory) as session:
        if session.scalar(select(ApiKey.id).where(ApiKey.key_hash == api_keys.key_hash(secret))) is not None:
            return False
    try:
        create_api_key(factory=factory, name=name, secret=secret, is_admin=is_admin, agent_email=agent_email)
    except IntegrityError:  # another replica created it at the same moment
        return False
    return True


def authenticate_api_key(
    *, factory: sessionmaker[Session], secret: str, now: datetime | None = None
) -> ApiPrincipal | None:
    """The principal of a live key, or None for an unknown or revoked one; notes when it was used."""
    now = now or utcnow()
    with unit_of_work(factory) as session:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == api_keys.key_hash(secret)))
        if key is None or key.revoked_at is not None:
            return None
        if accounts.agent_deactivated(session, agent_id=key.agent_id, agent_email=key.agent_email):
            return None  # kept, not revoked: the keys work again once the agent is reactivated
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            key.last_used_at = now
        return ApiPrincipal(
            key_id=key.id,
            name=key.name,
            is_admin=key.is_admin,
            scopes=tuple(str(s) for s in key.scopes or ()),
            agent_id=key.agent_id,
            agent_email=key.agent_email,
        )


def link_api_key_agent(*, factory: sessionmaker[Session], key_id: int, agent_id: int) -> None:
    """Remember the agent id of a key that was created knowing only the agent's email."""
    with unit_of_work(factory) as session:
        key = session.get(ApiKey, key_id)
        if key is not None:
            key.agent_id = agent_id


def revoke_api_key(*, factory: sessionmaker[Session], key_id: int) -> bool:
    """Stop a key from working (kept for the record); False when there is no such key.

    A gateway process that remembers verified keys (gateway.key_cache) must also forget it there."""
    with unit_of_work(factory) as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            return False
        if key.revoked_at is None:
            key.revoked_at = utcnow()
        return True


def set_agent_password(*, factory: sessionmaker[Session], email: str, password: str) -> None:
    """Create or replace an agent's web password."""
    email = email.strip().lower()
    with unit_of_work(factory) as session:
        credential = session.scalar(select(AgentCredential).where(AgentCredential.email == email))
        if credential is None:
            session.add(AgentCredential(email=email, password_hash=passwords.hash_password(password)))
        else:
            credential.password_hash = passwords.hash_password(password)


def has_credential(*, factory: sessionmaker[Session], email: str) -> bool:
    """True when an agent with this email can sign in with a password."""
    with unit_of_work(factory) as session:
        found = session.scalar(
            select(AgentCredential.id).where(
                AgentCredential.email == email.strip().lower(), AgentCredential.password_hash.is_not(None)
            )
        )
        return found is not None


def check_agent_password(*, factory: sessionmaker[Session], email: str, password: str) -> bool:
    """True when an active credential's password matches; an older hash is replaced by an Argon2id one."""
    with unit_of_work(factory) as session:
        credential = session.scalar(select(AgentCredential).where(AgentCredential.email == email.strip().lower()))
        usable = credential is not None and credential.deactivated_at is None
        stored = credential.password_hash if credential is not None and usable else None
    if stored is None:
        # spend the same time as a real check so unknown emails cannot be told apart by timing
        passwords.verify_password(password, _DUMMY_HASH)
        return False
    if not passwords.verify_password(password, stored):
        return False
    if passwords.needs_rehash(stored):
        rehashed = passwords.hash_password(password)
        with unit_of_work(factory) as session:
            credential = session.scalar(select(AgentCredential).where(AgentCredential.email == email.strip().lower()))
            if credential is not None and credential.password_hash == stored:  # unless changed meanwhile
                credential.password_hash = rehashed
    return True


def link_credential_agent(*, factory: sessionmaker[Session], email: str, agent_id: int) -> None:
    """Remember the cases agent id behind a credential (informational; sign-in always asks cases)."""
    with unit_of_work(factory) as session:
        credential = session.scalar(select(AgentCredential).where(AgentCredential.email == email.strip().lower()))
        if credential is not None and credential.agent_id != agent_id:
            credential.agent_id = agent_id


_DUMMY_HASH = passwords.hash_password("not-a-real-password")
