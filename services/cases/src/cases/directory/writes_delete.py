"""Deleting a group: refused while cases, tasks or templates name it; its SLA policies go with it."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from cases.case.tables import Case
from cases.common.rows import get_row
from cases.common.runtime import Runtime
from cases.directory.tables import Group, GroupMember
from cases.sla import writes as service
from cases.sla import writes_jobs as jobs
from cases.sla.tables import SlaPolicy
from cases.sla.writes_admin import cases_under
from cases.tasks.tables import CaseTask
from cases.templates.tables import CaseTemplate
from contracts import errors


def delete_group(*, runtime: Runtime, group_id: int) -> None:
    """Delete a group; its SLA policies go with it (the foreign key cascades) and their cases are recomputed.

    Refused while cases, tasks or templates still name the group: moving them is a change of each case
    (history, events, SLA), which the case API does one by one.
    """

    with runtime.transaction() as session:
        get_row(session, Group, group_id, "group")
        used = {
            what: session.scalar(select(func.count()).select_from(model).where(model.group_id == group_id)) or 0
            for what, model in (("cases", Case), ("tasks", CaseTask), ("templates", CaseTemplate))
        }
        if any(used.values()):
            named = ", ".join(f"{n} {what}" for what, n in used.items() if n)
            raise errors.ValidationFailed(
                message=f"group {group_id} is still used by {named}: move them to another group first",
                details={"group_id": group_id, **used},
            )
        policies = list(session.scalars(select(SlaPolicy).where(SlaPolicy.group_id == group_id)))
        criteria = [service.criteria_of(p) for p in policies]
        cases = cases_under(session, [p.id for p in policies])
        session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
        session.execute(delete(SlaPolicy).where(SlaPolicy.group_id == group_id))  # what the cascade would do
        session.execute(delete(Group).where(Group.id == group_id))
        service.forget_policies(session)
        jobs.reapply(session, criteria, reason=f"group {group_id} deleted", extra_case_ids=cases)
