"""Reads of templates, canned replies and recurring cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.common import repo
from cases.templates.tables import CannedReply, CaseOrigin, CaseTemplate, Recurrence
from contracts.case_work import CannedReplyRead, RecurrenceRead, TemplateRead
from contracts.errors import NotFound


def template_read(row: CaseTemplate) -> TemplateRead:
    return TemplateRead.model_validate(row, from_attributes=True)


def list_templates(*, session: Session) -> list[TemplateRead]:
    return [template_read(t) for t in session.scalars(select(CaseTemplate).order_by(CaseTemplate.name))]


def get_template(*, session: Session, template_id: int) -> CaseTemplate:
    row = session.get(CaseTemplate, template_id)
    if row is None:
        raise NotFound(message=f"template {template_id} not found", details={"template_id": template_id})
    return row


def template_of_case(*, session: Session, case_id: int) -> TemplateRead | None:
    """The template a case was made from (its instructions help the agent), or None."""
    repo.require_case(session, case_id)
    origin = session.get(CaseOrigin, case_id)
    if origin is None or origin.template_id is None:
        return None
    return template_read(get_template(session=session, template_id=origin.template_id))


def list_canned_replies(*, session: Session) -> list[CannedReplyRead]:
    rows = session.scalars(select(CannedReply).order_by(CannedReply.title))
    return [CannedReplyRead.model_validate(r, from_attributes=True) for r in rows]


# -- recurring cases ------------------------------------------------------------------------


def recurrence_read(row: Recurrence) -> RecurrenceRead:
    return RecurrenceRead.model_validate(row, from_attributes=True)


def list_recurrences(*, session: Session) -> list[RecurrenceRead]:
    return [recurrence_read(r) for r in session.scalars(select(Recurrence).order_by(Recurrence.id))]
