"""The notifications nameko service: entrypoints only; the work happens in the use cases of each package."""

from __future__ import annotations

from typing import Any, cast

from nameko.events import event_handler
from nameko.rpc import RpcProxy
from nameko.timer import timer
from sqlalchemy.orm import Session

from chassis.nameko_runtime import Runtime, ServiceRuntime, idempotent, idempotent_group, run_service
from chassis.timed_rpc import TimedRpc
from chassis.typed_rpc import typed_rpc
from contracts.case_work import AttachmentContent, ResolvedSignature
from contracts.cases import AgentRef
from contracts.envelope import Envelope
from contracts.mail_gateway import MailboxAccessToken
from contracts.notifications import (
    AgentNotificationPage,
    CustomerMailSettingsRead,
    DeliveryRead,
    MailboxTestMail,
    MailboxTestResult,
    PushSubscriptionCreate,
    PushSubscriptionRead,
    SuppressionRead,
)
from notifications import sender
from notifications.alerts import fan_out, inbox, mailboxes, preferences
from notifications.alerts import handlers as alerts
from notifications.db.models import OutboxMessage, ProcessedEvent
from notifications.deliveries import bookkeeping
from notifications.directory.cache import AGENTS
from notifications.directory.cases import CasesDirectory
from notifications.mail import agent_access, bounces, confirm_group, confirmations, magic_links, notices, replies
from notifications.mail.mailer import Mailer, MailerProvider, mailer_from_settings
from notifications.mail_settings import levels as mail_settings
from notifications.push import webpush
from notifications.ratelimit import Counter, CounterProvider
from notifications.relays import check as mailbox_check
from notifications.relays import replica as relay_replica
from notifications.relays.tokens import HELD, AccessTokens
from notifications.safety import suppressions
from notifications.safety.count_once import CountOnce
from notifications.settings import NotificationsSettings
from notifications.sms import numbers as sms_numbers
from notifications.sms.twilio_client import SmsProvider, SmsSender

# how often the sender looks for due deliveries; a queued mail leaves within this much time
SEND_INTERVAL = 0.2


def _prepare_confirmations(service: NotificationsService, session: Session, envelopes: list[Envelope]) -> None:
    confirmations.prepare_confirmations(
        session=session, settings=service.settings, envelopes=envelopes, once=service._count_once()
    )


def _write_confirmations(service: NotificationsService, session: Session) -> None:
    confirm_group.write(session)


def _begin_alerts(service: NotificationsService, session: Session, envelopes: list[Envelope]) -> None:
    fan_out.begin_group(session=session)


def _write_alerts(service: NotificationsService, session: Session) -> None:
    fan_out.write_group(session=session, runtime=service.runtime)


class NotificationsService:
    name = "notifications"

    runtime: Runtime = ServiceRuntime(NotificationsSettings, OutboxMessage, ProcessedEvent)
    mailer: Mailer = MailerProvider()
    counter: Counter = CounterProvider()
    sms: SmsSender = SmsProvider()
    cases_rpc = RpcProxy("cases")
    mail_gateway_rpc = RpcProxy("mail_gateway")

    @property
    def settings(self) -> NotificationsSettings:
        return cast(NotificationsSettings, self.runtime.settings)

    @typed_rpc
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    @typed_rpc
    def list_deliveries(
        self, case_id: int | None = None, recipient: str | None = None, limit: int = 50
    ) -> list[DeliveryRead]:
        with self.runtime.session_factory() as session:
            return bookkeeping.list_deliveries(session=session, case_id=case_id, recipient=recipient, limit=limit)

    # the deliveries waiting together share one transaction (decision 0152, as reports and mail-gateway: 0126);
    # the rate-limit counter is outside it, so a replayed mail is counted once (safety.count_once)
    # decision 0158: the group's lookups and rate-limit counts at once (prepare), its thread references in one
    # INSERT (complete)
    @event_handler("cases", "case_created", requeue_on_error=True)
    @idempotent_group(prepare=_prepare_confirmations, complete=_write_confirmations)
    def on_case_created(self, session: Session, envelope: Envelope) -> None:
        once = self._count_once()
        confirmations.confirm_new_case(
            session=session,
            settings=self.settings,
            envelope=envelope,
            counter=once.for_event(envelope.event_id) if once is not None else None,
        )

    def _count_once(self) -> CountOnce | None:
        if self.counter is None:
            return None
        once = self.runtime.extras.get("notifications:count_once")
        if not isinstance(once, CountOnce) or once.counter is not self.counter:
            once = self.runtime.extras["notifications:count_once"] = CountOnce(self.counter)
        return once

    @event_handler("cases", "message_added", requeue_on_error=True)
    @idempotent
    def on_message_added(self, session: Session, envelope: Envelope) -> None:
        replies.mail_agent_reply(
            session=session,
            settings=self.settings,
            envelope=envelope,
            counter=self.counter,
            signatures=self._signature,
            attachments=self._attachment,
        )

    @event_handler("cases", "case_updated", requeue_on_error=True)
    @idempotent
    def on_case_updated(self, session: Session, envelope: Envelope) -> None:
        notices.notify_status_change(session=session, settings=self.settings, envelope=envelope, counter=self.counter)

    def _attachment(self, case_id: int, attachment_id: int) -> AttachmentContent:
        # a reply's file (decision 0102), bounded like every cases call: on time-out the event is retried
        return self._directory.attachment(case_id, attachment_id)

    def _signature(self, agent_id: int, mailbox: str) -> ResolvedSignature:
        # bounded like every cases call: on time-out the reply's event is retried, never sent unsigned
        return self._directory.signature(agent_id, mailbox)

    @event_handler("portal", "magic_link_requested", requeue_on_error=True)
    @idempotent
    def on_magic_link_requested(self, session: Session, envelope: Envelope) -> None:
        magic_links.mail_magic_link(session=session, settings=self.settings, envelope=envelope, counter=self.counter)

    @event_handler("portal", "contact_password_link_requested", requeue_on_error=True)
    @idempotent
    def on_contact_password_link_requested(self, session: Session, envelope: Envelope) -> None:
        agent_access.mail_contact_password_link(
            session=session, settings=self.settings, envelope=envelope, counter=self.counter
        )

    @event_handler("gateway", "agent_invited", requeue_on_error=True)
    @idempotent
    def on_agent_invited(self, session: Session, envelope: Envelope) -> None:
        agent_access.mail_invitation(session=session, settings=self.settings, envelope=envelope, counter=self.counter)

    @event_handler("gateway", "agent_password_reset_requested", requeue_on_error=True)
    @idempotent
    def on_agent_password_reset_requested(self, session: Session, envelope: Envelope) -> None:
        agent_access.mail_password_reset(
            session=session, settings=self.settings, envelope=envelope, counter=self.counter
        )

    @event_handler("mail_gateway", "mail_bounced", requeue_on_error=True)
    @idempotent
    def on_mail_bounced(self, session: Session, envelope: Envelope) -> None:
        bounces.record_bounce(session=session, envelope=envelope)

    @event_handler("mail_gateway", "mailbox_oauth_failed", requeue_on_error=True)
    @idempotent
    def on_mailbox_oauth_failed(self, session: Session, envelope: Envelope) -> None:
        # every admin, by mail: cases unreachable requeues the event, so the alert waits rather than is lost
        mailboxes.mail_admins(
            session=session,
            settings=self.settings,
            envelope=envelope,
            agents=self._directory.agents(),
            counter=self.counter,
        )

    @typed_rpc
    def list_suppressions(self, address: str | None = None, limit: int = 100) -> list[SuppressionRead]:
        with self.runtime.session_factory() as session:
            return suppressions.list_suppressions(session=session, address=address, limit=limit)

    @typed_rpc
    def clear_suppression(self, address: str) -> SuppressionRead:
        with self.runtime.transaction() as session:
            return suppressions.clear_suppression(session=session, address=address)

    # -- agents' in-app notifications (E2): own consumers, so mail and alerts are each exactly once

    # decision 0152: one transaction for the deliveries waiting together; 0158: each agent's preferences and
    # browsers asked for once per group, the group's in-app rows in one INSERT
    @event_handler("cases", "case_created", requeue_on_error=True)
    @idempotent_group(prepare=_begin_alerts, complete=_write_alerts)
    def alert_on_case_created(self, session: Session, envelope: Envelope) -> None:
        alerts.case_created(
            session=session,
            runtime=self.runtime,
            settings=self.settings,
            envelope=envelope,
            group_members=self._group_members,
        )

    @event_handler("cases", "case_updated", requeue_on_error=True)
    @idempotent
    def alert_on_case_updated(self, session: Session, envelope: Envelope) -> None:
        alerts.case_updated(session=session, runtime=self.runtime, settings=self.settings, envelope=envelope)

    @event_handler("cases", "message_added", requeue_on_error=True)
    @idempotent
    def alert_on_message_added(self, session: Session, envelope: Envelope) -> None:
        alerts.message_added(session=session, runtime=self.runtime, settings=self.settings, envelope=envelope)

    @event_handler("cases", "agent_mentioned", requeue_on_error=True)
    @idempotent
    def alert_on_agent_mentioned(self, session: Session, envelope: Envelope) -> None:
        alerts.agent_mentioned(session=session, runtime=self.runtime, settings=self.settings, envelope=envelope)

    @event_handler("cases", "task_changed", requeue_on_error=True)
    @idempotent
    def alert_on_task_changed(self, session: Session, envelope: Envelope) -> None:
        alerts.task_changed(
            session=session, runtime=self.runtime, settings=self.settings, envelope=envelope, directory=self._directory
        )

    @event_handler("cases", "sla_warning", requeue_on_error=True)
    @idempotent
    def alert_on_sla_warning(self, session: Session, envelope: Envelope) -> None:
        alerts.sla_alert(
            session=session,
            runtime=self.runtime,
            settings=self.settings,
            envelope=envelope,
            group_members=self._group_members,
        )

    @event_handler("cases", "sla_breached", requeue_on_error=True)
    @idempotent
    def alert_on_sla_breached(self, session: Session, envelope: Envelope) -> None:
        alerts.sla_alert(
            session=session,
            runtime=self.runtime,
            settings=self.settings,
            envelope=envelope,
            group_members=self._group_members,
        )

    def _group_members(self, group_id: int) -> list[AgentRef]:
        # cases owns the directory; a group's members are asked for when a case arrives in it
        return self._directory.group_members(group_id)

    @property
    def _directory(self) -> CasesDirectory:
        # every cases RPC is bounded: while cases is down the event is requeued, not held (decision 0095)
        return CasesDirectory(
            self.cases_rpc,
            timeout=self.settings.cases_rpc_timeout,
            cache=AGENTS,
            cache_ttl=self.settings.directory_cache_seconds,
        )

    @typed_rpc
    def get_agent_preferences(self, agent_id: int) -> dict[str, dict[str, bool]]:
        with self.runtime.session_factory() as session:
            return preferences.get_preferences(session=session, agent_id=agent_id)

    @typed_rpc
    def set_agent_preference(self, agent_id: int, kind: str, channel: str, enabled: bool) -> dict[str, dict[str, bool]]:
        with self.runtime.transaction() as session:
            return preferences.set_preference(
                session=session, agent_id=agent_id, kind=kind, channel=channel, enabled=enabled
            )

    # -- Web Push (E2): the public VAPID key and agents' browser subscriptions

    @typed_rpc
    def get_push_public_key(self) -> dict[str, str]:
        return {"public_key": webpush.public_key(self.settings)}

    @typed_rpc
    def save_push_subscription(
        self, agent_id: int, data: PushSubscriptionCreate, user_agent: str = ""
    ) -> PushSubscriptionRead:
        with self.runtime.transaction() as session:
            return webpush.subscribe(
                session=session, settings=self.settings, agent_id=agent_id, data=data, user_agent=user_agent
            )

    @typed_rpc
    def delete_push_subscription(self, agent_id: int, endpoint: str) -> dict[str, Any]:
        with self.runtime.transaction() as session:
            webpush.unsubscribe(session=session, agent_id=agent_id, endpoint=endpoint)
        return {"deleted": True}

    @typed_rpc
    def get_agent_sms_number(self, agent_id: int) -> dict[str, Any]:
        with self.runtime.session_factory() as session:
            return {"phone": sms_numbers.get_number(session=session, agent_id=agent_id)}

    @typed_rpc
    def set_agent_sms_number(self, agent_id: int, phone: str) -> dict[str, Any]:
        with self.runtime.transaction() as session:
            return {"phone": sms_numbers.set_number(session=session, agent_id=agent_id, phone=phone)}

    @typed_rpc
    def clear_agent_sms_number(self, agent_id: int) -> dict[str, Any]:
        with self.runtime.transaction() as session:
            sms_numbers.clear_number(session=session, agent_id=agent_id)
        return {"phone": None}

    @typed_rpc
    def list_push_subscriptions(self, agent_id: int) -> list[PushSubscriptionRead]:
        with self.runtime.session_factory() as session:
            return webpush.list_subscriptions(session=session, agent_id=agent_id)

    @typed_rpc
    def list_agent_notifications(self, agent_id: int, limit: int = 20) -> AgentNotificationPage:
        with self.runtime.session_factory() as session:
            return inbox.list_for_agent(session=session, agent_id=agent_id, limit=limit)

    @typed_rpc
    def mark_agent_notifications_read(
        self, agent_id: int, up_to_id: int | None = None, only_id: int | None = None
    ) -> dict[str, Any]:
        with self.runtime.transaction() as session:
            changed = inbox.mark_read(session=session, agent_id=agent_id, up_to_id=up_to_id, only_id=only_id)
        return {"marked": changed}

    # -- customer mail settings (E3): the workspace level (organisation_id None) and customer organisations.
    # Both arguments are checked by mail_settings (`Any` here), so a refusal names the wrong field as it did.

    @typed_rpc
    def get_customer_mail_settings(self, organisation_id: Any = None) -> CustomerMailSettingsRead:
        with self.runtime.session_factory() as session:
            return mail_settings.get_settings(
                session=session,
                settings=self.settings,
                organisation_id=mail_settings.parse_organisation(organisation_id),
            )

    @typed_rpc
    def set_customer_mail_settings(self, data: Any, organisation_id: Any = None) -> CustomerMailSettingsRead:
        parsed = mail_settings.parse_write(data)
        with self.runtime.transaction() as session:
            return mail_settings.set_settings(
                session=session,
                settings=self.settings,
                organisation_id=mail_settings.parse_organisation(organisation_id),
                data=parsed,
            )

    @timer(interval=SEND_INTERVAL)
    def send_due(self) -> None:
        sender.send_due(
            runtime=self.runtime,
            settings=self.settings,
            mailer=self.mailer,
            mailer_factory=lambda: mailer_from_settings(self.settings),
            sms=self.sms,
            tokens=self._tokens(),
        )

    # -- per-mailbox sending (decisions 0227-0229): the copy of each mailbox's SMTP server, the test send

    @event_handler("mail_gateway", "mailbox_sending_changed", requeue_on_error=True)
    @idempotent
    def on_mailbox_sending_changed(self, session: Session, envelope: Envelope) -> None:
        relay_replica.apply_sending_changed(session=session, envelope=envelope)

    @typed_rpc
    def send_test_mail(self, data: MailboxTestMail) -> MailboxTestResult:
        return mailbox_check.send_test_mail(
            runtime=self.runtime,
            settings=self.settings,
            data=data,
            global_mailer=lambda: mailer_from_settings(self.settings),
            tokens=self._tokens(),
        )

    def _tokens(self) -> AccessTokens:
        # the process's tokens (HELD): asked for once and reused by every sender until one nearly expires
        return AccessTokens(self._access_token, HELD)

    def _access_token(self, mailbox_id: int) -> MailboxAccessToken:
        # bounded like every call to another service: mail-gateway down fails the login, the mail is retried
        rpc = TimedRpc(self.mail_gateway_rpc, timeout=self.settings.mail_gateway_rpc_timeout, service="mail_gateway")
        return MailboxAccessToken.model_validate(rpc.call("mailbox_access_token", mailbox_id=mailbox_id))


def main() -> None:
    settings = NotificationsSettings()
    run_service(NotificationsService, settings, max_workers=settings.max_workers)
