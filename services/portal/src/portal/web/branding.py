"""The portal's branding (D1): fetched from cases per organisation, kept for a few seconds, and applied through
a generated stylesheet (custom properties), never inline styles, so the strict CSP holds (decision 0253)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from chassis.logging import get_logger
from chassis.sessions import session_data
from contracts import errors
from contracts.cases_client import ContactCasesClient
from contracts.portal import BrandingRead, header_ink

log = get_logger(__name__)

DEFAULT_TITLE = "Support portal"
FAILURE_PAUSE_SECONDS = 15.0


@dataclass(frozen=True)
class Branding:
    """What a page shows: texts, the stylesheet's address, the logo's address (None: no logo)."""

    organisation_id: int | None = None
    title: str = DEFAULT_TITLE
    welcome: str = ""
    footer: str = ""
    css: str = ""
    logo: bytes | None = None
    logo_type: str | None = None
    version: str = "0"

    @property
    def query(self) -> str:
        """The query string of the stylesheet's and the logo's address: the organisation and a version, so a
        browser may cache them and still sees a change at once."""
        org = f"o={self.organisation_id}&" if self.organisation_id is not None else ""
        return f"{org}v={self.version}"


def _css(read: BrandingRead) -> str:
    lines = []
    if read.accent_colour:
        lines.append(f"  --accent: {read.accent_colour};")
    if read.header_colour:
        lines.append(f"  --header-bg: {read.header_colour};")
        lines.append(f"  --header-ink: {header_ink(read.header_colour)};")
    return ":root {\n" + "\n".join(lines) + "\n}\n" if lines else ""


def from_read(read: BrandingRead) -> Branding:
    logo, logo_type = None, None
    if read.logo is not None:
        try:
            logo, logo_type = base64.b64decode(read.logo.data_base64), read.logo.content_type
        except (binascii.Error, ValueError):
            logo = None
    css = _css(read)
    fingerprint = hashlib.sha256(f"{read.model_dump_json(exclude={'logo'})}{len(logo or b'')}".encode())
    return Branding(
        organisation_id=read.organisation_id,
        title=read.title or DEFAULT_TITLE,
        welcome=read.welcome,
        footer=read.footer,
        css=css,
        logo=logo,
        logo_type=logo_type,
        version=fingerprint.hexdigest()[:12],
    )


@dataclass
class BrandingCache:
    """Effective branding per organisation (None: the default), reused for `ttl` seconds. When cases cannot
    answer, the last known branding (or the plain default) is shown: looks never stop a page."""

    cases: ContactCasesClient
    ttl: float
    # organisation -> (good until, on the monotonic clock; the branding)
    _entries: dict[int | None, tuple[float, Branding]] = field(default_factory=dict)

    async def get(self, organisation_id: int | None) -> Branding:
        now = time.monotonic()
        cached = self._entries.get(organisation_id)
        if cached is not None and now < cached[0]:
            return cached[1]
        try:
            read = await self.cases.get_portal_branding(organisation_id=organisation_id, effective=True)
        except errors.DomainError as exc:
            log.warning("branding_unavailable", code=exc.code, organisation_id=organisation_id)
            if exc.code == errors.NOT_FOUND and organisation_id is not None:
                return await self.get(None)  # the organisation is gone: the default
            fallback = cached[1] if cached else Branding()
            # while cases does not answer, pages do not each wait for it: ask again after a pause
            self._entries[organisation_id] = (now + FAILURE_PAUSE_SECONDS, fallback)
            return fallback
        branding = from_read(read)
        self._entries[organisation_id] = (now + self.ttl, branding)
        return branding


class BrandingMiddleware:
    """Looks up the branding of the signed-in contact's organisation (or the default) for every page, once,
    into `request.state.branding`; inside the session middleware, outside the routes."""

    def __init__(self, app: ASGIApp, skip_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        ctx = getattr(scope["app"].state, "ctx", None)
        cache = getattr(ctx, "branding", None)
        if isinstance(cache, BrandingCache):
            scope.setdefault("state", {})["branding"] = await cache.get(_organisation_of(scope))
        await self.app(scope, receive, send)


def _organisation_of(scope: Scope) -> int | None:
    data = session_data(HTTPConnection(scope))
    value = data.get("organisation_id") if data else None
    return value if isinstance(value, int) else None
