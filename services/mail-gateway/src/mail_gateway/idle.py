"""IMAP IDLE watchers (RFC 2177, decision 0147): new mail is fetched a second or two after it arrives.

For each active IMAP mailbox with `use_idle` whose server offers IDLE, one worker process holds the
mailbox's lease (mail_gateway.mailboxes) and runs a greenthread that keeps a connection in IDLE. When the
server announces mail (`* n EXISTS`), the mail is fetched over a second connection by the same code a
poll uses; the watcher also fetches every `imap_poll_seconds` anyway (a missed announcement costs at most
one poll interval), re-issues IDLE every `imap_idle_refresh_seconds` (at most 29 minutes: servers drop
older ones, and the DONE/OK round trip proves the connection alive), and renews the lease every
`imap_idle_tick_seconds`. Holding the lease keeps the timer's poll off the mailbox, so one process at a
time fetches it; a broken connection ends the watcher and frees the lease, the timer polls meanwhile,
and the watcher comes back after a back-off (2 s doubling to 5 minutes). A server without IDLE is
remembered (`imap_idle_supported` false) and simply polled, until the mailbox is saved again.

The worker runs under eventlet with the socket module patched, so imaplib's sockets are green: a watcher
waiting for the server blocks only its own greenthread.
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import or_, select

from chassis.blobstore import BlobStore
from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from mail_gateway.db.models import Mailbox
from mail_gateway.imap import IdleChannel, ImapFailure, ImapSession, open_session
from mail_gateway.mailboxes import (
    IDLE_OWNER,
    _config,
    fetch_new_mail,
    imap_ca_file,
    lease_free,
    oauth_token,
    release_lease,
    renew_lease,
    take_lease,
)
from mail_gateway.metrics import IMAP_IDLE_WAKEUPS
from mail_gateway.settings import MailGatewaySettings

log = get_logger(__name__)

BACKOFF_START, BACKOFF_MAX = 2.0, 300.0
IDLE_REFRESH_MAX = 29 * 60.0  # RFC 2177: re-issue IDLE at least every 29 minutes


def _fingerprint(box: Mailbox) -> tuple[Any, ...]:
    """What a watcher was started with: any change (a saved mailbox) restarts it."""
    return (
        box.active,
        box.use_idle,
        box.imap_host,
        box.imap_port,
        box.imap_security,
        box.imap_user,
        box.imap_password,
        box.imap_folder,
        box.imap_move_to,
        box.imap_poll_seconds,
    )


@dataclass
class _Watch:
    mailbox_id: int
    stopped: bool = False
    session: ImapSession | None = None


@dataclass
class IdleWatchers:
    """The IDLE watchers of one worker process; `sync` (each timer tick) starts the missing ones."""

    runtime: Runtime
    blobs: BlobStore
    settings: MailGatewaySettings
    spawn: Callable[[Callable[[], None], str], None]
    watching: dict[int, _Watch] = field(default_factory=dict)
    failures: dict[int, int] = field(default_factory=dict)
    retry_at: dict[int, float] = field(default_factory=dict)
    stopping: bool = False

    def sync(self) -> int:
        """Start a watcher for each mailbox to watch whose lease is free; returns how many were started."""
        if self.stopping or not self.settings.imap_idle:
            return 0
        now = utcnow()
        with self.runtime.session_factory() as session:
            ids = session.scalars(
                select(Mailbox.id).where(
                    Mailbox.active.is_(True),
                    Mailbox.imap_host.is_not(None),
                    Mailbox.use_idle.is_(True),
                    or_(Mailbox.imap_idle_supported.is_(None), Mailbox.imap_idle_supported.is_(True)),
                    lease_free(now),
                )
            ).all()
        started = 0
        clock = time.monotonic()
        for mailbox_id in ids:
            if mailbox_id in self.watching or self.retry_at.get(mailbox_id, 0.0) > clock:
                continue
            if not take_lease(self.runtime, mailbox_id, IDLE_OWNER, seconds=self.settings.imap_lease_seconds):
                continue  # another process (or a poll) was quicker
            watch = _Watch(mailbox_id)
            self.watching[mailbox_id] = watch
            self.spawn(functools.partial(self._watch, watch), f"imap-idle-{mailbox_id}")
            started += 1
        return started

    def stop_all(self) -> None:
        """Stop every watcher (their connections are shut, so waiting greenthreads wake) and free the leases."""
        self.stopping = True
        for watch in list(self.watching.values()):
            watch.stopped = True
            if watch.session is not None:
                with contextlib.suppress(OSError):
                    watch.session.conn.shutdown()
        with contextlib.suppress(Exception):  # stopping anyway: a lease left behind lapses by itself
            release_lease(self.runtime, None, IDLE_OWNER)

    # -- one watcher --------------------------------------------------------------------------------

    def _watch(self, watch: _Watch) -> None:
        mailbox_id = watch.mailbox_id
        error: str | None = None
        try:
            self._run(watch)
        except ImapFailure as exc:
            error = str(exc)
        except (OSError, imaplib.IMAP4.error) as exc:
            error = f"connection: {exc}"
        except Exception as exc:  # a bug must not end IDLE for good: back off and try again, polling meanwhile
            log.exception("imap_idle_crashed", mailbox_id=mailbox_id)
            error = f"internal: {type(exc).__name__}"
        finally:
            if watch.session is not None:
                watch.session.close()
            self.watching.pop(mailbox_id, None)
            if error is not None and not watch.stopped:
                count = self.failures.get(mailbox_id, 0) + 1
                self.failures[mailbox_id] = count
                delay = min(BACKOFF_MAX, BACKOFF_START * 2 ** (count - 1))
                self.retry_at[mailbox_id] = time.monotonic() + delay
                log.warning("imap_idle_failed", mailbox_id=mailbox_id, reason=error, retry_in=delay)
            with contextlib.suppress(Exception):
                values: dict[str, object] = {"imap_last_error": error} if error and not watch.stopped else {}
                release_lease(self.runtime, mailbox_id, IDLE_OWNER, **values)

    def _run(self, watch: _Watch) -> None:
        settings = self.settings
        with self.runtime.session_factory() as session:
            box = session.get(Mailbox, watch.mailbox_id)
            if box is None:
                return
            fingerprint = _fingerprint(box)
            poll_every = float(max(1, box.imap_poll_seconds or 60))
        token = oauth_token(self.runtime, watch.mailbox_id)
        with self.runtime.session_factory() as session:
            box = session.get(Mailbox, watch.mailbox_id)
            if box is None:
                return
            config = _config(box, settings.imap_timeout, settings.secret_key, imap_ca_file(self.runtime), token)
        if config is None:
            return
        watch.session = imap = open_session(config)
        if "IDLE" not in imap.capabilities:
            log.info("imap_idle_unsupported", mailbox_id=watch.mailbox_id)
            release_lease(self.runtime, watch.mailbox_id, IDLE_OWNER, imap_idle_supported=False)
            return
        channel = IdleChannel(imap)
        refresh_every = min(IDLE_REFRESH_MAX, settings.imap_idle_refresh_seconds)
        tick = settings.imap_idle_tick_seconds
        if not self._still_ours(watch, fingerprint, imap_idle_supported=True):
            return
        log.info("imap_idle_watching", mailbox_id=watch.mailbox_id)
        renewed = time.monotonic()
        while not watch.stopped:
            news = channel.start(settings.imap_timeout)
            self.failures.pop(watch.mailbox_id, None)  # connected and idling: the next failure starts over
            refresh_at = time.monotonic() + refresh_every
            next_fetch = 0.0  # fetch at once: mail that came before IDLE started was not announced
            while not watch.stopped:
                now = time.monotonic()
                if news or now >= next_fetch:
                    if news:
                        IMAP_IDLE_WAKEUPS.inc()
                    self._fetch(watch)
                    next_fetch = time.monotonic() + poll_every
                now = time.monotonic()
                if now - renewed >= tick:
                    if not self._still_ours(watch, fingerprint):
                        return
                    renewed = now
                if now >= refresh_at:
                    break
                news = channel.wait(max(0.0, min(refresh_at, next_fetch, renewed + tick) - now))
            if not watch.stopped:
                channel.done(settings.imap_timeout)  # then IDLE again, and fetch at once

    def _fetch(self, watch: _Watch) -> None:
        """Fetch what is new, batch after batch, over a second connection (the poll's own code)."""
        more = True
        while more and not watch.stopped:
            _stored, more = fetch_new_mail(
                runtime=self.runtime,
                blobs=self.blobs,
                mailbox_id=watch.mailbox_id,
                batch_size=self.settings.imap_batch_size,
                timeout=self.settings.imap_timeout,
                owner=IDLE_OWNER,
            )

    def _still_ours(self, watch: _Watch, fingerprint: tuple[Any, ...], **values: object) -> bool:
        """Renew the lease; False (stop watching) if it was lost or the mailbox changed meanwhile."""
        with self.runtime.transaction() as session:
            box = session.get(Mailbox, watch.mailbox_id)
            if box is None or _fingerprint(box) != fingerprint:
                log.info("imap_idle_restart", mailbox_id=watch.mailbox_id, reason="mailbox changed")
                return False
            if not renew_lease(
                session, watch.mailbox_id, IDLE_OWNER, seconds=self.settings.imap_lease_seconds, **values
            ):
                log.warning("imap_lease_lost", mailbox_id=watch.mailbox_id, owner=IDLE_OWNER)
                watch.stopped = True  # not ours any more: release nothing
                return False
        return True


class ImapIdle(DependencyProvider):
    """Gives the worker its `IdleWatchers`; stopping the container stops them and frees their leases."""

    def setup(self) -> None:
        self.watchers: IdleWatchers | None = None

    def watchers_for(self, runtime: Runtime, blobs: BlobStore) -> IdleWatchers:
        if self.watchers is None:

            def spawn(fn: Callable[[], None], name: str) -> None:
                self.container.spawn_managed_thread(fn, identifier=name)

            self.watchers = IdleWatchers(runtime=runtime, blobs=blobs, settings=runtime.settings, spawn=spawn)
        return self.watchers

    def stop(self) -> None:
        if self.watchers is not None:
            self.watchers.stop_all()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> ImapIdle:
        return self
