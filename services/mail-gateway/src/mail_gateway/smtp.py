"""`python -m mail_gateway smtp`: the inbound SMTP listener (asyncio + aiosmtpd, never eventlet).

A mail is answered 250 only after its raw bytes are on disk and its row is committed; any storage
failure answers 451 so the sending MTA keeps the mail and retries.
"""

from __future__ import annotations

import asyncio
import functools
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.orm import sessionmaker

from chassis.blobstore import BlobStore
from chassis.db import make_engine, make_sessionmaker, ping
from chassis.logging import configure_logging, get_logger
from chassis.metrics import start_ops_server
from mail_gateway.intake import find_active_mailbox, store_mail
from mail_gateway.metrics import SMTP_MESSAGES, SMTP_RECIPIENTS
from mail_gateway.settings import MailGatewaySettings

log = get_logger(__name__)

TEMPFAIL = "451 4.3.0 Temporary local problem, please try again later"


class MailboxEnvelope(Envelope):
    """An SMTP envelope that also remembers which of our mailboxes the accepted recipients are."""

    def __init__(self) -> None:
        super().__init__()
        self.mailbox_ids: list[int] = []


class GatewaySMTP(SMTP):
    # RFC 5321 caps lines at 1000 octets, but real mailers send longer ones; refusing them would
    # bounce customers' mail, so accept lines up to 64 KiB (the size limit still applies)
    line_length_limit = 1 << 16

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cap_text = _too_large(self.data_size_limit or 0)

    def _create_envelope(self) -> Envelope:
        return MailboxEnvelope()

    async def push(self, status: AnyStr) -> None:
        # aiosmtpd's own 552 texts ("Error: Too much mail data") do not say what the limit is
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        if text.startswith("552 Error:"):
            text = self._cap_text
        await super().push(text)


def _too_large(cap: int) -> str:
    return (
        f"552 5.3.4 Message too big: this help desk takes at most {cap} bytes per message;"
        " please send large files as a link"
    )


class IntakeHandler:
    """aiosmtpd hooks: accept RCPT for active mailboxes, store DATA before answering."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Any],
        blobs: BlobStore,
        executor: ThreadPoolExecutor,
        max_message_bytes: int = 0,
    ) -> None:
        self.session_factory = session_factory
        self.blobs = blobs
        self.executor = executor
        self.max_message_bytes = max_message_bytes  # over it (up to the cap): recorded, no case (0086)

    async def _blocking(self, fn: Any, **kwargs: Any) -> Any:
        """Run database and disk work off the event loop, so one slow mail does not stall the others."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, **kwargs))

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: MailboxEnvelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            mailbox_id = await self._blocking(
                find_active_mailbox, session_factory=self.session_factory, address=address
            )
        except Exception as exc:
            log.warning("smtp_rcpt_tempfail", address=address, error=str(exc)[:300])
            SMTP_RECIPIENTS.labels("tempfail").inc()
            return TEMPFAIL
        if mailbox_id is None:
            SMTP_RECIPIENTS.labels("unknown").inc()
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        envelope.mailbox_ids.append(mailbox_id)
        SMTP_RECIPIENTS.labels("accepted").inc()
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: MailboxEnvelope) -> str:
        raw = envelope.original_content or b""
        try:
            result = await self._blocking(
                store_mail,
                session_factory=self.session_factory,
                blobs=self.blobs,
                raw=raw,
                mailbox_ids=envelope.mailbox_ids,
                mail_from=envelope.mail_from,
                rcpt_tos=envelope.rcpt_tos,
            )
        except Exception as exc:
            log.warning("smtp_data_tempfail", error=str(exc)[:300], size=len(raw))
            SMTP_MESSAGES.labels("tempfail").inc()
            return TEMPFAIL
        outcome = "stored" if result.stored else "duplicate"
        SMTP_MESSAGES.labels(outcome).inc()
        log.info(
            "smtp_mail_accepted", outcome=outcome, stored=result.stored, duplicates=result.duplicates, size=len(raw)
        )
        ids = ",".join(str(i) for i in [*result.stored, *result.duplicates])
        if self.max_message_bytes and len(raw) > self.max_message_bytes:
            SMTP_MESSAGES.labels("oversized").inc()
            return (
                f"250 2.0.0 Recorded as {ids}, but over the limit of {self.max_message_bytes} bytes:"
                " no case is opened and the sender is told"
            )
        return f"250 2.0.0 OK queued as {ids}"


async def serve(settings: MailGatewaySettings, stop: asyncio.Event) -> None:
    """Listen until `stop` is set; /healthz answers only once SMTP is listening."""
    engine = make_engine(settings.db_url)
    blobs = BlobStore(settings.blob_path)
    blobs.check()
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="smtp-store")
    handler = IntakeHandler(
        session_factory=make_sessionmaker(engine),
        blobs=blobs,
        executor=executor,
        max_message_bytes=settings.max_message_bytes,
    )
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: GatewaySMTP(
            handler,
            data_size_limit=settings.smtp_size_cap,
            enable_SMTPUTF8=True,
            hostname=settings.banner_hostname,
            ident="helpdesk mail-gateway",
            loop=loop,
        ),
        host=settings.smtp_listen_host,
        port=settings.smtp_port,
    )
    ops = start_ops_server(
        settings.smtp_ops_port, lambda: {"database": ping(engine), "blob_store": blobs.check()}, settings.bind_host
    )
    log.info("smtp_listening", host=settings.smtp_listen_host, port=settings.smtp_port, ops_port=settings.smtp_ops_port)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        ops.shutdown()
        executor.shutdown(wait=True)
        engine.dispose()
        log.info("smtp_stopped")


def main() -> None:
    settings = MailGatewaySettings()
    configure_logging(f"{settings.service_name}.smtp", settings.log_level, settings.log_format)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    asyncio.run(run())
