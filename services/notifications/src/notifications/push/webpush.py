"""Web Push to agents' browsers (E2): the VAPID key, subscriptions, and sending one push.

A push is a delivery like a mail (channel `push`, recipient `push:<subscription id>`): queued in the
handler's transaction (`alerts.fan_out`), sent by the same sender loop with the same retries and dead letters. The
payload is encrypted for the browser (RFC 8291, aes128gcm) and the request signed with our VAPID key
(RFC 8292) by pywebpush. A push service answering 404 or 410 says the subscription is gone: it is
deleted. Decision 0097.
"""

from __future__ import annotations

import binascii
import os
import threading
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chassis.db import dialect_insert, utcnow
from chassis.logging import get_logger
from contracts.errors import SERVICE_UNAVAILABLE, DomainError, NotFound, ValidationFailed
from contracts.notifications import PushSubscriptionCreate, PushSubscriptionRead
from notifications.db.models import Delivery, PushSubscription
from notifications.deliveries.rules import SendFailure
from notifications.push import rules
from notifications.settings import NotificationsSettings

log = get_logger(__name__)

CHANNEL = rules.CHANNEL
KEY_FILE = ".vapid-private-key"

_lock = threading.Lock()
_keys: dict[str, Vapid] = {}


class PushFailed(Exception):
    """A push that did not go; `send_failure` says whether to retry (read by `deliveries.rules.classify`)."""

    def __init__(self, failure: SendFailure) -> None:
        super().__init__(failure.reason)
        self.send_failure = failure


# -- the VAPID key ------------------------------------------------------------------------------


def vapid(settings: NotificationsSettings) -> Vapid:
    """Our VAPID key: from the settings, else generated once into var/ (never in production)."""
    raw = settings.vapid_private_key.strip() or _generated_key(settings)
    with _lock:
        key = _keys.get(raw)
        if key is None:
            try:
                key = Vapid.from_pem(raw.encode()) if raw.startswith("-----BEGIN") else Vapid.from_raw(raw.encode())
            except (ValueError, TypeError, binascii.Error) as exc:
                raise DomainError(SERVICE_UNAVAILABLE, f"the VAPID private key is unreadable: {exc}") from None
            _keys[raw] = key
        return key


def public_key(settings: NotificationsSettings) -> str:
    """The VAPID public key as browsers want it (`applicationServerKey`): uncompressed point, base64url."""
    point = vapid(settings).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return rules.b64(point)


def _generated_key(settings: NotificationsSettings) -> str:
    if settings.env == "production":
        raise DomainError(SERVICE_UNAVAILABLE, "Web Push is not configured (NOTIFICATIONS_VAPID_PRIVATE_KEY)")
    path = Path(settings.var_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        number = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
        try:  # O_EXCL: when two processes start at once, the first key wins and both use it
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(rules.b64(number.to_bytes(32, "big")))
            log.info("vapid_key_generated", path=str(path))
    return path.read_text().strip()


# -- subscriptions ------------------------------------------------------------------------------


def subscribe(
    *, session: Session, settings: NotificationsSettings, agent_id: int, data: PushSubscriptionCreate, user_agent: str
) -> PushSubscriptionRead:
    """Store (or take over) a browser's subscription for the agent."""
    _validate(settings, data)
    values = {
        "agent_id": agent_id,
        "p256dh": data.keys.p256dh,
        "auth": data.keys.auth,
        "user_agent": user_agent[:300],
    }
    stmt = dialect_insert(session, PushSubscription.__table__).values(
        endpoint=data.endpoint, created_at=utcnow(), **values
    )
    session.execute(stmt.on_conflict_do_update(index_elements=["endpoint"], set_=values))
    row = session.scalars(select(PushSubscription).where(PushSubscription.endpoint == data.endpoint)).one()
    log.info("push_subscribed", agent_id=agent_id, subscription_id=row.id)
    return PushSubscriptionRead.model_validate(row, from_attributes=True)


def unsubscribe(*, session: Session, agent_id: int, endpoint: str) -> None:
    """Forget one of the agent's browsers; NotFound when the agent has no such subscription."""
    result = session.execute(
        delete(PushSubscription).where(PushSubscription.agent_id == agent_id, PushSubscription.endpoint == endpoint)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(message="no such push subscription", details={"endpoint": endpoint})


def list_subscriptions(*, session: Session, agent_id: int) -> list[PushSubscriptionRead]:
    rows = session.scalars(
        select(PushSubscription).where(PushSubscription.agent_id == agent_id).order_by(PushSubscription.id)
    )
    return [PushSubscriptionRead.model_validate(r, from_attributes=True) for r in rows]


def _validate(settings: NotificationsSettings, data: PushSubscriptionCreate) -> None:
    problems = rules.subscription_problems(data, production=settings.env == "production")
    if problems:
        raise ValidationFailed(message="invalid push subscription", details=problems)


# -- sending ----------------------------------------------------------------------------------


def subscriptions_of(*, session: Session, agent_ids: list[int]) -> dict[int, list[int]]:
    """The subscription ids of several agents in one query: {agent_id: [id, ...]} (agents without: absent)."""
    found: dict[int, list[int]] = {}
    if not agent_ids:
        return found
    rows = session.execute(
        select(PushSubscription.agent_id, PushSubscription.id)
        .where(PushSubscription.agent_id.in_(agent_ids))
        .order_by(PushSubscription.id)
    )
    for agent_id, subscription_id in rows:
        found.setdefault(agent_id, []).append(subscription_id)
    return found


def send(*, session: Session, settings: NotificationsSettings, delivery: Delivery) -> None:
    """Push one delivery to its browser; PushFailed (temporary or not) when that did not work."""
    subscription = session.get(PushSubscription, rules.subscription_id(delivery.recipient))
    if subscription is None:
        raise PushFailed(SendFailure(temporary=False, reason="push subscription removed"))
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(
            subscription_info=info,
            data=(delivery.raw_message or b"{}").decode(),
            vapid_private_key=vapid(settings),
            vapid_claims={"sub": settings.vapid_subject},  # a fresh dict: pywebpush adds aud and exp to it
            timeout=settings.push_timeout,
            ttl=settings.push_ttl_seconds,
            headers={"Urgency": "high"},
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            # the browser unsubscribed or the subscription expired: it never works again
            session.delete(subscription)
            log.info("push_subscription_gone", subscription_id=subscription.id, status=status)
            raise PushFailed(SendFailure(temporary=False, reason=f"push subscription gone: {status}")) from None
        temporary = status is None or status == 429 or status >= 500
        text = (exc.response.text if exc.response is not None else str(exc))[:300]
        raise PushFailed(SendFailure(temporary=temporary, reason=f"push service: {status}: {text}")) from None
    except requests.RequestException as exc:
        reason = f"push service unreachable: {type(exc).__name__}: {exc}"[:500]
        raise PushFailed(SendFailure(temporary=True, reason=reason)) from None
