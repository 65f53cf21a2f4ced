"""The open-cases report is built from cases events only, whatever order and however often they arrive."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from conftest import CasesEvents, case, changed

from chassis.testing import SyncRpc
from contracts.cases import CaseCreated, CaseRead, MessageAdded, MessageRead

_ids = itertools.count(int(time.time()) % 100_000 * 10)
SUPPORT = {"id": 1, "name": "Support"}
BILLING = {"id": 2, "name": "Billing"}


def eventually(rpc: SyncRpc, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
    """The report once `check` holds for it (events are applied asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        report = rpc.call("reports", "open_cases_report")
        if check(report):
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"report never matched: {report}")
        time.sleep(0.1)


def test_open_cases_by_status_and_group_out_of_order_and_duplicates(rpc: SyncRpc, cases_events: CasesEvents) -> None:
    a, b, c, d = (next(_ids) for _ in range(4))
    cases_events.publish(CaseCreated(case=case(a, group=SUPPORT)))
    cases_events.publish(CaseCreated(case=case(b, group=SUPPORT)))
    created_c = cases_events.publish(CaseCreated(case=case(c, group=BILLING)))
    cases_events.publish(CaseCreated(case=case(d)))
    # the same event delivered twice counts once
    cases_events.publish(created_c)
    eventually(rpc, lambda r: r["total"] == 4)

    # b moves on to open (v2), then to waiting (v3); v2 arrives after v3 and must be ignored
    cases_events.publish(changed(case(b, version=3, status="waiting", group=SUPPORT), status="waiting"))
    cases_events.publish(changed(case(b, version=2, status="open", group=SUPPORT), status="open"))
    # c is resolved; a message_added carrying c's older snapshot must not reopen it
    cases_events.publish(changed(case(c, version=2, status="resolved", group=BILLING), status="resolved"))
    message = MessageRead.model_validate(
        {
            "id": next(_ids),
            "case_id": c,
            "author_type": "contact",
            "visibility": "public",
            "channel": "email",
            "created_at": datetime.now(UTC),
        }
    )
    cases_events.publish(MessageAdded(case=case(c, version=1, group=BILLING), message=message))
    # d gets a group through a message_added snapshot
    cases_events.publish(MessageAdded(case=case(d, version=2, status="open", group=BILLING), message=message))

    report = eventually(
        rpc,
        lambda r: (
            r["total"] == 3 and r["by_status"].get("waiting") == 1 and any(g["group_id"] == 2 for g in r["by_group"])
        ),
    )
    time.sleep(1.0)  # let any straggler (the stale v2, the old snapshot of c) be applied, if it were to be
    report = rpc.call("reports", "open_cases_report")
    assert report["total"] == 3
    assert report["by_status"] == {"new": 1, "open": 1, "waiting": 1, "dormant": 0}
    assert report["by_group"] == [
        {"group_id": 1, "group_name": "Support", "count": 2},
        {"group_id": 2, "group_name": "Billing", "count": 1},
    ]


def test_cases_without_a_group_are_reported_as_no_group(rpc: SyncRpc, cases_events: CasesEvents) -> None:
    before = rpc.call("reports", "open_cases_report")
    no_group_before = next((g["count"] for g in before["by_group"] if g["group_id"] is None), 0)
    cases_events.publish(CaseCreated(case=case(next(_ids))))

    report = eventually(rpc, lambda r: r["total"] == before["total"] + 1)
    [no_group] = [g for g in report["by_group"] if g["group_id"] is None]
    assert no_group == {"group_id": None, "group_name": "No group", "count": no_group_before + 1}


def test_a_caller_sees_no_group_hidden_from_them_but_their_own_cases(rpc: SyncRpc, cases_events: CasesEvents) -> None:
    """`hidden_group_ids`: those groups' open cases are left out of every figure, except cases assigned to
    `agent_id` (a restricted group's name and count reach only those who may see its cases)."""
    payroll = {"id": 9_001, "name": "Payroll"}
    theirs, mine = next(_ids), next(_ids)
    cases_events.publish(CaseCreated(case=case(theirs, group=payroll)))
    assigned = {**case(mine, group=payroll).model_dump(), "assignee": {"id": 77, "email": "a@x.no", "name": "A"}}
    mine_case = CaseRead.model_validate(assigned)
    cases_events.publish(CaseCreated(case=mine_case))
    everything = eventually(rpc, lambda r: any(g["group_id"] == 9_001 and g["count"] == 2 for g in r["by_group"]))

    hidden = rpc.call("reports", "open_cases_report", hidden_group_ids=[9_001])
    assert all(g["group_id"] != 9_001 for g in hidden["by_group"]) and "Payroll" not in str(hidden)
    assert hidden["total"] == everything["total"] - 2 == sum(hidden["by_status"].values())
    assignee = rpc.call("reports", "open_cases_report", hidden_group_ids=[9_001], agent_id=77)
    assert [g["count"] for g in assignee["by_group"] if g["group_id"] == 9_001] == [1]
    # by assignee keeps the same scope: agent 77's case is counted for them, left out for anyone else
    assert {"assignee_id": 77, "count": 1} in everything["by_assignee"]
    assert {"assignee_id": 77, "count": 1} in assignee["by_assignee"]
    assert all(a["assignee_id"] != 77 for a in hidden["by_assignee"])
    assert sum(a["count"] for a in hidden["by_assignee"]) == hidden["total"]
    assert assignee["total"] == everything["total"] - 1
    assert rpc.call("reports", "open_cases_report", hidden_group_ids=[]) == everything
