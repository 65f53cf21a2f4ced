"""What a nameko service needs at run time, as one DependencyProvider, plus the process runner.

Import this module only in nameko worker processes (they run under eventlet); FastAPI processes
use `chassis.web` and `chassis.rpc_client` instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chassis.consumer import DeadLetters, consume
from chassis.db import make_read_sessionmaker, make_sessionmaker, make_worker_engine, ping, unit_of_work
from chassis.heap import freeze_startup_heap
from chassis.logging import configure_logging, get_logger
from chassis.metrics import start_ops_server
from chassis.outbox import OutboxMessageMixin, OutboxRelay, ProcessedEventMixin, add_event
from chassis.settings import ServiceSettings
from contracts.envelope import Envelope, EventPayload

if TYPE_CHECKING:
    from chassis.blobstore import BlobStore

log = get_logger(__name__)
S = TypeVar("S", bound=ServiceSettings)


@dataclass
class Runtime:
    """Handed to every worker: settings, transactions, the outbox and the dead-letter queue."""

    settings: ServiceSettings
    engine: Engine
    session_factory: sessionmaker[Session]
    outbox_model: type[OutboxMessageMixin]
    processed_model: type[ProcessedEventMixin]
    relay: OutboxRelay
    dead_letters: DeadLetters
    extras: dict[str, Any] = field(default_factory=dict)
    # decision 0135: sessions for reads without a transaction (autocommit on PostgreSQL)
    read_session_factory: sessionmaker[Session] | None = None

    def read_session(self) -> Session:
        """A session for a read-only entry point: no BEGIN/ROLLBACK round trips (see make_read_sessionmaker)."""
        return (self.read_session_factory or self.session_factory)()

    def transaction(self) -> Any:
        """A unit of work; events added with `emit` inside it are relayed right after commit."""
        return _RelayingUnitOfWork(self)

    def emit(self, session: Session, payload: EventPayload, correlation_id: str | None = None) -> Envelope:
        return add_event(
            session, self.outbox_model, payload, source=self.settings.service_name, correlation_id=correlation_id
        )


class _RelayingUnitOfWork:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._cm = unit_of_work(runtime.session_factory)

    def __enter__(self) -> Session:
        return self._cm.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        result = self._cm.__exit__(*exc)
        if exc[0] is None:
            self.runtime.relay.wake()
        return result


def consuming(container: Any) -> str:
    """'ok' once every nameko `QueueConsumer` of `container` consumes its queues: the `/healthz` check
    "consuming" of a worker (decision 0169); "starting" before, "failed" when its consumer thread died first.

    nameko starts the container's extensions in parallel; a QueueConsumer declares its queues (RPC, events,
    RPC replies) and starts consuming them later, in its own greenthread, then sends its private
    `_consumers_ready` event (kombu's `on_consume_ready`, after every `basic_consume`). A message published
    to a fresh vhost before that has no queue to go to. Pinned by tests/unit/test_consuming_health.py.
    """
    for extension in container.subextensions:
        if isinstance(extension, QueueConsumer):
            ready = extension._consumers_ready
            if not ready.ready():
                return "starting"
            if ready.has_exception():
                return "failed"
    return "ok"


class ServiceRuntime(DependencyProvider):
    """Builds the Runtime once per container; starts the outbox relay and the ops HTTP server.

    `blob_stores(settings)` names the blob stores the service writes to: each is swept of the temporary files
    of writers that died (`BlobStore.sweep_temporary`, decision 0168) once, at set-up.

    The ops server answers from the start; its `/healthz` fails ("consuming": "starting") until nameko
    consumes every queue of the container (`consuming`, decision 0169), so it is a readiness signal.
    """

    def __init__(
        self,
        settings_factory: Callable[[], ServiceSettings],
        outbox_model: type[OutboxMessageMixin],
        processed_model: type[ProcessedEventMixin],
        health_checks: dict[str, Callable[[Runtime], str]] | None = None,
        engine_factory: Callable[[str], Engine] | None = None,
        blob_stores: Callable[[Any], list[BlobStore]] | None = None,
    ) -> None:
        self.settings_factory = settings_factory
        self.outbox_model = outbox_model
        self.processed_model = processed_model
        self.health_checks = health_checks or {}
        # eventlet workers must not block the hub on SQLite's file lock: see make_worker_engine
        self.engine_factory = engine_factory or make_worker_engine
        self._pool_per_worker = engine_factory is None  # sized from nameko's max_workers (decision 0152)
        self.blob_stores = blob_stores
        self.runtime: Runtime | None = None

    def setup(self) -> None:
        settings = self.settings_factory()
        for store in self.blob_stores(settings) if self.blob_stores else []:
            store.sweep_temporary()
        amqp_uri = self.container.config.get("AMQP_URI", settings.amqp_uri)
        if self._pool_per_worker:
            # the pool holds what nameko's greenthreads use at once (decision 0152)
            workers = self.container.config.get("max_workers", getattr(settings, "max_workers", None))
            engine = make_worker_engine(settings.db_url, workers=int(workers) if workers else None)
        else:
            engine = self.engine_factory(settings.db_url)
        factory = make_sessionmaker(engine)
        self.runtime = Runtime(
            settings=settings,
            engine=engine,
            session_factory=factory,
            outbox_model=self.outbox_model,
            processed_model=self.processed_model,
            relay=OutboxRelay(
                service=settings.service_name, session_factory=factory, model=self.outbox_model, amqp_uri=amqp_uri
            ),
            dead_letters=DeadLetters(amqp_uri, settings.service_name),
            read_session_factory=make_read_sessionmaker(engine),
        )

    def start(self) -> None:
        assert self.runtime is not None
        runtime = self.runtime
        freeze_startup_heap()  # everything is imported and set up by now (decision 0161)
        self.container.spawn_managed_thread(runtime.relay.run, identifier="outbox-relay")
        if runtime.settings.ops_port:

            def health() -> dict[str, Any]:
                checks = {"consuming": consuming(self.container), "database": ping(runtime.engine)}
                for name, check in self.health_checks.items():
                    checks[name] = check(runtime)
                return checks

            self._ops = start_ops_server(runtime.settings.ops_port, health, runtime.settings.bind_host)

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.relay.stop()
        ops = getattr(self, "_ops", None)
        if ops is not None:
            ops.shutdown()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Runtime:
        assert self.runtime is not None
        return self.runtime


def idempotent(fn: Callable[[Any, Session, Envelope], None]) -> Callable[[Any, Any], str]:
    """Make a nameko event handler `(self, session, envelope)` exactly-once; needs `self.runtime`.

    Apply it under `@event_handler(..., requeue_on_error=True)`.
    """

    @functools.wraps(fn)
    def wrapper(self: Any, body: Any) -> str:
        runtime: Runtime = self.runtime
        outcome = consume(
            body,
            service=runtime.settings.service_name,
            consumer=f"{runtime.settings.service_name}.{fn.__name__}",
            session_factory=runtime.session_factory,
            processed_model=runtime.processed_model,
            handler=lambda session, envelope: fn(self, session, envelope),
            dead_letters=runtime.dead_letters,
        )
        if outcome == "applied":
            runtime.relay.wake()
        return outcome

    return wrapper


def idempotent_group(
    *,
    prepare: Callable[[Any, Session, list[Envelope]], None] | None = None,
    forget: Callable[[Any, Session], None] | None = None,
    complete: Callable[[Any, Session], None] | None = None,
    max_group: int = 50,
    linger: float = 0.002,
) -> Callable[[Callable[[Any, Session, Envelope], None]], Callable[[Any, Any], str]]:
    """`idempotent`, with the deliveries that wait together applied in one transaction (decision 0126).

    `prepare(self, session, envelopes)` runs once per group before the handlers (batch the lookups there);
    `forget(self, session)` after a handler failed and its savepoint was rolled back; `complete(self, session)`
    after the handlers, before the commit (writes the handlers left for the whole group). A message that fails
    in its group, or a group whose commit fails, takes the one-by-one path (`consume`: retries, dead letter).
    The group can only be as large as the deliveries nameko holds at once (`max_workers`, its prefetch).
    """

    def decorate(fn: Callable[[Any, Session, Envelope], None]) -> Callable[[Any, Any], str]:
        @functools.wraps(fn)
        def wrapper(self: Any, body: Any) -> str:
            from chassis.group_commit import FALLBACK, GroupCommitter

            runtime: Runtime = self.runtime
            consumer = f"{runtime.settings.service_name}.{fn.__name__}"
            committer = runtime.extras.get(key := f"group:{consumer}")
            # the handlers run with the worker instance of the latest delivery (decision 0152): it is alive until
            # its own group is done, so its per-worker dependencies (an RpcProxy) are never a finished worker's
            latest = runtime.extras.setdefault(f"{key}:worker", [self])
            latest[0] = self
            if committer is None:
                committer = runtime.extras[key] = GroupCommitter(
                    service=runtime.settings.service_name,
                    consumer=consumer,
                    session_factory=runtime.session_factory,
                    processed_model=runtime.processed_model,
                    handler=lambda session, envelope: fn(latest[0], session, envelope),
                    prepare=(lambda session, envelopes: prepare(latest[0], session, envelopes)) if prepare else None,
                    forget=(lambda session: forget(latest[0], session)) if forget else None,
                    complete=(lambda session: complete(latest[0], session)) if complete else None,
                    # one relay wake-up per committed group, not one per message (decision 0152)
                    on_applied=runtime.relay.wake,
                    max_group=max_group,
                    linger=linger,
                )
            outcome = committer.submit(body)
            if outcome == FALLBACK:  # it left its group: the one-by-one path, with this delivery's worker
                outcome = consume(
                    body,
                    service=runtime.settings.service_name,
                    consumer=consumer,
                    session_factory=runtime.session_factory,
                    processed_model=runtime.processed_model,
                    handler=lambda session, envelope: fn(self, session, envelope),
                    dead_letters=runtime.dead_letters,
                )
                if outcome == "applied":
                    runtime.relay.wake()
            return str(outcome)

        return wrapper

    return decorate


def run_service(service_cls: type, settings: ServiceSettings, max_workers: int = 10) -> None:
    """Run one nameko service in this process until SIGTERM/SIGINT."""
    from nameko.cli.run import run

    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    log.info("starting", amqp=_redact(settings.amqp_uri), database=_redact(settings.db_url))
    config = {"AMQP_URI": settings.amqp_uri, "max_workers": max_workers, "serializer": "json"}
    run([service_cls], config)


def _redact(url: str) -> str:
    """Hide the password in a URL for logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
