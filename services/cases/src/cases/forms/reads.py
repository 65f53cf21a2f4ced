"""Reads of department forms: definitions (all, or only the published ones the portal shows) and a case's answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.forms.tables import CaseFormAnswers, Form
from contracts.errors import NotFound
from contracts.forms import CaseForm, FormAnswer, FormPageDef, FormRead


def form_read(row: Form) -> FormRead:
    return FormRead(
        id=row.id,
        name=row.name,
        description=row.description or "",
        group_id=row.group_id,
        published=row.published,
        pages=[FormPageDef.model_validate(p) for p in row.pages],
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_forms(*, session: Session, published_only: bool = False) -> list[FormRead]:
    """Forms by name; the portal asks only for published ones."""
    query = select(Form).order_by(Form.name, Form.id)
    if published_only:
        query = query.where(Form.published.is_(True))
    return [form_read(row) for row in session.scalars(query)]


def get_form(*, session: Session, form_id: int, published_only: bool = False) -> FormRead:
    """One form; an unpublished one is not found for the portal."""
    row = session.get(Form, form_id)
    if row is None or (published_only and not row.published):
        raise NotFound(message=f"form {form_id} not found", details={"form_id": form_id})
    return form_read(row)


def case_form(session: Session, case_id: int) -> CaseForm | None:
    """The answers the case was opened with, if a form opened it."""
    row = session.get(CaseFormAnswers, case_id)
    if row is None:
        return None
    return CaseForm(
        form_id=row.form_id,
        form_name=row.form_name,
        submitted_at=row.submitted_at,
        answers=[FormAnswer.model_validate(a) for a in row.answers],
    )
