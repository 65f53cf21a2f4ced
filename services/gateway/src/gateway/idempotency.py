"""The store of Idempotency-Key answers for POST /cases (one transaction per call)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import unit_of_work
from gateway.db.models import IdempotencyRecord


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status_code: int
    body: dict[str, Any]


def find(*, factory: sessionmaker[Session], owner: str, key: str) -> StoredAnswer | None:
    """The answer stored for this owner's key, if any."""
    with unit_of_work(factory) as session:
        query = select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
        record = session.scalar(query)
        if record is None:
            return None
        return StoredAnswer(record.request_hash, record.status_code, dict(record.response_body))


def save(
    *, factory: sessionmaker[Session], owner: str, key: str, request_hash: str, status_code: int, body: dict[str, Any]
) -> StoredAnswer:
    """Store the answer; if a concurrent request stored one first, return that one instead."""
    try:
        with unit_of_work(factory) as session:
            record = IdempotencyRecord(
                owner=owner, key=key, request_hash=request_hash, status_code=status_code, response_body=body
            )
            session.add(record)
        return StoredAnswer(request_hash, status_code, body)
    except IntegrityError:
        winner = find(factory=factory, owner=owner, key=key)
        if winner is None:  # the other writer rolled back after all: nothing to defer to
            raise
        return winner
