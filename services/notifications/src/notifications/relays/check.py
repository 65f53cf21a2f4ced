"""A mailbox's "send test mail" (decision 0229): one message through the very route its real mail takes.

The route is `RelayMailers.route` and the send `SmtpMailer.send`, as for every delivery; what differs is
that the answer goes back to the admin at once, naming the step that failed (connect, tls, auth, sender
refused, recipient refused, data refused), instead of into the delivery log.
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import make_msgid

import eventlet

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.notifications import MailboxTestMail, MailboxTestResult
from notifications.deliveries.rules import classify
from notifications.mail import compose
from notifications.mail.mailer import Mailer, step_of
from notifications.relays import replica
from notifications.relays.mailers import RelayMailers
from notifications.relays.tokens import AccessTokens
from notifications.settings import NotificationsSettings

log = get_logger(__name__)
# how long a test waits for mail-gateway's latest change of the mailbox to reach notifications' copy
COPY_WAIT_SECONDS = 5.0


def send_test_mail(
    *,
    runtime: Runtime,
    settings: NotificationsSettings,
    data: MailboxTestMail,
    global_mailer: Callable[[], Mailer],
    tokens: AccessTokens | None,
) -> MailboxTestResult:
    address = _address_when_current(runtime, data)
    if address is None:
        return MailboxTestResult(
            ok=False,
            step="config",
            reason="notifications has not received this mailbox's latest settings yet "
            "(is mail-gateway running?); try again in a moment",
        )
    mailers = RelayMailers(settings=settings, global_mailer=global_mailer(), tokens=tokens)
    try:
        with runtime.session_factory() as session:
            mailers.refresh(session)
        route = mailers.route(address)
        mail = compose.mailbox_test(
            to=compose.Mailbox(str(data.to)),
            sender=compose.Mailbox(address, settings.from_name),
            message_id=make_msgid(idstring="test", domain=settings.mail_domain).strip("<>"),
            date=utcnow(),
            relay=route.label,
        )
        relay = route.relay.label if route.relay else settings.smtp_relay
        try:
            route.mailer.send(
                delivery_id=0,
                sender=route.envelope_sender,
                recipient=str(data.to),
                message_id=mail.message_id,
                raw=mail.raw,
            )
        except Exception as exc:
            step = step_of(exc) or "send"
            reason = classify(exc).reason
            log.info("mailbox_test_failed", mailbox_id=data.mailbox_id, relay=relay, step=step, reason=reason)
            return MailboxTestResult(
                ok=False, step=step, reason=reason, relay=relay, own_server=route.relay is not None
            )
        log.info("mailbox_test_sent", mailbox_id=data.mailbox_id, relay=relay)
        return MailboxTestResult(ok=True, step="done", relay=relay, own_server=route.relay is not None)
    finally:
        mailers.close()
        mailers.global_mailer.close()


def _address_when_current(runtime: Runtime, data: MailboxTestMail) -> str | None:
    """The mailbox's address once the copy holds `data.version` (its own address for a never-saved one)."""
    waited = 0.0
    while True:
        with runtime.session_factory() as session:
            row = replica.copy_of(session, data.mailbox_id)
            if row is not None and row.version >= data.version:
                return row.address
        if row is None and data.version == 0 and data.address:
            return data.address.strip().lower()  # saved before sending settings existed: the global relay
        if waited >= COPY_WAIT_SECONDS:
            return None
        eventlet.sleep(0.2)
        waited += 0.2
