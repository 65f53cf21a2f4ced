"""The `case_facts` RPC: the facts of a page of cases, for consumers of `cases_imported` (decision 0143).

A bulk load emits one event per batch with only the case ids (decision 0081); the reports read model
asks here for what a `case_created` snapshot would have told it, at most `CASE_FACTS_MAX` ids a call,
in one statement.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.directory.tables import Group
from contracts.bulk import CASE_FACTS_MAX, CaseFacts, CaseFactsPage
from contracts.errors import ValidationFailed


def case_facts(*, session: Session, case_ids: list[int]) -> CaseFactsPage:
    """The facts of the cases among `case_ids` (id order); the ids of cases that do not exist in `missing`."""
    if len(case_ids) > CASE_FACTS_MAX:
        raise ValidationFailed(
            message=f"at most {CASE_FACTS_MAX} case ids per call, {len(case_ids)} given: ask in pages",
            details={"case_ids": len(case_ids), "max": CASE_FACTS_MAX},
        )
    wanted = sorted(set(case_ids))
    if not wanted:
        return CaseFactsPage(items=[])
    rows = session.execute(
        select(
            Case.id,
            Case.number,
            Case.status,
            Case.priority,
            Case.group_id,
            Group.name,
            Case.assignee_id,
            Case.requester_id,
            Case.version,
            Case.created_at,
            Case.updated_at,
        )
        .outerjoin(Group, Group.id == Case.group_id)
        .where(Case.id.in_(wanted))
        .order_by(Case.id)
    ).all()
    items = [
        CaseFacts(
            id=r[0],
            number=r[1],
            status=r[2],
            priority=r[3],
            group_id=r[4],
            group_name=r[5],
            assignee_id=r[6],
            requester_id=r[7],
            version=r[8],
            created_at=r[9],
            updated_at=r[10],
        )
        for r in rows
    ]
    found = {f.id for f in items}
    return CaseFactsPage(items=items, missing=[i for i in wanted if i not in found])
