"""What one portal process holds for its lifetime (built in the lifespan, one of each)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chassis.outbox import OutboxRelay
from chassis.ratelimit import RateLimiter
from chassis.rpc_client import RpcClient
from chassis.sessions import SessionStore
from contracts.cases_client import ContactCasesClient
from portal.settings import PortalSettings


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
    # department forms sent per contact (None: unlimited, in tests that build a context by hand)
    form_limiter: RateLimiter | None = None


def get_context(request: Request) -> PortalContext:
    """FastAPI dependency: the process-wide context."""
    ctx: PortalContext = request.app.state.ctx
    return ctx
