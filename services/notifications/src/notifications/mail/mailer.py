"""Handing rendered messages to the outside world: an SMTP relay, or `.eml` files when none is configured."""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from nameko.extensions import DependencyProvider

from notifications.settings import NotificationsSettings


class Mailer(Protocol):
    def send(self, *, delivery_id: int, sender: str, recipient: str, message_id: str, raw: bytes) -> None: ...

    def close(self) -> None: ...


# the step of the SMTP dialogue an exception came from, as `exc.smtp_step` (decision 0229): the first three
# are the relay's, not the message's, so the rest of a batch through that relay would fail the same way
CONNECTION_STEPS = ("connect", "tls", "auth")


def step_of(exc: BaseException) -> str:
    """The SMTP step an exception of `SmtpMailer` failed at ('' when unknown)."""
    return str(getattr(exc, "smtp_step", ""))


def _at(step: str, exc: BaseException) -> BaseException:
    with contextlib.suppress(AttributeError):  # a built-in exception without a __dict__ keeps no step
        exc.smtp_step = step  # type: ignore[attr-defined]
    return exc


def xoauth2(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (before base64): `user=<u>^Aauth=Bearer <t>^A^A`."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


class SmtpMailer:
    """One SMTP connection, opened on the first send and reused for the rest of a batch.

    `security`: "none", "starttls" or "ssl" (implicit TLS), under `tls_context` (`verifying_tls_context`, which
    checks the certificate). With `token`, the login is SASL XOAUTH2 as `user` with the
    access token it gives (called once per connection).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 10,
        security: str | None = None,
        token: Callable[[], str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        token_refused: Callable[[], None] | None = None,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.security = security or ("starttls" if starttls else "none")
        self.timeout, self.token, self.tls_context = timeout, token, tls_context
        self.token_refused = token_refused
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = self._connect()
            try:
                self._secure_and_log_in(smtp)
            except BaseException:
                _quietly_close(smtp)
                raise
            self._smtp = smtp
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.security == "ssl":
                return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
            return smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except ssl.SSLError as exc:
            raise _at("tls", exc) from None
        except BaseException as exc:
            raise _at("connect", exc) from None

    def _secure_and_log_in(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.ehlo()
        except BaseException as exc:
            raise _at("connect", exc) from None
        if self.security == "starttls":
            try:
                smtp.starttls(context=self._context())
                smtp.ehlo()
            except BaseException as exc:
                raise _at("tls", exc) from None
        try:
            if self.token is not None:
                token = self.token()
                # the server answers a refused token with a 334 challenge (an error in JSON): answer it empty
                try:
                    smtp.auth("XOAUTH2", lambda challenge=None: "" if challenge else xoauth2(self.user, token))
                except smtplib.SMTPAuthenticationError:
                    if self.token_refused is not None:  # revoked early: ask for a new one next time
                        self.token_refused()
                    raise
            elif self.user:
                smtp.login(self.user, self.password)
        except BaseException as exc:
            raise _at("auth", exc) from None

    def _context(self) -> ssl.SSLContext | None:
        return self.tls_context

    def send(self, *, delivery_id: int, sender: str, recipient: str, message_id: str, raw: bytes) -> None:
        smtp = self._connection()
        try:
            smtp.sendmail(sender, [recipient], raw)
        except smtplib.SMTPRecipientsRefused as exc:
            # the session itself is fine; reset it so the next message starts a clean transaction
            try:
                smtp.rset()
            except Exception:  # the relay hung up after refusing: reconnect next time
                self.close()
            raise _at("recipient refused", exc) from None
        except BaseException as exc:
            # after an error mid-transaction the session state is unknown: start over next time
            self.close()
            step = {smtplib.SMTPSenderRefused: "sender refused", smtplib.SMTPDataError: "data refused"}
            raise _at(step.get(type(exc), "send"), exc) from None

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


def verifying_tls_context(settings: NotificationsSettings) -> ssl.SSLContext:
    """TLS that checks the server's certificate and name: the system's CAs, plus NOTIFICATIONS_SMTP_CA_FILE
    for a relay with a private CA. smtplib's own default checks neither, so a relay could be impersonated."""
    context = ssl.create_default_context()
    if settings.smtp_ca_file:
        context.load_verify_locations(cafile=settings.smtp_ca_file)
    return context


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
        tls_context=verifying_tls_context(settings) if settings.smtp_starttls else None,
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
