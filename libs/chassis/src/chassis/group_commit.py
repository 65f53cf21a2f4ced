"""Group commit for idempotent consumers: many deliveries, one transaction (decision 0126).

nameko gives every delivery its own greenthread and acks it when the handler returns. `GroupCommitter`
keeps that and groups the transactions: each greenthread queues its message and waits; one of them
(the leader) applies up to `max_group` queued messages in one transaction, a savepoint each, with one
`processed_event` lookup and one multi-row insert of the processed markers, then commits and wakes the
others. Nothing returns, so nothing is acked, before the commit: a crash redelivers the whole group,
and the processed markers make the second delivery apply once.

A message whose handler fails leaves the group (its savepoint is rolled back) and is answered
`FALLBACK`: its own greenthread then runs `consumer.consume`, the one-by-one path with its retries
and dead letter. A failed commit answers `FALLBACK` to the whole group.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import eventlet
from eventlet.event import Event
from prometheus_client import Histogram
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chassis.logging import get_logger
from chassis.metrics import EVENTS_CONSUMED
from chassis.outbox import ProcessedEventMixin
from contracts.envelope import Envelope

log = get_logger(__name__)

GROUP_SIZE = Histogram(
    "helpdesk_consumer_group_size",
    "Messages per group-committed transaction of an idempotent consumer (decision 0126)",
    ["service", "consumer"],
    buckets=(1, 2, 5, 10, 20, 50, 100),
)

FALLBACK = "fallback"
_LEAD = "lead"

GroupHandler = Callable[[Session, Envelope], None]
# called once per group, before the handlers, with the envelopes not yet applied: batch the lookups
GroupPrepare = Callable[[Session, list[Envelope]], None]
# `forget`: called when a message left the group (its savepoint was rolled back): drop what it cached;
# `complete`: called after the handlers, before the commit: write what the handlers left for the group
GroupForget = Callable[[Session], None]


@dataclass
class GroupItem:
    """One delivery waiting for its group's commit."""

    body: Any
    signal: Event = field(default_factory=Event)
    envelope: Envelope | None = None
    outcome: str | None = None


class _Failed(Exception):
    """A handler failed outside a savepoint: the transaction is rolled back, the group applied again."""

    def __init__(self, item: GroupItem) -> None:
        super().__init__()
        self.item = item


@dataclass
class GroupStats:
    """Counters for tests and the bench: groups committed and the messages they held."""

    groups: int = 0
    messages: int = 0
    fallbacks: int = 0
    largest: int = 0


class GroupCommitter:
    """Forms groups from the messages that greenthreads `submit`, and applies each in one transaction."""

    def __init__(
        self,
        *,
        service: str,
        consumer: str,
        session_factory: sessionmaker[Session],
        processed_model: type[ProcessedEventMixin],
        handler: GroupHandler,
        prepare: GroupPrepare | None = None,
        forget: GroupForget | None = None,
        complete: GroupForget | None = None,
        fallback: Callable[[Any], str] | None = None,
        on_applied: Callable[[], None] | None = None,
        max_group: int = 50,
        linger: float = 0.002,
    ) -> None:
        self.service = service
        self.consumer = consumer
        self.session_factory = session_factory
        self.processed_model = processed_model
        self.handler = handler
        self.prepare = prepare
        self.forget = forget
        self.complete = complete
        self.fallback = fallback
        # called once after a commit that applied messages (the outbox relay's wake-up: once per group)
        self.on_applied = on_applied
        self.max_group = max(1, max_group)
        self.linger = linger
        self.stats = GroupStats()
        self._pending: list[GroupItem] = []
        self._leading = False

    def submit(self, body: Any) -> str:
        """Queue `body` and wait for its group's commit: `applied` or `duplicate`.

        A message that left its group is then handed to `fallback` (the one-by-one path) in this
        greenthread, and its answer returned (`FALLBACK` when there is no `fallback`).
        """
        item = GroupItem(body)
        self._pending.append(item)
        if self._leading:
            answer = str(item.signal.wait())
            if answer == _LEAD:
                answer = self._lead(item)
        else:
            self._leading = True
            answer = self._lead(item)
        if answer == FALLBACK and self.fallback is not None:
            return self.fallback(body)
        return answer

    def _lead(self, own: GroupItem) -> str:
        """Apply the oldest queued messages (`own` is the first of them), then hand the lead on."""
        group: list[GroupItem] = []
        try:
            if len(self._pending) < self.max_group and self.linger > 0:
                eventlet.sleep(self.linger)  # let the deliveries already on their way join this group
            group, self._pending = self._pending[: self.max_group], self._pending[self.max_group :]
            self._apply(group)
        except Exception:
            log.error("group_failed", consumer=self.consumer, size=len(group), error=traceback.format_exc(limit=5))
        finally:
            # also when the leader is killed: nothing committed, so the others answer FALLBACK
            if own not in group:
                self._pending = [item for item in self._pending if item is not own]
                group.append(own)
            for item in group:
                if item.outcome is None:
                    item.outcome = FALLBACK
            if self._pending:
                self._pending[0].signal.send(_LEAD)  # the next group's first message leads it
            else:
                self._leading = False
            for item in group:
                if item is not own:
                    item.signal.send(item.outcome)
        assert own.outcome is not None
        return own.outcome

    def _apply(self, group: list[GroupItem]) -> None:
        first: dict[str, GroupItem] = {}
        twins: list[tuple[GroupItem, GroupItem]] = []
        for item in group:
            try:
                item.envelope = Envelope.model_validate(item.body)
            except ValidationError:
                item.outcome = FALLBACK  # `consume` dead-letters it with the reason
                continue
            earlier = first.get(item.envelope.event_id)
            if earlier is None:
                first[item.envelope.event_id] = item
            else:
                twins.append((item, earlier))  # the same event twice in one group: applied once
        todo = list(first.values())
        # optimistic first: no savepoints (two round trips per message saved); when a handler fails, the
        # transaction is rolled back and the others are applied again, each in a savepoint this time
        for savepoints in (False, True):
            failed = self._transaction(todo, savepoints=savepoints)
            if failed is None:
                break
            failed.outcome = FALLBACK
            todo = [item for item in todo if item is not failed]
        for item, earlier in twins:
            item.outcome = "duplicate" if earlier.outcome in ("applied", "duplicate") else FALLBACK
        GROUP_SIZE.labels(self.service, self.consumer).observe(len(group))
        self.stats.groups += 1
        self.stats.messages += len(group)
        self.stats.largest = max(self.stats.largest, len(group))
        for item in group:
            if item.outcome == FALLBACK:
                self.stats.fallbacks += 1
            elif item.envelope is not None and item.outcome is not None:
                EVENTS_CONSUMED.labels(self.service, item.envelope.event_type, item.outcome).inc()
        if self.on_applied is not None and any(item.outcome == "applied" for item in group):
            self.on_applied()

    def _transaction(self, todo: list[GroupItem], *, savepoints: bool) -> GroupItem | None:
        """Apply `todo` in one transaction; returns the message that failed without a savepoint, if any."""
        model = self.processed_model
        session = self.session_factory()
        applied: list[GroupItem] = []
        try:
            with session.begin():
                ids = [item.envelope.event_id for item in todo if item.envelope is not None]
                query = select(model.event_id).where(model.consumer == self.consumer, model.event_id.in_(ids))
                done = set(session.scalars(query))
                fresh = []
                for item in todo:
                    assert item.envelope is not None
                    if item.envelope.event_id in done:
                        item.outcome = "duplicate"
                    else:
                        fresh.append(item)
                if fresh and self.prepare is not None:
                    self.prepare(session, [item.envelope for item in fresh if item.envelope is not None])
                for item in fresh:
                    if savepoints:
                        if self._apply_one(session, item):
                            applied.append(item)
                        continue
                    try:
                        assert item.envelope is not None
                        self.handler(session, item.envelope)
                    except Exception as exc:
                        self._log_fallback(item, exc)
                        raise _Failed(item) from exc
                    applied.append(item)
                if applied and self.complete is not None:
                    self.complete(session)  # the group's deferred writes; a failure here fails the group
                for item in applied:
                    assert item.envelope is not None
                    session.add(model(consumer=self.consumer, event_id=item.envelope.event_id, outcome="applied"))
        except _Failed as failed:
            return failed.item
        except Exception:
            log.warning("group_commit_failed", consumer=self.consumer, size=len(todo), error=traceback.format_exc(3))
            for item in todo:
                if item.outcome != "duplicate":
                    item.outcome = FALLBACK
            return None
        finally:
            session.close()
        for item in applied:
            item.outcome = "applied"
        return None

    def _apply_one(self, session: Session, item: GroupItem) -> bool:
        """The handler in a savepoint; on failure the message leaves the group (FALLBACK)."""
        assert item.envelope is not None
        try:
            with session.begin_nested():
                self.handler(session, item.envelope)
        except Exception as exc:
            self._log_fallback(item, exc)
            item.outcome = FALLBACK
            if self.forget is not None:
                self.forget(session)
            return False
        return True

    def _log_fallback(self, item: GroupItem, exc: Exception) -> None:
        assert item.envelope is not None
        log.info(
            "group_member_falls_back",
            consumer=self.consumer,
            event_id=item.envelope.event_id,
            error=f"{type(exc).__name__}: {str(exc)[:300]}",
        )
