"""`idempotent_group` wakes the outbox relay once per group, runs handlers with a live worker, and sizes pools
(decision 0152). Real PostgreSQL; greenthreads submit deliveries as nameko's would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import eventlet
import pytest
from conftest import Base, OutboxMessage, ProcessedEvent, Thing, ThingMade
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chassis.db import WORKER_POOL_CAP, WORKER_POOL_EXTRA, make_worker_engine
from chassis.nameko_runtime import Runtime, idempotent_group
from chassis.settings import ServiceSettings
from chassis.testing import pg_database, worker_runtime
from contracts.envelope import Envelope


class Service:
    """Stands in for a nameko worker instance: one per delivery, sharing the container's Runtime."""

    def __init__(self, runtime: Any, number: int) -> None:
        self.runtime = runtime
        self.number = number

    @idempotent_group(linger=0.2)
    def on_thing(self, session: Session, envelope: Envelope) -> None:
        name = envelope.open(ThingMade).name
        if name == "poison":
            tries = self.runtime.extras["poison_tries"] = self.runtime.extras.get("poison_tries", 0) + 1
            if tries == 1:
                raise ValueError("poison")  # in its group only: the one-by-one path applies it
        session.add(Thing(name=name, worker=self.number))


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    with pg_database("chassis") as url:
        settings = ServiceSettings(service_name="things", database_url=url)
        with worker_runtime(settings, OutboxMessage, ProcessedEvent, workers=60) as runtime:
            Base.metadata.create_all(runtime.engine)
            yield runtime


def _body(name: str) -> dict[str, Any]:
    return Envelope.wrap(ThingMade(name=name), source="test").model_dump(mode="json")


def _submit_all(runtime: Runtime, bodies: list[dict[str, Any]]) -> list[str]:
    pool = eventlet.GreenPool()
    threads = [pool.spawn(Service(runtime, n).on_thing, body) for n, body in enumerate(bodies)]
    return [thread.wait() for thread in threads]


def test_one_relay_wake_per_group_and_handlers_run_with_a_waiting_worker(runtime: Runtime) -> None:
    outcomes = _submit_all(runtime, [_body(f"thing {n}") for n in range(8)])
    assert outcomes == ["applied"] * 8
    committer = runtime.extras["group:things.on_thing"]
    assert committer.stats.groups == 1 and committer.stats.largest == 8
    assert runtime.relay.wakes == 1  # type: ignore[attr-defined]
    assert runtime.dead_letters.sent == []  # type: ignore[attr-defined]
    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Thing)) == 8
        # the handlers ran with the latest delivery's worker, alive until its own group was done
        assert set(session.scalars(select(Thing.worker))) == {7}


def test_poison_falls_back_one_by_one_with_its_own_worker(runtime: Runtime) -> None:
    bodies = [_body("a"), _body("poison"), _body("b")]
    outcomes = _submit_all(runtime, bodies)
    assert outcomes == ["applied", "applied", "applied"]
    with runtime.session_factory() as session:
        rows = {name: worker for name, worker in session.execute(select(Thing.name, Thing.worker))}
    assert rows["a"] == rows["b"] == 2 and rows["poison"] == 1  # the fallback used its own delivery's worker
    # one wake for the group, one for the message applied on its own
    assert runtime.relay.wakes == 2  # type: ignore[attr-defined]
    assert runtime.dead_letters.sent == []  # type: ignore[attr-defined]


def test_worker_pool_holds_the_greenthreads_connections() -> None:
    with pg_database("chassis") as url:
        engine = make_worker_engine(url, workers=60)
        assert engine.pool.size() == WORKER_POOL_CAP + WORKER_POOL_EXTRA  # type: ignore[attr-defined]
        engine.dispose()
        small = make_worker_engine(url, workers=10)
        assert small.pool.size() == 10 + WORKER_POOL_EXTRA  # type: ignore[attr-defined]
        small.dispose()
        explicit = make_worker_engine(url, workers=10, pool_size=4)
        assert explicit.pool.size() == 4  # type: ignore[attr-defined]
        explicit.dispose()
