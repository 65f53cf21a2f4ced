"""The "SLA at risk" folder's count (decision 0145): open cases the viewer may see whose SLA
state is warning or breached, capped like every view's count and read from `ix_case_sla_state`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.search import reads_listing as listing
from cases.search.reads_filters import is_open, load_scope, visible
from contracts.search import Count, Viewer

AT_RISK_STATES = ("warning", "breached")  # the agent UI's `?sla=at_risk` filter (gateway.ui.inbox.SLA_FILTERS)


def at_risk_count(*, session: Session, viewer: Viewer) -> Count:
    scope = load_scope(session, viewer)
    return listing.capped_count(session, [visible(scope), is_open(), Case.sla_state.in_(AT_RISK_STATES)])
