"""The nameko entrypoints of intake: inbound mail (in groups, decisions 0126, 0127), SMS, sent notifications,
and the agent's answers to a mail from someone not on the case."""

from __future__ import annotations

from nameko.events import event_handler
from sqlalchemy.orm import Session

from cases.common import batch_lookups
from cases.common.rpc import RpcBase
from cases.intake import writes as intake_writes
from cases.intake import writes_batch as mail_batch
from cases.intake import writes_outsider as outsider
from cases.intake.writes_sms import apply_sms_received
from cases.settings import CasesSettings
from chassis.nameko_runtime import idempotent, idempotent_group
from chassis.typed_rpc import typed_rpc
from contracts.bounds import LaxId
from contracts.cases import Actor, CaseRead, MessageRead
from contracts.envelope import Envelope
from contracts.gateway import SmsReceived
from contracts.mail_gateway import MailReceived
from contracts.notifications import NotificationSent

# mails applied in one transaction at most, and how long a group waits for more (decision 0126)
_MAIL_GROUP = CasesSettings().mail_group_size
_MAIL_GROUP_LINGER = CasesSettings().mail_group_linger_seconds


class IntakeRpc(RpcBase):
    def _prepare_mail_group(self, session: Session, envelopes: list[Envelope]) -> None:
        mail_batch.prepare(session, envelopes)

    def _forget_mail_group(self, session: Session) -> None:
        batch_lookups.forget(session)

    def _complete_mail_group(self, session: Session) -> None:
        mail_batch.complete(runtime=self.runtime, session=session)

    # the mails waiting together are applied in one transaction (decisions 0126, 0127)
    @event_handler("mail_gateway", "mail_received", requeue_on_error=True)
    @idempotent_group(
        prepare=_prepare_mail_group,
        forget=_forget_mail_group,
        complete=_complete_mail_group,
        max_group=_MAIL_GROUP,
        linger=_MAIL_GROUP_LINGER,
    )
    def on_mail_received(self, session: Session, envelope: Envelope) -> None:
        mail_batch.apply(
            runtime=self.runtime,
            session=session,
            payload=envelope.open(MailReceived),
            correlation_id=envelope.correlation_id or envelope.event_id,
        )

    # the agent's answers to a mail from someone not on the case (decision 0220)
    @typed_rpc
    def make_message_public(self, *, case_id: LaxId, message_id: LaxId, actor: Actor) -> MessageRead:
        return outsider.make_public(runtime=self.runtime, case_id=case_id, message_id=message_id, actor=actor)

    @typed_rpc
    def add_sender_as_follower(self, *, case_id: LaxId, message_id: LaxId, actor: Actor) -> CaseRead:
        return outsider.add_sender_as_follower(
            runtime=self.runtime, case_id=case_id, message_id=message_id, actor=actor
        )

    @event_handler("notifications", "notification_sent", requeue_on_error=True)
    @idempotent
    def on_notification_sent(self, session: Session, envelope: Envelope) -> None:
        intake_writes.apply_notification_sent(session=session, payload=envelope.open(NotificationSent))

    @event_handler("gateway", "sms_received", requeue_on_error=True)
    @idempotent
    def on_sms_received(self, session: Session, envelope: Envelope) -> None:
        apply_sms_received(
            runtime=self.runtime,
            session=session,
            payload=envelope.open(SmsReceived),
            correlation_id=envelope.correlation_id or envelope.event_id,
        )
