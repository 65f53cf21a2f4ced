"""`POST /webhooks/twilio/sms`: a customer's SMS, signature-checked, recorded as `sms_received` (A5, G3)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from chassis.db import unit_of_work
from chassis.logging import get_logger
from chassis.outbox import add_event
from contracts import errors
from contracts.gateway import SERVICE, SmsReceived
from gateway.context import AppContext, get_context
from gateway.db.models import OutboxMessage

log = get_logger(__name__)
router = APIRouter(tags=["webhooks"])

# event ids derived from Twilio's MessageSid: a webhook Twilio retries is the same event
_SMS_NAMESPACE = uuid.UUID("6f1c7f4e-2b1e-4d9a-9a53-5d0c1e7b2a10")
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signed_url(*, public_url: str, path: str, query: str) -> str:
    """The URL Twilio signed: our public one (not what a proxy forwarded to us), with the query."""
    return public_url.rstrip("/") + path + (f"?{query}" if query else "")


def record_sms(*, factory: sessionmaker[Session], sms: SmsReceived) -> bool:
    """Put `sms_received` in the outbox once per MessageSid; False when it was already recorded."""
    event_id = str(uuid.uuid5(_SMS_NAMESPACE, sms.message_sid))
    try:
        with unit_of_work(factory) as session:
            add_event(session, OutboxMessage, sms, source=SERVICE, event_id=event_id)
    except IntegrityError:
        return False
    return True


@router.post("/webhooks/twilio/sms", response_class=Response, responses={403: {"description": "Bad signature"}})
async def receive_sms(request: Request, ctx: AppContext = Depends(get_context)) -> Response:
    """Twilio's inbound-SMS webhook; answers empty TwiML (no automatic reply SMS, E4)."""
    settings = ctx.settings
    if not settings.twilio_auth_token:
        raise errors.DomainError(errors.SERVICE_UNAVAILABLE, "the Twilio webhook is not configured")
    form = {k: str(v) for k, v in (await request.form()).items()}
    url = signed_url(public_url=settings.public_url, path=request.url.path, query=request.url.query)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not RequestValidator(settings.twilio_auth_token).validate(url, form, signature):
        log.warning("twilio_signature_invalid", path=request.url.path)
        raise errors.DomainError(errors.FORBIDDEN, "invalid Twilio signature")
    if not form.get("MessageSid") or not form.get("From"):
        raise errors.ValidationFailed(message="MessageSid and From are required")
    sms = SmsReceived(
        message_sid=form["MessageSid"],
        from_number=form["From"],
        to_number=form.get("To", ""),
        body=form.get("Body", ""),
        num_media=int(form.get("NumMedia", "0") or 0),
    )
    if await run_in_threadpool(record_sms, factory=ctx.db, sms=sms):
        if ctx.relay is not None:
            ctx.relay.wake()
        log.info("sms_received", message_sid=sms.message_sid)
    else:
        log.info("sms_duplicate", message_sid=sms.message_sid)
    return Response(_EMPTY_TWIML, media_type="text/xml")
