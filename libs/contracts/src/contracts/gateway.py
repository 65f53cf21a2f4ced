"""Contracts of the gateway: events on `gateway.events`."""

from __future__ import annotations

from contracts.envelope import EventPayload

SERVICE = "gateway"


class SmsReceived(EventPayload):
    """A customer's SMS came in through the Twilio webhook (A5, G3); cases opens a case or adds a message."""

    EVENT_TYPE = "sms_received"
    message_sid: str
    from_number: str
    to_number: str = ""
    body: str = ""
    num_media: int = 0
