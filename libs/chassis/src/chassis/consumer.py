"""Idempotent event consumption with a dead-letter queue for poison messages.

The processed `event_id` is recorded in the same transaction as the handler's work, so an event
redelivered after a crash is skipped, and a half-applied event is never committed.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from kombu import Exchange, Queue
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from chassis.amqp import ConfirmedPublisher
from chassis.db import unit_of_work
from chassis.logging import get_logger
from chassis.metrics import DEAD_LETTERS, EVENTS_CONSUMED
from chassis.outbox import ProcessedEventMixin
from contracts.envelope import Envelope
from contracts.errors import DomainError

log = get_logger(__name__)

DEAD_LETTER_EXCHANGE = Exchange("helpdesk.dead-letter", type="fanout", durable=True)
DEAD_LETTER_QUEUE = Queue("helpdesk.dead-letter", exchange=DEAD_LETTER_EXCHANGE, durable=True)

Handler = Callable[[Session, Envelope], None]

# a handler that keeps hitting a unique constraint after this many fresh tries is a bug, not a race
CONSTRAINT_ATTEMPTS = 3


class TransientError(Exception):
    """Raise from a handler to have the event redelivered later (a dependency is down)."""


class DeadLetters:
    """Publishes poison messages, with the reason, to the durable `helpdesk.dead-letter` queue."""

    def __init__(self, amqp_uri: str, service: str) -> None:
        self.service = service
        self.publisher = ConfirmedPublisher(amqp_uri, declare=[DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE])

    def send(self, body: Any, *, consumer: str, event_type: str, reason: str) -> None:
        DEAD_LETTERS.labels(self.service, event_type).inc()
        log.error("dead_lettered", consumer=consumer, event_type=event_type, reason=reason)
        self.publisher.publish(
            body,
            exchange=DEAD_LETTER_EXCHANGE,
            routing_key=event_type,
            headers={
                "x-dead-letter-reason": reason[:2000],
                "x-service": self.service,
                "x-consumer": consumer,
                "x-event-type": event_type,
            },
        )


def consume(
    body: Any,
    *,
    service: str,
    consumer: str,
    session_factory: sessionmaker[Session],
    processed_model: type[ProcessedEventMixin],
    handler: Handler,
    dead_letters: DeadLetters,
    retry_delay: float = 1.0,
) -> str:
    """Apply `handler` to the event in `body` exactly once; returns the outcome.

    Outcomes: applied, duplicate, dead_lettered. Transient failures (database or broker down)
    raise after a pause, so the message is requeued (use `requeue_on_error=True`).
    """
    try:
        envelope = Envelope.model_validate(body)
    except ValidationError as exc:
        dead_letters.send(body, consumer=consumer, event_type="unknown", reason=f"invalid envelope: {exc}")
        EVENTS_CONSUMED.labels(service, "unknown", "dead_lettered").inc()
        return "dead_lettered"

    outcome = "applied"
    try:
        for attempt in range(1, CONSTRAINT_ATTEMPTS + 1):
            try:
                outcome = _apply_once(session_factory, processed_model, consumer, envelope, handler)
                break
            except IntegrityError:
                # a concurrent worker applied the same event first, or the handler lost a race on a
                # unique constraint (two mails creating one contact): look again, then try again
                with session_factory() as session:
                    if session.get(processed_model, (consumer, envelope.event_id)) is not None:
                        outcome = "duplicate"
                        break
                if attempt == CONSTRAINT_ATTEMPTS:
                    raise
                log.info("event_constraint_retry", consumer=consumer, event_id=envelope.event_id, attempt=attempt)
    except IntegrityError:
        # still violating a constraint after fresh tries: a bug, not a race (IntegrityError is a
        # DBAPIError, so this clause must come before the transient one or it would loop forever)
        outcome = _dead_letter(
            body, envelope, consumer, traceback.format_exc(limit=3), session_factory, processed_model, dead_letters
        )
    except (ValidationError, DomainError) as exc:
        outcome = _dead_letter(
            body, envelope, consumer, f"{type(exc).__name__}: {exc}", session_factory, processed_model, dead_letters
        )
    except (TransientError, OperationalError, DBAPIError, ConnectionError, OSError) as exc:
        log.warning("event_retry_later", consumer=consumer, event_id=envelope.event_id, error=str(exc)[:300])
        EVENTS_CONSUMED.labels(service, envelope.event_type, "retried").inc()
        time.sleep(retry_delay)
        raise
    except Exception:
        # a bug: park the event with its traceback instead of blocking the queue behind it
        outcome = _dead_letter(
            body, envelope, consumer, traceback.format_exc(limit=5), session_factory, processed_model, dead_letters
        )
    EVENTS_CONSUMED.labels(service, envelope.event_type, outcome).inc()
    return outcome


def _apply_once(
    session_factory: sessionmaker[Session],
    processed_model: type[ProcessedEventMixin],
    consumer: str,
    envelope: Envelope,
    handler: Handler,
) -> str:
    """One transaction: the handler's work and the processed marker, or nothing."""
    with unit_of_work(session_factory) as session:
        if session.get(processed_model, (consumer, envelope.event_id)) is not None:
            return "duplicate"
        handler(session, envelope)
        session.add(processed_model(consumer=consumer, event_id=envelope.event_id, outcome="applied"))
    return "applied"


def _dead_letter(
    body: Any,
    envelope: Envelope,
    consumer: str,
    reason: str,
    session_factory: sessionmaker[Session],
    processed_model: type[ProcessedEventMixin],
    dead_letters: DeadLetters,
) -> str:
    dead_letters.send(body, consumer=consumer, event_type=envelope.event_type, reason=reason)
    with unit_of_work(session_factory) as session:
        if session.get(processed_model, (consumer, envelope.event_id)) is None:
            session.add(processed_model(consumer=consumer, event_id=envelope.event_id, outcome="dead_lettered"))
    return "dead_lettered"
