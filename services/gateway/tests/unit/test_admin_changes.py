"""guarded_change on the gateway's real tables (SQLite, the embedded default): the entry is written before the
change and completed after it, a refusal and a lost answer are told apart, a stale version writes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import make_engine, make_sessionmaker
from contracts import errors
from gateway.admin_changes import ChangeActor, VersionConflict, fingerprint, guarded_change
from gateway.context import AppContext
from gateway.db.models import AuditEntry, Base

ADMIN = ChangeActor(type="agent", name="Ada", channel="web", agent_id=1, email="ada@example.com")


@pytest.fixture
def factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    Base.metadata.create_all(engine)
    return make_sessionmaker(engine)


def _entries(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


class Forgetful:
    """Stands in for the kept reference lists (decision 0210): counts how often an admin change forgot them."""

    def __init__(self) -> None:
        self.forgotten = 0

    def forget(self) -> None:
        self.forgotten += 1


def _change(
    factory: sessionmaker[Session],
    apply: Any,
    expected: str | None = None,
    before: Any = None,
    reference: Forgetful | None = None,
) -> Any:
    ctx = cast(AppContext, SimpleNamespace(db=factory, reference=reference or Forgetful()))
    current = before if before is not None else {"id": 7, "name": "old", "imap_password": "hunter2"}

    async def load() -> Any:
        return current

    return asyncio.run(
        guarded_change(
            ctx,
            actor=ADMIN,
            object_type="mailbox",
            object_id=7,
            action="update",
            expected_version=expected,
            load_before=load,
            apply=apply,
            request_id="r-1",
        )
    )


def test_the_entry_is_pending_while_the_change_is_made_and_complete_after(factory: sessionmaker[Session]) -> None:
    seen: list[str] = []

    async def apply() -> dict[str, Any]:
        [entry] = _entries(factory)
        seen.append(entry.outcome)
        return {"id": 7, "name": "new", "imap_password": "s3cret"}

    before = {"id": 7, "name": "old", "imap_password": "hunter2"}
    result = _change(factory, apply, expected=fingerprint(before), before=before)
    assert result["name"] == "new"
    assert seen == ["pending"]
    [entry] = _entries(factory)
    assert entry.outcome == "succeeded" and entry.completed_at is not None
    assert entry.before == {"id": 7, "name": "old", "imap_password": "[redacted]"}
    assert entry.after == {"id": 7, "name": "new", "imap_password": "[redacted]"}
    assert (entry.actor_agent_id, entry.channel, entry.object_id, entry.request_id) == (1, "web", "7", "r-1")


def test_a_refusal_is_failed_and_a_lost_answer_unknown(factory: sessionmaker[Session]) -> None:
    async def refused() -> None:
        raise errors.ValidationFailed(message="name taken")

    async def no_answer() -> None:
        raise TimeoutError("cases did not answer")

    with pytest.raises(errors.ValidationFailed):
        _change(factory, refused)
    with pytest.raises(TimeoutError):
        _change(factory, no_answer)
    failed, unknown = _entries(factory)
    assert (failed.outcome, failed.error_code, failed.after) == ("failed", "validation_error", None)
    assert (unknown.outcome, unknown.error_code) == ("unknown", None)


def test_a_stale_version_changes_nothing_and_writes_nothing(factory: sessionmaker[Session]) -> None:
    applied: list[bool] = []

    async def apply() -> None:
        applied.append(True)

    with pytest.raises(VersionConflict) as raised:
        _change(factory, apply, expected="0" * 32)
    assert raised.value.code == "version_conflict"
    assert raised.value.details["current"]["imap_password"] == "[redacted]"
    assert applied == [] and _entries(factory) == []


def test_a_change_made_or_refused_forgets_the_kept_reference_lists(factory: sessionmaker[Session]) -> None:
    kept = Forgetful()

    async def ok() -> dict[str, Any]:
        return {"id": 7, "name": "new"}

    _change(factory, ok, reference=kept)
    assert kept.forgotten == 1

    async def refused() -> dict[str, Any]:
        raise errors.DomainError(errors.VALIDATION_ERROR, "no")

    with pytest.raises(errors.DomainError):
        _change(factory, refused, reference=kept)
    assert kept.forgotten == 2
    # a stale version is refused before anything is changed: nothing to forget
    with pytest.raises(VersionConflict):
        _change(factory, ok, expected="stale", reference=kept)
    assert kept.forgotten == 2
