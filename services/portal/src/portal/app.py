"""The portal's FastAPI app: lifespan (one RPC client, one relay thread, one Redis pool), middleware, routers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Scope

from chassis.db import make_engine, make_sessionmaker, ping
from chassis.heap import freeze_startup_heap
from chassis.logging import configure_logging, get_logger
from chassis.outbox import OutboxRelay
from chassis.ratelimit import RateLimiter
from chassis.rpc_client import RpcClient
from chassis.sessions import ServerSessionMiddleware, SessionStore
from chassis.web import mount_ops
from chassis.web_security import SecurityHeadersMiddleware, security_headers
from contracts.cases_client import ContactCasesClient
from portal.db.models import OutboxMessage
from portal.settings import PortalSettings
from portal.web import auth_routes, branding_routes, case_link_routes, case_routes, form_routes, password_routes
from portal.web.branding import BrandingCache, BrandingMiddleware
from portal.web.context import PortalContext, SignInLimits
from portal.web.errors import install_portal_error_handlers

log = get_logger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: PortalSettings) -> FastAPI:
    """The app; its connections open in the lifespan, so building it does no I/O."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.db_url)
        session_factory = make_sessionmaker(engine)
        relay = OutboxRelay(
            service=settings.service_name,
            session_factory=session_factory,
            model=OutboxMessage,
            amqp_uri=settings.amqp_uri,
        )
        relay_thread = relay.start_thread()
        rpc = RpcClient(settings.amqp_uri, timeout=settings.rpc_timeout_seconds, name="portal")
        await rpc.connect()
        redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        limiter = RateLimiter(
            redis,
            prefix=settings.redis_prefix,
            limit=settings.magic_link_rate_limit,
            window_seconds=settings.magic_link_rate_window_seconds,
        )
        cases = ContactCasesClient(rpc)
        app.state.ctx = PortalContext(
            settings=settings,
            engine=engine,
            session_factory=session_factory,
            relay=relay,
            relay_thread=relay_thread,
            rpc=rpc,
            cases=cases,
            link_limiter=limiter,
            sessions=SessionStore(redis, prefix=settings.redis_prefix, max_age=settings.session_max_age_seconds),
            limits=SignInLimits.build(redis, settings),
            branding=BrandingCache(cases, ttl=settings.branding_cache_seconds),
            form_limiter=RateLimiter(
                redis,
                prefix=settings.redis_prefix,
                limit=settings.form_submit_rate_limit,
                window_seconds=settings.form_submit_rate_window_seconds,
            ),
        )
        log.info("portal_started", host=settings.host, port=settings.port, public_url=settings.public_url)
        freeze_startup_heap()  # decision 0161
        try:
            yield
        finally:
            relay.stop()
            await asyncio.to_thread(relay_thread.join, 5)
            relay.publisher.close()
            await rpc.close()
            await redis.aclose()
            engine.dispose()

    app = FastAPI(title="Help desk portal", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    async def database() -> str:
        return await asyncio.to_thread(ping, app.state.ctx.engine)

    async def broker() -> str:
        return "ok" if app.state.ctx.rpc.connected else "failing: not connected"

    async def outbox_relay() -> str:
        return "ok" if app.state.ctx.relay_thread.is_alive() else "failing: relay thread not running"

    install_portal_error_handlers(app)
    mount_ops(app, settings.service_name, {"database": database, "broker": broker, "outbox_relay": outbox_relay})
    # innermost: the signed-in contact's organisation (from the session) decides which branding a page shows
    app.add_middleware(BrandingMiddleware, skip_prefixes=("/static/", "/healthz", "/metrics", "/branding"))
    # inside the cookie's middleware: looks the cookie's session id up in Redis, once per request
    app.add_middleware(
        ServerSessionMiddleware, store=_session_store, skip_prefixes=("/static/", "/healthz", "/metrics")
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=settings.session_cookie,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    # a magic link's token is in the URL: never let it travel on in a Referer
    app.add_middleware(SecurityHeadersMiddleware, headers=security_headers(referrer_policy="no-referrer"))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth_routes.router)
    app.include_router(password_routes.router)
    app.include_router(branding_routes.router)
    app.include_router(case_routes.router)
    app.include_router(case_link_routes.router)
    app.include_router(form_routes.router)  # department forms
    return app


def _session_store(scope: Scope) -> SessionStore | None:
    ctx = getattr(scope["app"].state, "ctx", None)
    return ctx.sessions if isinstance(ctx, PortalContext) else None


def main() -> None:
    """`python -m portal web`: uvicorn on PORTAL_HOST:PORTAL_PORT, plain asyncio (never eventlet)."""
    settings = PortalSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None, proxy_headers=True)
