"""What the app holds for its lifetime: settings, the database, and the one RPC client of the process."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from fastapi import Request
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from chassis.db import make_engine, make_sessionmaker
from chassis.logging import get_logger
from chassis.outbox import OutboxRelay
from chassis.ratelimit import RateLimiter
from chassis.rpc_client import RpcClient
from chassis.sessions import SessionStore
from contracts.cases_client import CasesClient
from gateway import access
from gateway.db.models import OutboxMessage
from gateway.key_cache import VerifiedKeys
from gateway.presence import Presence
from gateway.realtime import AgentStreams
from gateway.reference_cache import ReferenceLists
from gateway.settings import GatewaySettings

log = get_logger(__name__)
ADMIN_EMAIL = "admin@example.com"
SEEDED_KEY_NAME = "admin (HELPDESK_API_KEY)"


@dataclass(frozen=True)
class AccountLimits:
    """Failed sign-ins (counted after each failure, checked before each try) and reset mails asked for."""

    signin_account: RateLimiter
    signin_address: RateLimiter
    reset_account: RateLimiter
    reset_address: RateLimiter

    @classmethod
    def build(cls, redis: AsyncRedis, settings: GatewaySettings) -> AccountLimits:
        prefix = settings.redis_prefix
        signin, reset = settings.signin_window_seconds, settings.reset_window_seconds
        return cls(
            signin_account=RateLimiter(
                redis, prefix=prefix, limit=settings.signin_failures_per_account, window_seconds=signin
            ),
            signin_address=RateLimiter(
                redis, prefix=prefix, limit=settings.signin_failures_per_address, window_seconds=signin
            ),
            reset_account=RateLimiter(
                redis, prefix=prefix, limit=settings.reset_requests_per_account, window_seconds=reset
            ),
            reset_address=RateLimiter(
                redis, prefix=prefix, limit=settings.reset_requests_per_address, window_seconds=reset
            ),
        )


@dataclass
class AppContext:
    settings: GatewaySettings
    engine: Engine
    db: sessionmaker[Session]
    rpc: RpcClient
    # the cases service's typed methods, over `rpc`
    cases: CasesClient = field(init=False, repr=False)
    # decision 0134: verified API keys, trusted for settings.api_key_cache_seconds
    keys: VerifiedKeys = field(default_factory=VerifiedKeys)
    # decision 0210: the admin's reference lists, kept for settings.reference_cache_seconds
    reference: ReferenceLists = field(init=False, repr=False)
    _connector: asyncio.Task[None] | None = field(default=None, repr=False)
    # publishes the gateway's own events (sms_received) from its outbox
    relay: OutboxRelay | None = field(default=None, repr=False)
    _relay_thread: threading.Thread | None = field(default=None, repr=False)
    # agents' open event streams, fed from notifications' agent_notified events
    streams: AgentStreams | None = field(default=None, repr=False)
    # the agent UI's sessions and the sign-in and reset throttles, in Redis (decision 0190)
    redis: AsyncRedis = field(init=False, repr=False)
    sessions: SessionStore = field(init=False, repr=False)
    limits: AccountLimits = field(init=False, repr=False)
    # who has which case open and who is typing on it, shared by every gateway process (decision 0247)
    presence: Presence = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.cases = CasesClient(self.rpc)
        self.reference = ReferenceLists(self.cases, ttl=self.settings.reference_cache_seconds)
        # connects on first use: the app starts (and serves /healthz) without Redis
        self.redis = AsyncRedis.from_url(self.settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.sessions = SessionStore(
            self.redis, prefix=self.settings.redis_prefix, max_age=self.settings.session_max_age
        )
        self.limits = AccountLimits.build(self.redis, self.settings)
        self.presence = Presence(
            self.redis,
            prefix=self.settings.redis_prefix,
            ttl_seconds=self.settings.presence_ttl_seconds,
            typing_seconds=self.settings.typing_seconds,
        )

    @classmethod
    def build(cls, settings: GatewaySettings) -> AppContext:
        engine = make_engine(settings.db_url)
        rpc = RpcClient(settings.amqp_uri, timeout=settings.rpc_timeout, name="gateway")
        keys = VerifiedKeys(ttl=settings.api_key_cache_seconds)
        return cls(settings=settings, engine=engine, db=make_sessionmaker(engine), rpc=rpc, keys=keys)

    async def start(self) -> None:
        """Connect to the broker in the background, so the app serves /healthz (as failing) meanwhile."""
        if self.settings.api_key:
            # HELPDESK_API_KEY is configuration: it works whether or not `seed` ran with it (compose sets it here)
            await run_in_threadpool(
                access.ensure_api_key,
                factory=self.db,
                name=SEEDED_KEY_NAME,
                secret=self.settings.api_key,
                is_admin=True,
                agent_email=ADMIN_EMAIL,
            )
        self._connector = asyncio.create_task(self._connect_with_retry())
        self.relay = OutboxRelay(
            service=self.settings.service_name,
            session_factory=self.db,
            model=OutboxMessage,
            amqp_uri=self.settings.amqp_uri,
        )
        self._relay_thread = self.relay.start_thread()
        self.streams = AgentStreams(self.settings.amqp_uri)
        self.streams.start()

    async def _connect_with_retry(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.rpc.connect()
                log.info("broker_connected")
                return
            except Exception as exc:  # the broker may still be starting (compose, k8s): keep trying
                log.warning("broker_connect_failed", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def stop(self) -> None:
        if self._connector is not None and not self._connector.done():
            self._connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connector
        await self.rpc.close()
        if self.streams is not None:
            await self.streams.stop()
        if self.relay is not None and self._relay_thread is not None:
            self.relay.stop()
            await asyncio.to_thread(self._relay_thread.join, 5)
            self.relay.publisher.close()
        await self.redis.aclose()
        self.engine.dispose()


async def get_context(request: Request) -> AppContext:
    """FastAPI dependency: the app's context (async: a plain `def` dependency costs a threadpool hop per request)."""
    ctx: AppContext = request.app.state.ctx
    return ctx
