"""The dashboard's figures and planner, and the case lists they link to (decision 0243).

Every figure comes from what already exists: the inbox views' counts and the SLA at-risk count (cases service,
current), and the open-cases report (reports service: by status and by assignee, a read model that follows
the cases' events a moment behind). The data access is all here, so a richer report read model can replace it
without touching the page. One page load makes five RPC calls, whatever the number of cases or agents:
views, SLA at-risk count, the report, one page of open cases for the planner, and either the groups (an
agent: the report leaves out restricted groups they are not in) or the agents' names (an admin).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from chassis.rpc_client import RpcClient
from contracts import cases as c
from contracts import search as s
from contracts.cases_client import CasesClient
from contracts.reports import OpenCasesReport
from gateway import handlers

OPEN = [c.Status.NEW, c.Status.OPEN, c.Status.WAITING, c.Status.DORMANT]
PLANNER_DAYS = 14
# the planner reads one page of open cases (the API's page size limit), the most recently active first
PLANNER_SCAN = 100


def list_url(**params: str | int | list[str]) -> str:
    """A case-list URL in the API's filter names (`status`, `assignee`, ...; see `ui.list_query`)."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        pairs += [(name, str(v)) for v in value] if isinstance(value, list) else [(name, str(value))]
    return "/?" + urlencode(pairs)


OPEN_PARAMS = [x.value for x in OPEN]


@dataclass
class Figure:
    label: str
    count: int
    url: str
    capped: bool = False  # the count stopped at the view's cap: "N+"
    hint: str = ""


@dataclass
class PlannerItem:
    when: datetime
    kind: str  # "due" or "wakes"
    case: c.CaseRead


@dataclass
class Dashboard:
    figures: list[Figure]
    report: OpenCasesReport
    by_status: list[Figure]
    per_agent: list[Figure] = field(default_factory=list)  # admins only (the manager view)
    planner: list[PlannerItem] = field(default_factory=list)
    planner_scanned_all: bool = True  # False: more open cases than the planner reads


async def load(
    *, rpc: RpcClient, cases: CasesClient, viewer: s.Viewer, labels: dict[str, str], now: datetime
) -> Dashboard:
    """The caller's dashboard: only the cases `viewer` may see are counted and listed."""
    agents_call = cases.list_agents() if viewer.is_admin else _nothing()
    views, at_risk, report, recent, agents = await asyncio.gather(
        cases.list_views(viewer=viewer),
        cases.sla_at_risk_count(viewer=viewer),
        handlers.open_cases_report(rpc=rpc, cases=cases, viewer=viewer),
        cases.list_cases(
            filters=c.CaseFilter(statuses=OPEN, sort=c.CaseSort.UPDATED_DESC, limit=PLANNER_SCAN), viewer=viewer
        ),
        agents_call,
    )
    counts = {v.key: v for v in views.items}
    unassigned = next((a.count for a in report.by_assignee if a.assignee_id is None), 0)
    figures = [
        _view_figure(counts.get("open"), "Unresolved", "/?view=open", "All open cases"),
        Figure(
            "Unassigned",
            unassigned,
            list_url(status=OPEN_PARAMS, assignee="none"),
            hint="Open, nobody assigned",
        ),
        _view_figure(counts.get("unanswered"), "Customer replied", "/?view=unanswered", "Yours, waiting on us"),
        Figure("SLA at risk", at_risk.count, "/?sla=at_risk", hint="Warning or breached"),
    ]
    by_status = [Figure(labels.get(k, k), n, list_url(status=k)) for k, n in report.by_status.items()]
    names = {a.id: a.name for a in agents or []}
    per_agent = [
        Figure(
            names.get(a.assignee_id, f"Agent {a.assignee_id}"),
            a.count,
            list_url(status=OPEN_PARAMS, assignee=a.assignee_id),
        )
        for a in report.by_assignee
        if a.assignee_id is not None and viewer.is_admin
    ]
    return Dashboard(
        figures=figures,
        report=report,
        by_status=by_status,
        per_agent=per_agent,
        planner=planner(recent.items, now),
        planner_scanned_all=recent.next is None,
    )


def planner(items: list[c.CaseRead], now: datetime, days: int = PLANNER_DAYS) -> list[PlannerItem]:
    """Due dates and dormant wake-ups from now to `days` ahead (an overdue due date too: it still needs doing),
    soonest first."""
    end = now + timedelta(days=days)
    found: list[PlannerItem] = []
    for case in items:
        if case.due_at is not None and case.due_at < end:
            found.append(PlannerItem(case.due_at, "due", case))
        if case.status is c.Status.DORMANT and case.dormant_until is not None and now <= case.dormant_until < end:
            found.append(PlannerItem(case.dormant_until, "wakes", case))
    found.sort(key=lambda p: (p.when, p.case.number))
    return found


def _view_figure(view: s.ViewRead | None, label: str, url: str, hint: str) -> Figure:
    if view is None:
        return Figure(label, 0, url, hint=hint)
    return Figure(label, view.count, url, capped=view.capped, hint=hint)


async def _nothing() -> None:
    return None
