"""Sending: the sender loop hands due deliveries to their channel (SMTP relay, Twilio, Web Push).

Several senders run at once, each claiming a chunk of due deliveries per transaction. `attempt` hands one
delivery to its channel and records the outcome through `deliveries.bookkeeping`.

One delivery per transaction and one sender at a time kept the first sender latency-bound: four database
round trips and a commit (with its WAL flush) plus the SMTP dialogue per message, none of them
overlapping, about 20 ms a mail, so at 100 events/s the queue grew without end. Now `send_concurrency`
greenthreads each claim up to `send_chunk_size` due rows (`FOR UPDATE SKIP LOCKED`: never the same row
twice), hand them over one persistent SMTP connection of their own, and commit the outcomes and the
`notification_sent` events together. Decision 0098.

Sending stays at-least-once: a crash after the relay accepted some mails of a chunk but before the
commit resends those (at most one chunk per sender), with the same Message-IDs (decision 0030).
"""

from __future__ import annotations

from collections.abc import Callable

import eventlet
from sqlalchemy.orm import Session

from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from notifications.db.models import Delivery
from notifications.deliveries import bookkeeping
from notifications.deliveries.rules import SendFailure, classify
from notifications.mail.mailer import Mailer
from notifications.push import webpush
from notifications.settings import NotificationsSettings
from notifications.sms.twilio_client import SmsSender, UnconfiguredSms

log = get_logger(__name__)


def send_due(
    *,
    runtime: Runtime,
    settings: NotificationsSettings,
    mailer: Mailer,
    mailer_factory: Callable[[], Mailer],
    sms: SmsSender | None = None,
) -> int:
    """Send up to `send_batch_size` due deliveries with `send_concurrency` senders; returns how many were tried.

    `mailer` serves the first sender (the worker's own connection); the others get theirs from
    `mailer_factory` and close them when done.
    """
    budget = _Budget(settings.send_batch_size)
    senders = max(1, settings.send_concurrency)
    if runtime.engine.dialect.name == "sqlite":
        senders = 1  # one pooled connection, and no SKIP LOCKED: more senders would only queue for it
    pool = eventlet.GreenPool(senders)
    results = [pool.spawn(_sender, runtime, settings, mailer, sms, budget, False)]
    results += [pool.spawn(_sender, runtime, settings, mailer_factory(), sms, budget, True) for _ in range(senders - 1)]
    return sum(gt.wait() for gt in results)


class _Budget:
    """How many deliveries this round may still claim, shared by its senders (greenthreads: no lock needed)."""

    def __init__(self, total: int) -> None:
        self.left = max(1, total)

    def take(self, wanted: int) -> int:
        n = min(wanted, self.left)
        self.left -= n
        return n


def _sender(
    runtime: Runtime,
    settings: NotificationsSettings,
    mailer: Mailer,
    sms: SmsSender | None,
    budget: _Budget,
    own_mailer: bool,
) -> int:
    attempted = 0
    try:
        while (limit := budget.take(settings.send_chunk_size)) > 0:
            tried, relay_down = _send_chunk(runtime, settings, mailer, sms or UnconfiguredSms(), limit)
            attempted += tried
            if tried < limit or relay_down:
                # nothing more is due (or the relay is unreachable and the rest would fail the same way)
                budget.left = 0
                break
    finally:
        if own_mailer:
            mailer.close()
    return attempted


def _send_chunk(
    runtime: Runtime, settings: NotificationsSettings, mailer: Mailer, sms: SmsSender, limit: int
) -> tuple[int, bool]:
    """One transaction: claim up to `limit` due rows, try each, record every outcome at once."""
    tried = 0
    with runtime.transaction() as session:
        for delivery in bookkeeping.claim_due(session=session, limit=limit):
            failure = attempt(
                session=session, runtime=runtime, settings=settings, mailer=mailer, sms=sms, delivery=delivery
            )
            tried += 1
            if failure is not None and failure.relay_down:
                # the rest of the chunk stays queued, untouched, for the next round
                return tried, True
    return tried, False


def attempt(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    mailer: Mailer,
    sms: SmsSender,
    delivery: Delivery,
) -> SendFailure | None:
    """Hand one delivery to its channel and record the outcome; the failure (classified), or None when it went."""
    bookkeeping.record_attempt(delivery)
    try:
        if delivery.channel == "sms":
            sms.send(to=delivery.recipient, body=(delivery.raw_message or b"").decode())
        elif delivery.channel == webpush.CHANNEL:
            webpush.send(session=session, settings=settings, delivery=delivery)
        else:
            mailer.send(
                delivery_id=delivery.id,
                sender=settings.from_address,
                recipient=delivery.recipient,
                message_id=delivery.email_message_id or "",
                raw=delivery.raw_message or b"",
            )
    except Exception as exc:
        failure = classify(exc)
        bookkeeping.record_failure(delivery=delivery, failure=failure, settings=settings)
        return failure
    bookkeeping.record_sent(session=session, runtime=runtime, delivery=delivery)
    return None
