"""Server-side sessions in Redis, shared by both front ends (agent UI and customer portal).

The signed cookie (Starlette's SessionMiddleware) keeps only what is harmless to replay: a random session id,
the CSRF token and flash messages. Who is signed in lives in Redis under the hash of that id, so the server
decides when a session ends: signing out deletes it, and ending every session of one owner (an agent who
signs out everywhere, or is deactivated) deletes them all. A copied cookie stops working at once.

Sessions fail closed: when Redis cannot be reached, nobody is signed in (unlike the rate limits, which fail
open), because a session the server cannot check could be one it ended.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis as AsyncRedis
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from chassis.logging import get_logger

log = get_logger(__name__)

SESSION_ID_KEY = "sid"  # the key of the session id in the signed cookie
STATE_KEY = "server_session"  # where the middleware leaves the session's data for the request


class SessionStoreUnavailable(Exception):
    """Redis did not answer: the caller cannot know whether a session is live."""


class SessionStore:
    """Sessions with an absolute lifetime of `max_age` seconds, each belonging to one owner ("agent:7")."""

    def __init__(self, redis: AsyncRedis, *, prefix: str, max_age: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.max_age = max_age

    def _key(self, sid: str) -> str:
        # Redis holds the hash only: a dump of it signs nobody in
        return f"{self.prefix}:session:{hashlib.sha256(sid.encode()).hexdigest()[:40]}"

    def _owner_key(self, owner: str) -> str:
        return f"{self.prefix}:owner-sessions:{owner}"

    async def create(self, *, owner: str, data: dict[str, Any]) -> str:
        """A new live session; returns its id (for the cookie only)."""
        sid = secrets.token_urlsafe(32)
        key = self._key(sid)
        record = json.dumps({"owner": owner, "data": data})
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(key, record, ex=self.max_age)
                pipe.sadd(self._owner_key(owner), key)
                pipe.expire(self._owner_key(owner), self.max_age)
                await pipe.execute()
        except Exception as exc:
            raise SessionStoreUnavailable(str(exc)) from exc
        return sid

    async def get(self, sid: str) -> dict[str, Any] | None:
        """The data of a live session, or None when it ended, expired or never existed."""
        try:
            raw = await self.redis.get(self._key(sid))
        except Exception as exc:
            raise SessionStoreUnavailable(str(exc)) from exc
        if raw is None:
            return None
        data = json.loads(raw).get("data")
        return data if isinstance(data, dict) else None

    async def update(self, sid: str, data: dict[str, Any]) -> bool:
        """Replace a live session's data, keeping its owner and expiry; False when it has ended."""
        key = self._key(sid)
        try:
            raw = await self.redis.get(key)
            if raw is None:
                return False
            record = json.dumps({"owner": json.loads(raw).get("owner"), "data": data})
            return bool(await self.redis.set(key, record, xx=True, keepttl=True))
        except Exception as exc:
            raise SessionStoreUnavailable(str(exc)) from exc

    async def end(self, sid: str) -> None:
        """End one session (sign-out)."""
        key = self._key(sid)
        try:
            raw = await self.redis.getdel(key)
            if raw is not None:
                await self.redis.srem(self._owner_key(str(json.loads(raw).get("owner"))), key)
        except Exception as exc:
            raise SessionStoreUnavailable(str(exc)) from exc

    async def end_all(self, owner: str) -> int:
        """End every session of `owner`; returns how many were live."""
        try:
            keys = [
                k.decode() if isinstance(k, bytes) else str(k)
                for k in await self.redis.smembers(self._owner_key(owner))
            ]
            async with self.redis.pipeline(transaction=True) as pipe:
                for key in keys:
                    pipe.delete(key)
                pipe.delete(self._owner_key(owner))
                answers = await pipe.execute()
        except Exception as exc:
            raise SessionStoreUnavailable(str(exc)) from exc
        return sum(int(n) for n in answers[:-1])


def session_data(conn: HTTPConnection) -> dict[str, Any] | None:
    """The live server-side session of this request (found by `ServerSessionMiddleware`), or None."""
    found = conn.scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, dict) else None


def set_session_data(conn: HTTPConnection, data: dict[str, Any] | None) -> None:
    """What the rest of this request sees after a sign-in or sign-out."""
    conn.scope.setdefault("state", {})[STATE_KEY] = data


class ServerSessionMiddleware:
    """Looks the cookie's session id up in the store once per request (inside Starlette's SessionMiddleware).

    A session id the store no longer knows is dropped from the cookie, together with everything else in it.
    Paths under `skip_prefixes` (static files) are never looked up.
    """

    def __init__(
        self, app: ASGIApp, *, store: Callable[[Scope], SessionStore | None], skip_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.store = store
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not scope["path"].startswith(self.skip_prefixes or ("\0",)):
            cookie = scope.get("session")
            sid = cookie.get(SESSION_ID_KEY) if isinstance(cookie, dict) else None
            found: dict[str, Any] | None = None
            store = self.store(scope) if isinstance(sid, str) else None
            if store is not None and isinstance(sid, str) and isinstance(cookie, dict):
                try:
                    found = await store.get(sid)
                except SessionStoreUnavailable as exc:
                    log.warning("session_store_unavailable", error=str(exc))
                else:
                    if found is None:
                        cookie.clear()  # ended on the server: the copy in this cookie is worth nothing
            scope.setdefault("state", {})[STATE_KEY] = found
        await self.app(scope, receive, send)
