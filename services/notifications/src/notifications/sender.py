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

Each mail leaves through its sender mailbox's own SMTP server when it has one, else the global relay
(`relays.mailers`, decision 0227); each sender keeps one connection per relay for its round. A relay that
cannot be reached or logged in to is down for the rest of the round: its other due mails wait for the
failed one's next try, unattempted (their attempts are not spent), while other relays' mail goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import eventlet
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from notifications.db.models import Delivery
from notifications.deliveries import bookkeeping
from notifications.deliveries.rules import SendFailure, classify
from notifications.mail.mailer import CONNECTION_STEPS, Mailer, step_of
from notifications.push import webpush
from notifications.relays.mailers import RelayMailers
from notifications.relays.tokens import AccessTokens
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
    tokens: AccessTokens | None = None,
) -> int:
    """Send up to `send_batch_size` due deliveries with `send_concurrency` senders; returns how many were tried.

    `mailer` (the global relay's) serves the first sender (the worker's own connection); the others get
    theirs from `mailer_factory` and close them when done. Mailboxes' own servers: `relays.mailers`.
    """
    budget = _Budget(settings.send_batch_size)
    senders = max(1, settings.send_concurrency)
    if runtime.engine.dialect.name == "sqlite":
        senders = 1  # one pooled connection, and no SKIP LOCKED: more senders would only queue for it
    pool = eventlet.GreenPool(senders)
    mailers = [(mailer, False)] + [(mailer_factory(), True) for _ in range(senders - 1)]
    results = [
        pool.spawn(
            _sender,
            runtime,
            settings,
            RelayMailers(settings=settings, global_mailer=m, tokens=tokens),
            sms,
            budget,
            own,
        )
        for m, own in mailers
    ]
    return sum(gt.wait() for gt in results)


class _Budget:
    """How many deliveries this round may still claim, shared by its senders (greenthreads: no lock needed);
    and the relays found down this round, with when their mail is tried again."""

    def __init__(self, total: int) -> None:
        self.left = max(1, total)
        self.down: dict[object, tuple[datetime, str]] = {}

    def take(self, wanted: int) -> int:
        n = min(wanted, self.left)
        self.left -= n
        return n


def _sender(
    runtime: Runtime,
    settings: NotificationsSettings,
    mailers: RelayMailers,
    sms: SmsSender | None,
    budget: _Budget,
    own_mailer: bool,
) -> int:
    attempted = 0
    try:
        while (limit := budget.take(settings.send_chunk_size)) > 0:
            claimed, tried = _send_chunk(runtime, settings, mailers, sms or UnconfiguredSms(), limit, budget)
            attempted += tried
            if claimed < limit:
                budget.left = 0  # nothing more is due
                break
    finally:
        mailers.close()
        if own_mailer:
            mailers.global_mailer.close()
    return attempted


def _send_chunk(
    runtime: Runtime,
    settings: NotificationsSettings,
    mailers: RelayMailers,
    sms: SmsSender,
    limit: int,
    budget: _Budget,
) -> tuple[int, int]:
    """One transaction: claim up to `limit` due rows, try each, record every outcome at once; (claimed, tried)."""
    claimed = tried = 0
    with runtime.transaction() as session:
        mailers.refresh(session)
        for delivery in bookkeeping.claim_due(session=session, limit=limit):
            claimed += 1
            route = mailers.route(delivery.sender_address) if delivery.channel == "email" else None
            if route is not None and route.key in budget.down:
                _wait_for_relay(delivery, *budget.down[route.key])
                continue
            failure = attempt(
                session=session,
                runtime=runtime,
                settings=settings,
                mailer=route.mailer if route else mailers.global_mailer,
                sms=sms,
                delivery=delivery,
                envelope_sender=route.envelope_sender if route else None,
            )
            tried += 1
            if route is not None and failure is not None and failure.relay_down:
                budget.down[route.key] = (_retry_at(delivery, settings), f"{route.label}: {failure.reason}")
    return claimed, tried


def _retry_at(delivery: Delivery, settings: NotificationsSettings) -> datetime:
    return delivery.next_attempt_at or utcnow() + timedelta(seconds=settings.retry_base_delay)


def _wait_for_relay(delivery: Delivery, until: datetime, reason: str) -> None:
    """A mail for a relay found down this round waits for the failed one's next try; no attempt is spent."""
    delivery.next_attempt_at = max(until, delivery.next_attempt_at or until)
    delivery.last_error = f"waiting: {reason}"[:2000]


def attempt(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    mailer: Mailer,
    sms: SmsSender,
    delivery: Delivery,
    envelope_sender: str | None = None,
) -> SendFailure | None:
    """Hand one delivery to its channel and record the outcome; the failure (classified), or None when it went.

    `envelope_sender`: the SMTP MAIL FROM (a mailbox's own server: the mailbox; else NOTIFICATIONS_FROM_ADDRESS).
    """
    bookkeeping.record_attempt(delivery)
    try:
        if delivery.channel == "sms":
            sms.send(to=delivery.recipient, body=(delivery.raw_message or b"").decode())
        elif delivery.channel == webpush.CHANNEL:
            webpush.send(session=session, settings=settings, delivery=delivery)
        else:
            mailer.send(
                delivery_id=delivery.id,
                sender=envelope_sender or settings.from_address,
                recipient=delivery.recipient,
                message_id=delivery.email_message_id or "",
                raw=delivery.raw_message or b"",
            )
    except Exception as exc:
        failure = classify(exc)
        if step_of(exc) in CONNECTION_STEPS and not failure.relay_down:
            # the connection, its TLS or its login failed: the relay's other mail would fail the same way
            failure = SendFailure(temporary=failure.temporary, reason=failure.reason, relay_down=True)
        bookkeeping.record_failure(delivery=delivery, failure=failure, settings=settings)
        return failure
    bookkeeping.record_sent(session=session, runtime=runtime, delivery=delivery)
    return None
