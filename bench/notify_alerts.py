"""CPU per event of the agents' alert consumer (`alert_on_case_created`), in-process, on real PostgreSQL.

Each `case_created` event lands in a group of `--members` agents (some with a browser subscribed to push,
one with an SMS number and SMS alerts on); the event goes through `chassis.consumer.consume` exactly as
the worker runs it (processed-event row, handler, commit). The group's members come from a stand-in for
cases' `list_agents` with `--agents` agents in the directory, through `CasesDirectory` and its agent cache
(`--cache-ttl 0`: asked on every event, as before decision 0107). No broker and no nameko: the figure is the
handler's own CPU (time.process_time), which is steadier than wall-clock time on a shared machine.

Usage: .venv/bin/python bench/notify_alerts.py [--events 500] [--members 10] [--agents 200] [--cache-ttl 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from sqlalchemy import func, select

from chassis.consumer import consume
from chassis.db import make_engine, make_sessionmaker, unit_of_work
from chassis.migrations import upgrade
from chassis.outbox import add_event
from chassis.settings import repo_root
from chassis.testing import pg_database
from contracts.envelope import Envelope, EventPayload

sys.path.insert(0, str(repo_root() / "services" / "notifications" / "tests"))
from notifications_testkit import make_case, make_message

from contracts.cases import CaseCreated, CaseRead
from notifications.alerts import handlers as agent_alerts
from notifications.db.models import (
    AgentNotification,
    AgentPreference,
    AgentSmsNumber,
    Delivery,
    OutboxMessage,
    ProcessedEvent,
    PushSubscription,
)
from notifications.directory.cache import AgentCache
from notifications.directory.cases import CasesDirectory
from notifications.manage import SERVICE_DIR
from notifications.settings import NotificationsSettings

GROUP = 7


class _Runtime:
    """What the handler needs of the nameko runtime: `emit` into the outbox."""

    def emit(self, session: Any, payload: EventPayload, correlation_id: str | None = None) -> Envelope:
        return add_event(session, OutboxMessage, payload, source="notifications", correlation_id=correlation_id)


class _Cases:
    def __init__(self, agents: list[dict[str, Any]]) -> None:
        self.agents = agents
        self.calls = 0

    def list_agents(self) -> list[dict[str, Any]]:
        self.calls += 1
        return json.loads(json.dumps(self.agents))  # what an RPC answer is: fresh decoded JSON


class _NoDeadLetters:
    def send(self, body: Any, **kwargs: Any) -> None:
        raise AssertionError(f"dead-lettered: {kwargs}")


def run(events: int, members: int, agents: int, cache_ttl: float) -> dict[str, Any]:
    directory_agents = [
        {
            "id": i,
            "email": f"agent{i}@bench.example",
            "name": f"Agent {i}",
            "group_ids": [GROUP] if i <= members else [3],
        }
        for i in range(1, agents + 1)
    ]
    cases = _Cases(directory_agents)
    directory = CasesDirectory(cases, timeout=5, cache=AgentCache(), cache_ttl=cache_ttl)
    settings = NotificationsSettings()
    runtime = _Runtime()
    with pg_database("notifications") as db_url:
        upgrade(SERVICE_DIR, db_url)
        engine = make_engine(db_url)
        factory = make_sessionmaker(engine)
        with unit_of_work(factory) as session:
            for i in range(1, members + 1, 3):  # a third of the group opted in to push
                session.add(
                    PushSubscription(agent_id=i, endpoint=f"http://push.bench/{i}", p256dh="k" * 87, auth="a" * 22)
                )
            session.add(AgentSmsNumber(agent_id=1, phone="+4791234567"))
            session.add(AgentPreference(agent_id=1, kind="new_case_in_group", channel="sms", enabled=True))
            session.add(AgentPreference(agent_id=2, kind="new_case_in_group", channel="email", enabled=True))
        bodies = []
        for _ in range(events + 20):
            case = make_case()
            case = CaseRead.model_validate({**case.model_dump(), "group": {"id": GROUP, "name": "Support"}})
            envelope = Envelope.wrap(CaseCreated(case=case, first_message=make_message(case=case)), source="cases")
            bodies.append(envelope.model_dump(mode="json"))

        def handle(session: Any, envelope: Envelope) -> None:
            agent_alerts.case_created(
                session=session,
                runtime=runtime,
                settings=settings,
                envelope=envelope,
                group_members=directory.group_members,
            )

        def one(body: dict[str, Any]) -> None:
            outcome = consume(
                body,
                service="notifications",
                consumer="notifications.alert_on_case_created",
                session_factory=factory,
                processed_model=ProcessedEvent,
                handler=handle,
                dead_letters=_NoDeadLetters(),
            )
            assert outcome == "applied", outcome

        for body in bodies[:20]:  # warm-up: compiled statement caches, connections
            one(body)
        cases.calls = 0
        cpu, wall = time.process_time(), time.perf_counter()
        for body in bodies[20:]:
            one(body)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        for body in bodies[20:40]:  # redelivered: nothing more
            consume(
                body,
                service="notifications",
                consumer="notifications.alert_on_case_created",
                session_factory=factory,
                processed_model=ProcessedEvent,
                handler=handle,
                dead_letters=_NoDeadLetters(),
            )
        with factory() as session:
            stored = session.scalar(select(func.count()).select_from(AgentNotification))
            queued = dict(session.execute(select(Delivery.channel, func.count()).group_by(Delivery.channel)).all())
            outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
        engine.dispose()
    total = events + 20
    assert stored == total * members, (stored, total * members)  # every member once per event, in-app
    assert outbox == stored
    return {
        "events": events,
        "members_per_group": members,
        "agents_in_directory": agents,
        "cache_ttl_s": cache_ttl,
        "cpu_ms_per_event": round(cpu * 1000 / events, 2),
        "wall_ms_per_event": round(wall * 1000 / events, 2),
        "list_agents_calls": cases.calls,
        "stored_in_app": stored,
        "queued_by_channel": queued,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--cache-ttl", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps({"notify_alerts": run(args.events, args.members, args.agents, args.cache_ttl)}, indent=2))


if __name__ == "__main__":
    main()
