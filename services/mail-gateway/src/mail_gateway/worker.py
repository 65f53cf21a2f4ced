"""The mail-gateway nameko service: entrypoints only; the work happens in handlers."""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler
from nameko.timer import timer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chassis.blobstore import BlobStore
from chassis.db import make_worker_engine
from chassis.nameko_runtime import Runtime, ServiceRuntime, idempotent_group, run_service
from chassis.typed_rpc import typed_rpc
from contracts.envelope import Envelope
from contracts.mail_gateway import (
    ConnectionCheck,
    InboundMailFilter,
    InboundMailPage,
    MailAttachmentContent,
    MailboxRead,
    MailboxWrite,
    RawMail,
)
from mail_gateway import handlers, inbound_reads, learning, mailboxes
from mail_gateway.db.models import OutboxMessage, ProcessedEvent
from mail_gateway.dependencies import Blobs
from mail_gateway.idle import ImapIdle
from mail_gateway.oauth.rpc import OAuthRpc
from mail_gateway.settings import MailGatewaySettings

POLL_INTERVAL = 0.2  # seconds between looks for newly stored mail
IMAP_TICK = 1.0  # seconds between looks for IMAP mailboxes that are due (each has its own interval)


def _engine(url: str) -> Engine:
    """Pool every connection the worker uses at once, so none is opened and closed per event (0132).

    nameko runs up to 10 workers at once, plus two timers and the outbox relay: with the default pool
    of 5, each busy moment opened and closed overflow connections (a new PostgreSQL backend each).
    """
    if url.startswith("sqlite"):
        return make_worker_engine(url)
    return make_worker_engine(url, pool_size=14, max_overflow=2)


def _start_learning(_service: Any, session: Session, envelopes: list[Envelope]) -> None:
    learning.start_learning(session, envelopes)


def _finish_learning(_service: Any, session: Session) -> None:
    learning.finish_learning(session)


def _blob_check(runtime: Runtime) -> str:
    return BlobStore(runtime.settings.blob_path).check()


def _blob_stores(settings: MailGatewaySettings) -> list[BlobStore]:
    """Swept of dead writers' temporary files at start-up (decision 0168); the SMTP listener sweeps it too."""
    return [BlobStore(settings.blob_path)]


class MailGatewayService(OAuthRpc):
    name = "mail_gateway"

    runtime: Runtime = ServiceRuntime(
        MailGatewaySettings,
        OutboxMessage,
        ProcessedEvent,
        health_checks={"blob_store": _blob_check},
        engine_factory=_engine,
        blob_stores=_blob_stores,
    )
    blobs: BlobStore = Blobs()
    imap_idle: ImapIdle = ImapIdle()  # IMAP IDLE watchers, one greenthread per watched mailbox (0147)

    # RPC entry points: arguments parsed from their annotations, replies dumped once (chassis.typed_rpc)

    @typed_rpc
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    @typed_rpc
    def list_inbound_mail(self, filters: InboundMailFilter | None = None) -> InboundMailPage:
        return inbound_reads.list_inbound_mail(
            runtime=self.runtime, filters=filters if filters is not None else InboundMailFilter()
        )

    @typed_rpc
    def get_raw_mail(self, inbound_mail_id: int) -> RawMail:
        return inbound_reads.get_raw_mail(runtime=self.runtime, blobs=self.blobs, inbound_mail_id=inbound_mail_id)

    @typed_rpc
    def get_attachment(self, sha256: str) -> MailAttachmentContent:
        """An attachment of a stored inbound mail, base64-encoded (only blobs listed as attachments)."""
        return inbound_reads.get_attachment(runtime=self.runtime, blobs=self.blobs, sha256=sha256)

    @typed_rpc
    def list_mailboxes(self) -> list[MailboxRead]:
        return mailboxes.list_mailboxes(runtime=self.runtime)

    @typed_rpc
    def save_mailbox(self, data: MailboxWrite, mailbox_id: int | None = None) -> MailboxRead:
        return mailboxes.save_mailbox(runtime=self.runtime, data=data, mailbox_id=mailbox_id)

    @typed_rpc
    def verify_mailbox_connection(
        self, mailbox_id: int | None = None, data: MailboxWrite | None = None
    ) -> ConnectionCheck:
        return mailboxes.verify_connection(
            runtime=self.runtime, mailbox_id=mailbox_id, data=data, timeout=self.runtime.settings.imap_timeout
        )

    @timer(interval=IMAP_TICK)
    def poll_imap_mailboxes(self) -> None:
        settings: MailGatewaySettings = self.runtime.settings
        self.imap_idle.watchers_for(self.runtime, self.blobs).sync()  # first: a watched mailbox is not polled
        mailboxes.poll_due_mailboxes(
            runtime=self.runtime, blobs=self.blobs, batch_size=settings.imap_batch_size, timeout=settings.imap_timeout
        )

    @timer(interval=POLL_INTERVAL)
    def process_inbound_mail(self) -> None:
        settings: MailGatewaySettings = self.runtime.settings
        handlers.process_pending(runtime=self.runtime, blobs=self.blobs, limit=settings.batch_size)

    # the deliveries waiting together are applied in one transaction, their facts written in two
    # statements (chassis.nameko_runtime.idempotent_group, decisions 0126 and 0131)
    @event_handler("cases", "message_added", requeue_on_error=True)
    @idempotent_group(prepare=_start_learning, complete=_finish_learning)
    def on_message_added(self, session: Session, envelope: Envelope) -> None:
        learning.learn_case_of_message(session=session, envelope=envelope)

    @event_handler("cases", "case_created", requeue_on_error=True)
    @idempotent_group(prepare=_start_learning, complete=_finish_learning)
    def on_case_created(self, session: Session, envelope: Envelope) -> None:
        learning.learn_case_of_message(session=session, envelope=envelope)


def main() -> None:
    run_service(MailGatewayService, MailGatewaySettings())
