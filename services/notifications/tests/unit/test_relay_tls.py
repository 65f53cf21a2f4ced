"""The global relay's STARTTLS checks the relay's certificate, as a mailbox's own server's does."""

from __future__ import annotations

import ssl

import pytest

from notifications.mail.mailer import FileMailer, SmtpMailer, mailer_from_settings
from notifications.settings import NotificationsSettings


def _settings(monkeypatch: pytest.MonkeyPatch, relay: str, **values: object) -> NotificationsSettings:
    monkeypatch.setenv("HELPDESK_SMTP_RELAY", relay)
    return NotificationsSettings(**values)


def test_starttls_to_the_global_relay_checks_the_certificate_and_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    mailer = mailer_from_settings(_settings(monkeypatch, "relay.example:587", smtp_starttls=True))
    assert isinstance(mailer, SmtpMailer) and mailer.security == "starttls"
    context = mailer.tls_context
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True


def test_a_plain_relay_and_the_outbox_folder_need_no_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = mailer_from_settings(_settings(monkeypatch, "127.0.0.1:2525"))
    assert isinstance(plain, SmtpMailer) and plain.security == "none" and plain.tls_context is None
    assert isinstance(mailer_from_settings(_settings(monkeypatch, "")), FileMailer)
