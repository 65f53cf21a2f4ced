"""Bulk changes to cases, shared by the REST API and the agent UI (decision 0237).

Each case is read as the caller may see it (a hidden case answers not_found, as a missing one does), then
changed by its own `update_case` or `merge_cases`, a few at a time. A case's refusal (a version conflict, an
invalid move, a light agent as assignee) is that case's result; the other cases are changed all the same.
"""

from __future__ import annotations

import asyncio

from contracts import cases as c
from contracts import errors
from contracts import search as s
from gateway.context import AppContext
from gateway.domain import case_bulk as rules
from gateway.domain.case_bulk import BulkAnswer, BulkRequest, BulkResult

AT_ONCE = 4  # cases changed concurrently: enough to hide the RPC round trips, few enough to leave the worker room


async def _change_one(
    ctx: AppContext, request: BulkRequest, case_id: int, viewer: s.Viewer, actor: c.Actor
) -> BulkResult:
    number: int | None = None
    try:
        current = await ctx.cases.get_case(case_id=case_id, viewer=viewer)
        number = current.number
        changes = request.changes
        if changes.merge_into is not None:
            if case_id == changes.merge_into:
                return rules.ok(case_id, current)  # the case the others merge into
            merged = await ctx.cases.merge_cases(case_id=changes.merge_into, duplicate_id=case_id, actor=actor)
            return rules.ok(case_id, merged)
        expected = request.versions.get(case_id)
        if expected is None and rules.needs_tags(changes):
            expected = current.version  # the tags read here are the ones changed: nobody else's meanwhile
        update = rules.case_update(changes, current.tags)
        changed = await ctx.cases.update_case(case_id=case_id, changes=update, expected_version=expected, actor=actor)
        return rules.ok(case_id, changed)
    except errors.DomainError as exc:
        return rules.failed(case_id, exc, number)


async def apply(ctx: AppContext, *, request: BulkRequest, viewer: s.Viewer, actor: c.Actor) -> BulkAnswer:
    """Make `request.changes` to each case named; one result per case, in the order named."""
    ids = rules.case_ids(request)
    target = request.changes.merge_into
    if target is not None:
        # a case the caller may not see answers not_found as a missing one does (decision 0192)
        await ctx.cases.get_case(case_id=target, viewer=viewer)
    # merges one after another: each locks the case merged into
    gate = asyncio.Semaphore(1 if target is not None else AT_ONCE)

    async def one(case_id: int) -> BulkResult:
        async with gate:
            return await _change_one(ctx, request, case_id, viewer, actor)

    return rules.answer(list(await asyncio.gather(*(one(i) for i in ids))))
