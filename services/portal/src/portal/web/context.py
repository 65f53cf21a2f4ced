"""What one portal process holds for its lifetime (built in the lifespan, one of each)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fastapi import Request
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chassis.outbox import OutboxRelay
from chassis.ratelimit import RateLimiter
from chassis.rpc_client import RpcClient
from chassis.sessions import SessionStore
from contracts.cases_client import ContactCasesClient
from portal.settings import PortalSettings
from portal.web.branding import BrandingCache


@dataclass(frozen=True)
class SignInLimits:
    """Failed password sign-ins (checked before each try, counted after each failure) and password-link mails
    asked for, each per e-mail address typed in and per client address (decision 0251)."""

    signin_account: RateLimiter
    signin_address: RateLimiter
    link_account: RateLimiter
    link_address: RateLimiter

    @classmethod
    def build(cls, redis: AsyncRedis, settings: PortalSettings) -> SignInLimits:
        def limiter(limit: int, window: int) -> RateLimiter:
            return RateLimiter(redis, prefix=settings.redis_prefix, limit=limit, window_seconds=window)

        signin, links = settings.signin_window_seconds, settings.password_links_window_seconds
        return cls(
            signin_account=limiter(settings.signin_failures_per_account, signin),
            signin_address=limiter(settings.signin_failures_per_address, signin),
            link_account=limiter(settings.password_links_per_account, links),
            link_address=limiter(settings.password_links_per_address, links),
        )


@dataclass
class PortalContext:
    settings: PortalSettings
    engine: Engine
    session_factory: sessionmaker[Session]
    relay: OutboxRelay
    relay_thread: threading.Thread
    rpc: RpcClient
    # the portal's only door to the cases service: the contact-scoped methods, typed (D10)
    cases: ContactCasesClient
    link_limiter: RateLimiter
    # who is signed in: server-side sessions, ended on sign-out (decision 0190)
    sessions: SessionStore
    limits: SignInLimits
    branding: BrandingCache
    # department forms sent per contact (None: unlimited, in tests that build a context by hand)
    form_limiter: RateLimiter | None = None


def get_context(request: Request) -> PortalContext:
    """FastAPI dependency: the process-wide context."""
    ctx: PortalContext = request.app.state.ctx
    return ctx
