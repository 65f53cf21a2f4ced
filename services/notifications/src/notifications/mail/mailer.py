"""Handing rendered messages to the outside world: an SMTP relay, or `.eml` files when none is configured."""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
from pathlib import Path
from typing import Any, Protocol

from nameko.extensions import DependencyProvider

from notifications.settings import NotificationsSettings


class Mailer(Protocol):
    def send(self, *, delivery_id: int, sender: str, recipient: str, message_id: str, raw: bytes) -> None: ...

    def close(self) -> None: ...


class SmtpMailer:
    """One SMTP connection, opened on the first send and reused for the rest of a batch."""

    def __init__(
        self, *, host: str, port: int, user: str = "", password: str = "", starttls: bool = False, timeout: float = 10
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.timeout = starttls, timeout
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls()
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
            except BaseException:
                _quietly_close(smtp)
                raise
            self._smtp = smtp
        return self._smtp

    def send(self, *, delivery_id: int, sender: str, recipient: str, message_id: str, raw: bytes) -> None:
        smtp = self._connection()
        try:
            smtp.sendmail(sender, [recipient], raw)
        except smtplib.SMTPRecipientsRefused:
            # the session itself is fine; reset it so the next message starts a clean transaction
            try:
                smtp.rset()
            except Exception:  # the relay hung up after refusing: reconnect next time
                self.close()
            raise
        except BaseException:
            # after an error mid-transaction the session state is unknown: start over next time
            self.close()
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except Exception:  # the relay may already be gone; close the socket ourselves
                _quietly_close(self._smtp)
            self._smtp = None


class FileMailer:
    """Development sink: `<outbox>/<delivery_id>-<message-id>.eml`, written atomically."""

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def send(self, *, delivery_id: int, sender: str, recipient: str, message_id: str, raw: bytes) -> None:
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        safe_id = re.sub(r"[^A-Za-z0-9@._-]", "_", message_id)
        target = self.outbox_dir / f"{delivery_id}-{safe_id}.eml"
        tmp = target.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)

    def close(self) -> None:
        return None


def mailer_from_settings(settings: NotificationsSettings) -> Mailer:
    """SMTP when HELPDESK_SMTP_RELAY (host:port) is set, otherwise the outbox folder."""
    if not settings.smtp_relay:
        return FileMailer(settings.outbox_dir)
    host, _, port = settings.smtp_relay.rpartition(":")
    return SmtpMailer(
        host=host or settings.smtp_relay,
        port=int(port) if host else 25,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        timeout=settings.smtp_timeout,
    )


class MailerProvider(DependencyProvider):
    """Gives each worker its own mailer (an SMTP connection is not shareable) and closes it afterwards."""

    def setup(self) -> None:
        self.settings = NotificationsSettings()
        self._mailers: dict[Any, Mailer] = {}
        if not self.settings.smtp_relay:
            # the folder exists from the start, not only with the first mail: tools that watch it can start first
            self.settings.outbox_dir.mkdir(parents=True, exist_ok=True)

    def get_dependency(self, worker_ctx: Any) -> Mailer:
        mailer = mailer_from_settings(self.settings)
        self._mailers[worker_ctx] = mailer
        return mailer

    def worker_teardown(self, worker_ctx: Any) -> None:
        mailer = self._mailers.pop(worker_ctx, None)
        if mailer is not None:
            mailer.close()


def _quietly_close(smtp: smtplib.SMTP) -> None:
    # closing a broken socket may fail; there is nothing more to do about it
    with contextlib.suppress(Exception):
        smtp.close()
