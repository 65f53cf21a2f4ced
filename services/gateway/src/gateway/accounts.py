"""Use cases of agent accounts in the gateway's own database: mailed links, passwords, deactivation.

One transaction each. The agent record itself (name, email, active) lives in cases; the gateway keeps what
signs an agent in (decision 0189).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from chassis import passwords
from chassis.db import unit_of_work, utcnow
from chassis.outbox import add_event
from contracts.envelope import EventPayload
from contracts.gateway import SERVICE, AgentInvited, AgentPasswordResetRequested
from gateway.db.models import AgentAccessToken, AgentCredential, OutboxMessage
from gateway.domain import access_links
from gateway.domain.access_links import LinkState, Purpose


def normalise(email: str) -> str:
    return email.strip().lower()


def session_owner(agent_id: int) -> str:
    """Whose server-side sessions these are, for ending them all at once (chassis.sessions)."""
    return f"agent:{agent_id}"


def _credential(session: Session, email: str) -> AgentCredential | None:
    return session.scalar(select(AgentCredential).where(AgentCredential.email == normalise(email)))


def issue_link(
    *,
    factory: sessionmaker[Session],
    purpose: Purpose,
    email: str,
    agent_id: int | None,
    name: str,
    secret: str,
    public_url: str,
    invited_by: str = "",
    now: datetime | None = None,
) -> EventPayload | None:
    """Store a new link's hash and emit the event that mails it; None for a deactivated agent.

    The credential is created when missing (an invite, or an agent added before passwords could be set);
    the agent's earlier unused links stop working, so only the newest mail counts."""
    now = now or utcnow()
    token = access_links.new_token(secret=secret, purpose=purpose)
    expires = now + access_links.ttl(purpose)
    url = access_links.link_url(public_url=public_url, token=token)
    with unit_of_work(factory) as session:
        credential = _credential(session, email)
        if credential is None:
            credential = AgentCredential(email=normalise(email), password_hash=None, agent_id=agent_id)
            session.add(credential)
            session.flush()
        elif credential.deactivated_at is not None:
            return None
        if agent_id is not None:
            credential.agent_id = agent_id
        _void_links(session, credential.id, now)
        session.add(
            AgentAccessToken(
                token_hash=access_links.hash_token(token),
                purpose=purpose.value,
                credential_id=credential.id,
                created_at=now,
                expires_at=expires,
            )
        )
        event: EventPayload
        if purpose is Purpose.INVITE:
            event = AgentInvited(
                agent_id=agent_id,
                email=credential.email,
                name=name,
                invited_by=invited_by,
                link_url=url,
                expires_at=expires,
            )
        else:
            event = AgentPasswordResetRequested(
                agent_id=agent_id, email=credential.email, name=name, link_url=url, expires_at=expires
            )
        add_event(session, OutboxMessage, event, source=SERVICE)
        return event


def _void_links(session: Session, credential_id: int, now: datetime) -> None:
    session.execute(
        update(AgentAccessToken)
        .where(AgentAccessToken.credential_id == credential_id, AgentAccessToken.used_at.is_(None))
        .values(used_at=now)
    )


@dataclass(frozen=True)
class LinkCheck:
    state: LinkState
    purpose: Purpose | None = None
    email: str = ""
    agent_id: int | None = None


def _purpose_of(token: str, secret: str) -> Purpose | None:
    for purpose in Purpose:
        if access_links.signed_for(token, secret=secret, purpose=purpose):
            return purpose
    return None


def check_link(*, factory: sessionmaker[Session], token: str, secret: str, now: datetime | None = None) -> LinkCheck:
    """What a link is worth right now (nothing is changed)."""
    purpose = _purpose_of(token, secret)
    if purpose is None:
        return LinkCheck(LinkState.UNKNOWN)
    with unit_of_work(factory) as session:
        return _check(session, token, purpose, now or utcnow(), lock=False)


def _check(session: Session, token: str, purpose: Purpose, now: datetime, *, lock: bool) -> LinkCheck:
    query = select(AgentAccessToken).where(
        AgentAccessToken.token_hash == access_links.hash_token(token), AgentAccessToken.purpose == purpose.value
    )
    link = session.scalars(query.with_for_update() if lock else query).one_or_none()
    credential = session.get(AgentCredential, link.credential_id) if link is not None else None
    if link is None or credential is None:
        return LinkCheck(LinkState.UNKNOWN)
    state = access_links.link_state(expires_at=link.expires_at, used_at=link.used_at, now=now)
    if credential.deactivated_at is not None:
        state = LinkState.UNKNOWN
    return LinkCheck(state, purpose, credential.email, credential.agent_id)


def set_password_with_link(
    *, factory: sessionmaker[Session], token: str, secret: str, password: str, now: datetime | None = None
) -> LinkCheck:
    """Use a link once to set the agent's password; the answer says whether it was valid (and for whom)."""
    now = now or utcnow()
    purpose = _purpose_of(token, secret)
    if purpose is None:
        return LinkCheck(LinkState.UNKNOWN)
    encoded = passwords.hash_password(password)  # outside the transaction: it takes tens of milliseconds
    with unit_of_work(factory) as session:
        # the row lock makes two submits racing on one link set a password only once
        found = _check(session, token, purpose, now, lock=True)
        if found.state is not LinkState.VALID:
            return found
        credential = _credential(session, found.email)
        assert credential is not None
        credential.password_hash = encoded
        _void_links(session, credential.id, now)
        return found


def set_deactivated(*, factory: sessionmaker[Session], agent_id: int, email: str, deactivated: bool) -> None:
    """Record that the agent may (not) sign in or use their API keys; creates the credential when missing."""
    with unit_of_work(factory) as session:
        credential = _credential(session, email)
        if credential is None:
            credential = AgentCredential(email=normalise(email), password_hash=None, agent_id=agent_id)
            session.add(credential)
        credential.agent_id = agent_id
        if not deactivated:
            credential.deactivated_at = None
        elif credential.deactivated_at is None:
            credential.deactivated_at = utcnow()
            session.flush()
            _void_links(session, credential.id, utcnow())


def agent_deactivated(session: Session, *, agent_id: int | None, agent_email: str | None) -> bool:
    """True when the agent an API key acts as is deactivated (inside the caller's transaction)."""
    clauses = []
    if agent_id is not None:
        clauses.append(AgentCredential.agent_id == agent_id)
    if agent_email:
        clauses.append(AgentCredential.email == normalise(agent_email))
    if not clauses:
        return False
    found = session.scalar(
        select(AgentCredential.id).where(or_(*clauses), AgentCredential.deactivated_at.is_not(None)).limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class AccountState:
    """What the gateway knows of an agent's sign-in, for the admin console's list of agents."""

    email: str
    agent_id: int | None
    has_password: bool
    invited_until: datetime | None  # the expiry of an invitation not used yet; None: none pending
    deactivated: bool


def account_states(*, factory: sessionmaker[Session], now: datetime | None = None) -> list[AccountState]:
    """Every agent credential: password set or not, a pending invitation, deactivated or not."""
    now = now or utcnow()
    pending = (
        select(AgentAccessToken.credential_id, func.max(AgentAccessToken.expires_at).label("until"))
        .where(
            AgentAccessToken.purpose == Purpose.INVITE.value,
            AgentAccessToken.used_at.is_(None),
            AgentAccessToken.expires_at > now,
        )
        .group_by(AgentAccessToken.credential_id)
        .subquery()
    )
    query = select(AgentCredential, pending.c.until).outerjoin(pending, pending.c.credential_id == AgentCredential.id)
    with unit_of_work(factory) as session:
        return [
            AccountState(
                email=credential.email,
                agent_id=credential.agent_id,
                has_password=credential.password_hash is not None,
                invited_until=until,
                deactivated=credential.deactivated_at is not None,
            )
            for credential, until in session.execute(query)
        ]
