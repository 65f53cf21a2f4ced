"""`python -m mail_gateway smtp`: the inbound SMTP listener (asyncio + aiosmtpd, never eventlet).

A mail is answered 250 only after its raw bytes are on disk and its row is committed; any storage
failure answers 451 so the sending MTA keeps the mail and retries. DATA is streamed to the blob store
as it arrives (decision 0166): a session holds a few hundred KiB of its mail, whatever the mail's size.
"""

from __future__ import annotations

import asyncio
import functools
import signal
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.orm import sessionmaker

from chassis.blobstore import BlobStore
from chassis.db import make_engine, make_sessionmaker, ping
from chassis.logging import configure_logging, get_logger
from chassis.metrics import start_ops_server
from mail_gateway.intake import Incoming, StoreResult, find_active_mailbox, prepare_spooled, store_batch
from mail_gateway.metrics import SMTP_MESSAGES, SMTP_RECIPIENTS
from mail_gateway.settings import MailGatewaySettings
from mail_gateway.spool import DataSpool

log = get_logger(__name__)

TEMPFAIL = "451 4.3.0 Temporary local problem, please try again later"
MAILBOX_CACHE_SECONDS = 5.0  # a known active mailbox is looked up again after this long (decision 0130)


class MailboxEnvelope(Envelope):
    """An SMTP envelope that also remembers which of our mailboxes the accepted recipients are."""

    def __init__(self) -> None:
        super().__init__()
        self.mailbox_ids: list[int] = []
        self.spool: DataSpool | None = None  # the DATA, streamed to the blob store (instead of `content`)


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP with DATA streamed to a `DataSpool` (0166) and 552 answers that name the cap (0086).

    `smtp_DATA` replaces aiosmtpd 1.4.6's own, which keeps the whole mail in memory; it depends on that
    version's internals (pinned in requirements.txt; tests/unit/test_data_spool.py fails when they
    change). The event handler must offer `open_spool()` and `handle_DATA` (IntakeHandler does).
    """

    # RFC 5321 caps lines at 1000 octets, but real mailers send longer ones; refusing them would
    # bounce customers' mail, so accept lines up to 64 KiB (the size limit still applies)
    line_length_limit = 1 << 16

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._decode_data:
            raise ValueError("GatewaySMTP stores DATA as bytes; decode_data is not supported")
        self._cap_text = _too_large(self.data_size_limit or 0)

    def _create_envelope(self) -> Envelope:
        return MailboxEnvelope()

    async def push(self, status: AnyStr) -> None:
        # aiosmtpd's own 552 texts ("Error: message size exceeds ...") do not say what the limit is
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        if text.startswith("552 Error:"):
            text = self._cap_text
        await super().push(text)

    async def smtp_DATA(self, arg: str) -> None:
        """DATA as aiosmtpd 1.4.6 answers it, but each line goes to the spool as it arrives."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert isinstance(self.envelope, MailboxEnvelope)
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        spool: DataSpool = self.event_handler.open_spool()
        try:
            refusal = await self._receive_data(spool)
            if refusal is not None:  # owed only now that the final dot has come (RFC 5321 4.2.5)
                if refusal == self._cap_text:  # counted once answered: a sender that leaves is `disconnected`
                    SMTP_MESSAGES.labels("too_big").inc()
                await self.push(refusal)
                self._set_post_data_state()
                return
            self.envelope.spool = spool
            status = await self._call_handler_hook("DATA")
            self._set_post_data_state()
            await self.push(status)
        except (asyncio.CancelledError, ConnectionResetError):  # the client went away (or timed out) first
            SMTP_MESSAGES.labels("disconnected").inc()
            raise
        finally:
            spool.discard()  # removes the temporary file unless the handler committed it

    async def _receive_data(self, spool: DataSpool) -> str | None:
        """Read DATA up to the final dot into `spool`, dot-unstuffed; the refusal owed, if any."""
        limit, received = self.data_size_limit, 0
        refusal: str | None = None  # once set, the rest is read and dropped, and the spool is discarded
        in_line = False  # the last piece read did not end its line (only after a line over the limit)
        loop = asyncio.get_running_loop()
        timer_reset, reset_every = loop.time(), min(1.0, self._timeout_duration / 10)
        while self.transport is not None:
            if loop.time() - timer_reset >= reset_every:
                # aiosmtpd's idle timer runs from the DATA command and is not reset while DATA arrives, so a big
                # mail over a slow link was cut off after `timeout` (300 s) however steadily it came. RFC 5321
                # 4.5.3.2.5 times DATA per block received: a sender that keeps sending keeps its session. At most
                # once a second (a tenth of the time-out if shorter), not per line: each reset replaces a loop timer.
                timer_reset = loop.time()
                self._reset_timeout()
            try:
                line = await self._reader.readuntil(b"\r\n")
            except asyncio.CancelledError:
                self._writer.close()
                raise
            except asyncio.LimitOverrunError as overrun:  # a line longer than line_length_limit
                line = await self._reader.read(overrun.consumed)
                if refusal is None:
                    refusal = "500 Line too long (see RFC5321 4.5.3.1.6)"
                    spool.discard()
            if not in_line and line == b".\r\n":
                return refusal
            in_line = not line.endswith(b"\r\n")
            received += len(line)
            if refusal is None and limit and received > limit:
                refusal = self._cap_text
                spool.discard()  # nothing of a refused mail stays, in memory or on disk
            if refusal is None:
                await spool.add(line[1:] if line.startswith(b".") else line)  # RFC 5321 4.5.2 transparency
        raise ConnectionResetError("connection lost during DATA")


def _too_large(cap: int) -> str:
    return (
        f"552 5.3.4 Message too big: this help desk takes at most {cap} bytes per message;"
        " please send large files as a link"
    )


class GroupCommitter:
    """Stores the rows of concurrently arriving mails in one transaction: group commit (decision 0130).

    Each DATA command waits for the commit of the transaction that holds its mail, so 250 still means
    committed. While one transaction commits, the mails that arrive meanwhile queue up and go together
    in the next one; nothing waits on purpose, so a lone mail is committed as soon as it arrives.
    `max_batch` 1 stores every mail in a transaction of its own (the behaviour before 0130).
    """

    def __init__(
        self, *, session_factory: sessionmaker[Any], executor: ThreadPoolExecutor, max_batch: int = 64
    ) -> None:
        self.session_factory = session_factory
        self.executor = executor
        self.max_batch = max(1, max_batch)
        self._queue: list[tuple[Incoming, Sequence[int], asyncio.Future[StoreResult]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def store(self, incoming: Incoming, mailbox_ids: Sequence[int]) -> StoreResult:
        """The mail's rows, committed (raises what storing it raised)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoreResult] = loop.create_future()
        self._queue.append((incoming, list(mailbox_ids), future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            items = [(incoming, ids) for incoming, ids, _ in batch]
            try:
                results: list[StoreResult | Exception] = await loop.run_in_executor(
                    self.executor, store_batch, self.session_factory, items
                )
            except Exception as exc:  # every mail of the batch answers 451
                results = [exc] * len(batch)
            for (_, _, future), result in zip(batch, results, strict=True):
                if future.done():  # the client went away meanwhile; its mail may be stored, a retry finds it
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)


class IntakeHandler:
    """aiosmtpd hooks: accept RCPT for active mailboxes, store DATA before answering."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Any],
        blobs: BlobStore,
        executor: ThreadPoolExecutor,
        max_message_bytes: int = 0,
        group_commit_max: int = 64,
    ) -> None:
        self.session_factory = session_factory
        self.blobs = blobs
        self.executor = executor
        self.max_message_bytes = max_message_bytes  # over it (up to the cap): recorded, no case (0086)
        self.committer = GroupCommitter(session_factory=session_factory, executor=executor, max_batch=group_commit_max)
        self._active_mailboxes: dict[str, tuple[int, float]] = {}  # address -> (mailbox id, looked up at)

    def open_spool(self) -> DataSpool:
        """Where the DATA of a new SMTP transaction goes as it arrives."""
        return DataSpool(self.blobs, self.executor)

    async def _blocking(self, fn: Any, **kwargs: Any) -> Any:
        """Run database and disk work off the event loop, so one slow mail does not stall the others."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, **kwargs))

    async def _mailbox_of(self, address: str) -> int | None:
        """The active mailbox of a recipient; a found one is remembered a few seconds, an unknown one never."""
        key, now = address.lower(), time.monotonic()
        cached = self._active_mailboxes.get(key)
        if cached is not None and now - cached[1] < MAILBOX_CACHE_SECONDS:
            return cached[0]
        mailbox_id: int | None = await self._blocking(
            find_active_mailbox, session_factory=self.session_factory, address=address
        )
        if mailbox_id is None:
            self._active_mailboxes.pop(key, None)
        else:
            self._active_mailboxes[key] = (mailbox_id, now)
        return mailbox_id

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: MailboxEnvelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            mailbox_id = await self._mailbox_of(address)
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
        spool = envelope.spool
        assert spool is not None, "GatewaySMTP streams DATA to a spool"
        size = spool.size
        try:
            # the raw bytes are fsynced concurrently per connection; the rows are committed in groups
            incoming = await self._blocking(
                prepare_spooled, spool=spool, mail_from=envelope.mail_from, rcpt_tos=envelope.rcpt_tos
            )
            result = await self.committer.store(incoming, envelope.mailbox_ids)
        except Exception as exc:
            log.warning("smtp_data_tempfail", error=str(exc)[:300], size=size)
            SMTP_MESSAGES.labels("tempfail").inc()
            return TEMPFAIL
        outcome = "stored" if result.stored else "duplicate"
        SMTP_MESSAGES.labels(outcome).inc()
        log.info("smtp_mail_accepted", outcome=outcome, stored=result.stored, duplicates=result.duplicates, size=size)
        ids = ",".join(str(i) for i in [*result.stored, *result.duplicates])
        if self.max_message_bytes and size > self.max_message_bytes:
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
    blobs.sweep_temporary()  # what a listener killed mid-DATA left (decision 0168); before any session starts
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="smtp-store")
    handler = IntakeHandler(
        session_factory=make_sessionmaker(engine),
        blobs=blobs,
        executor=executor,
        max_message_bytes=settings.max_message_bytes,
        group_commit_max=settings.smtp_group_commit_max,
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
