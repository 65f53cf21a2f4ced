"""Every admin change goes through here: the version check (If-Match) and the audit log (decision 0198).

Used alike by the API routes and the admin console's pages:

    from gateway.admin_changes import ChangeActor, guarded_change, fingerprint, VersionConflict

    saved = await guarded_change(
        ctx,
        actor=ChangeActor.web(agent),             # or ChangeActor.api(principal)
        object_type="case_type",
        object_id=type_id,                        # None for a create: taken from the answer's `id`
        action="update",                          # create | update | delete | revoke | invite | deactivate | ...
        expected_version=form_version,            # the token the admin saw; None: no check
        load_before=lambda: admin_objects.case_type(ctx, type_id),   # None for a create
        apply=lambda: ctx.cases.save_case_type(data=data, type_id=type_id),
    )

- `fingerprint(obj)` is an object's version token: a hash of its JSON as the owning service returns it. The API
  sends it as the `ETag` of an item (and `version` in lists); pages put it in a hidden field of the form.
- A stale `expected_version` raises `VersionConflict` (409 `version_conflict`, the current object and its
  version in `details`) before anything is written or changed.
- The entry is written (`pending`, with `before`) before `apply` runs and completed afterwards with `after` and
  the outcome: a change that happened is never missing from the log. Secrets are redacted before storing.
- The check and the change are two steps across two services: a change made by someone else between them is
  not seen (the residual race of decision 0198).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from chassis.logging import get_logger
from contracts import errors
from gateway import audit_log
from gateway.access import ApiPrincipal
from gateway.audit_log import AuditActor
from gateway.context import AppContext
from gateway.domain.audit import Outcome, as_json, etag, fingerprint, if_match_token, redact

__all__ = [
    "ChangeActor",
    "VersionConflict",
    "check_version",
    "etag",
    "fingerprint",
    "guarded_change",
    "if_match_token",
    "new_request_id",
]

log = get_logger(__name__)
T = TypeVar("T")
VersionConflict = errors.VersionConflict


@dataclass(frozen=True)
class ChangeActor:
    """Who makes an admin change, for the audit log."""

    type: str  # agent | api_key
    name: str
    channel: str  # api | web
    agent_id: int | None = None
    email: str | None = None
    api_key_id: int | None = None

    @classmethod
    def api(cls, who: ApiPrincipal) -> ChangeActor:
        """The caller of the API: the key's agent when it acts as one, else the key itself."""
        acts_as_agent = who.agent_id is not None or bool(who.agent_email)
        return cls(
            type="agent" if acts_as_agent else "api_key",
            name=who.name,
            channel="api",
            agent_id=who.agent_id,
            email=who.agent_email,
            api_key_id=who.key_id,
        )

    @classmethod
    def web(cls, agent: Mapping[str, Any]) -> ChangeActor:
        """The signed-in agent of the admin console (`gateway.ui.session.require_agent`)."""
        return cls(
            type="agent", name=str(agent["name"]), channel="web", agent_id=int(agent["id"]), email=agent["email"]
        )

    def audit(self) -> AuditActor:
        return AuditActor(
            type=self.type,
            agent_id=self.agent_id,
            name=self.name,
            email=self.email,
            channel=self.channel,
            api_key_id=self.api_key_id,
        )


def new_request_id() -> str:
    return uuid.uuid4().hex


def check_version(current: Any, expected_version: str | None) -> None:
    """Raise `VersionConflict` (current object and version in details) unless `current` is that version."""
    if expected_version is None:
        return
    version = fingerprint(current)
    if version != expected_version:
        raise VersionConflict(
            message="this was changed by someone else since you read it: look at the current version and try again",
            details={"current": redact(current), "version": version, "expected": expected_version},
        )


def _object_id(value: object) -> str | None:
    return None if value is None else str(value)


def _created_id(result: Any) -> str | None:
    found = as_json(result)
    return _object_id(found.get("id")) if isinstance(found, dict) else None


async def guarded_change(
    ctx: AppContext,
    *,
    actor: ChangeActor,
    object_type: str,
    object_id: object,
    action: str,
    expected_version: str | None,
    load_before: Callable[[], Awaitable[Any]] | None,
    apply: Callable[[], Awaitable[T]],
    request_id: str | None = None,
) -> T:
    """Check the version, write the entry, make the change, complete the entry; the change's answer.

    `load_before` raising (e.g. not_found) ends it there: nothing is written. `apply` raising a domain error
    completes the entry as `failed` (the service refused); any other error (no answer) as `unknown`."""
    before = await load_before() if load_before is not None else None
    if load_before is not None:
        check_version(before, expected_version)
    entry_id = await run_in_threadpool(
        audit_log.start,
        factory=ctx.db,
        actor=actor.audit(),
        object_type=object_type,
        object_id=_object_id(object_id),
        action=action,
        before=redact(before),
        request_id=request_id or new_request_id(),
    )
    try:
        result = await apply()
    except errors.DomainError as exc:
        await _finish(ctx, entry_id, Outcome.FAILED, error_code=exc.code)
        raise
    except BaseException:
        await _finish(ctx, entry_id, Outcome.UNKNOWN)
        raise
    finally:
        ctx.reference.forget()  # decision 0210: the next page shows the change (also one of unknown outcome)
    created = _created_id(result) if object_id is None else None
    await _finish(ctx, entry_id, Outcome.SUCCEEDED, after=redact(result), object_id=created)
    return result


async def _finish(ctx: AppContext, entry_id: int, outcome: str, **fields: Any) -> None:
    """Complete the entry; a failure here leaves it `pending` with its intent, and the change's answer stands."""
    try:
        await run_in_threadpool(audit_log.finish, factory=ctx.db, entry_id=entry_id, outcome=outcome, **fields)
    except Exception as exc:  # the change itself is made: its caller gets its answer
        log.warning("audit_entry_not_completed", entry_id=entry_id, outcome=outcome, error=str(exc))
