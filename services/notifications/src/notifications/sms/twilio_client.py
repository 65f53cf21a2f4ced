"""Handing SMS to Twilio through the twilio library; the base URL is configurable so tests hit a local fake."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from nameko.extensions import DependencyProvider
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from notifications.deliveries.rules import twilio_failure
from notifications.settings import NotificationsSettings


class SmsSender(Protocol):
    def send(self, *, to: str, body: str) -> str: ...


class SmsNotConfigured(RuntimeError):
    """No Twilio account is configured: SMS deliveries wait (temporary) until an operator sets one."""


class RebasingHttpClient(TwilioHttpClient):
    """Sends every request to `base_url` (scheme and host replaced), keeping path and query."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        rebased = urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, rebased, *args, **kwargs)


class TwilioSms:
    """One Twilio client: `send` creates a Message and returns its SID."""

    def __init__(self, *, account_sid: str, auth_token: str, from_number: str, base_url: str, timeout: float) -> None:
        http = RebasingHttpClient(base_url, timeout) if base_url else TwilioHttpClient(timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=http)
        self.from_number = from_number

    def send(self, *, to: str, body: str) -> str:
        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            # classified here, so the delivery rules stay free of the twilio library
            exc.send_failure = twilio_failure(exc.status, exc.code, exc.msg)
            raise
        return str(message.sid)


class UnconfiguredSms:
    def send(self, *, to: str, body: str) -> str:
        raise SmsNotConfigured("NOTIFICATIONS_TWILIO_ACCOUNT_SID / _AUTH_TOKEN / _FROM_NUMBER are not set")


def sms_from_settings(settings: NotificationsSettings) -> SmsSender:
    """Twilio when an account is configured, otherwise a sender that fails (temporarily) with the reason."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number):
        return UnconfiguredSms()
    return TwilioSms(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token,
        from_number=settings.twilio_from_number,
        base_url=settings.twilio_base_url,
        timeout=settings.twilio_timeout,
    )


class SmsProvider(DependencyProvider):
    """One SMS sender per container (the twilio client keeps a requests session)."""

    def setup(self) -> None:
        self.sender = sms_from_settings(NotificationsSettings())

    def get_dependency(self, worker_ctx: Any) -> SmsSender:
        return self.sender
