"""What one portal process holds for its lifetime (built in the lifespan, one of each)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chassis.outbox import OutboxRelay
from chassis.ratelimit import RateLimiter
from portal.cases_client import CasesClient
from portal.settings import PortalSettings


@dataclass
class PortalContext:
    settings: PortalSettings
    engine: Engine
    session_factory: sessionmaker[Session]
    relay: OutboxRelay
    relay_thread: threading.Thread
    cases: CasesClient
    link_limiter: RateLimiter


def get_context(request: Request) -> PortalContext:
    """FastAPI dependency: the process-wide context."""
    ctx: PortalContext = request.app.state.ctx
    return ctx
