"""The senders whose remote images an agent chose to always see, in the gateway's own database (decision 0245).

Per agent: one agent trusting a sender never makes a tracking pixel load in a colleague's browser.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import unit_of_work
from gateway.db.models import TrustedImageSender


def trusted(*, factory: sessionmaker[Session], agent_id: int, senders: set[str]) -> set[str]:
    """Which of `senders` (lower-cased addresses) the agent trusts."""
    if not senders:
        return set()
    with unit_of_work(factory) as session:
        rows = session.scalars(
            select(TrustedImageSender.sender).where(
                TrustedImageSender.agent_id == agent_id, TrustedImageSender.sender.in_(sorted(senders))
            )
        )
        return set(rows)


def trust(*, factory: sessionmaker[Session], agent_id: int, sender: str) -> None:
    """Always show this sender's images to this agent; trusting twice changes nothing."""
    try:
        with unit_of_work(factory) as session:
            exists = session.scalar(
                select(TrustedImageSender.id).where(
                    TrustedImageSender.agent_id == agent_id, TrustedImageSender.sender == sender
                )
            )
            if exists is None:
                session.add(TrustedImageSender(agent_id=agent_id, sender=sender))
    except IntegrityError:
        pass  # trusted meanwhile by the same agent in another tab: the row is there


def distrust(*, factory: sessionmaker[Session], agent_id: int, sender: str) -> None:
    """Hide this sender's images from this agent again."""
    with unit_of_work(factory) as session:
        session.execute(
            delete(TrustedImageSender).where(
                TrustedImageSender.agent_id == agent_id, TrustedImageSender.sender == sender
            )
        )
