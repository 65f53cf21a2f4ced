"""Reads of the workspace configuration: case types, statuses, custom fields, field rules, settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.common import model_repo
from cases.config.rules import OPTIONAL_FIELDS
from cases.config.tables import CaseSource, CaseStatus, CaseType, CustomField, FieldConfig
from contracts.case_config import (
    CaseSettings,
    CaseSourceRead,
    CaseStatusRead,
    CaseTypeRead,
    CustomFieldRead,
    FieldConfigRead,
)


def type_read(row: CaseType) -> CaseTypeRead:
    return CaseTypeRead(id=row.id, name=row.name, instructions=row.instructions, active=row.active)


def status_read(row: CaseStatus) -> CaseStatusRead:
    return CaseStatusRead(
        id=row.id, name=row.name, category=row.category, builtin=row.builtin, position=row.position or 0
    )


def field_read(row: CustomField) -> CustomFieldRead:
    return CustomFieldRead(
        id=row.id,
        key=row.key,
        label=row.label,
        type=row.type,
        options=list(row.options or []),
        used=row.used,
        hidden=row.hidden,
        required=row.required,
    )


def list_types(*, session: Session) -> list[CaseTypeRead]:
    return [type_read(t) for t in session.scalars(select(CaseType).order_by(CaseType.position, CaseType.id))]


def source_read(row: CaseSource) -> CaseSourceRead:
    return CaseSourceRead(
        id=row.id,
        key=row.key,
        name=row.name,
        builtin=row.builtin,
        active=row.active,
        position=row.position or 0,
        confirm=bool(row.confirm),
    )


def list_sources(*, session: Session) -> list[CaseSourceRead]:
    return [source_read(s) for s in session.scalars(select(CaseSource).order_by(CaseSource.position, CaseSource.key))]


def list_statuses(*, session: Session) -> list[CaseStatusRead]:
    return [status_read(s) for s in session.scalars(select(CaseStatus).order_by(CaseStatus.position, CaseStatus.id))]


def list_custom_fields(*, session: Session) -> list[CustomFieldRead]:
    return [field_read(f) for f in session.scalars(select(CustomField).order_by(CustomField.position, CustomField.id))]


def list_field_configs(*, session: Session) -> list[FieldConfigRead]:
    """Every built-in optional field with its configuration (defaults where the admin chose nothing)."""
    stored = {r.field: r for r in session.scalars(select(FieldConfig))}
    result = []
    for name in OPTIONAL_FIELDS:
        row = stored.get(name)
        result.append(
            FieldConfigRead(field=name, used=row.used, hidden=row.hidden, required=row.required)
            if row
            else FieldConfigRead(field=name)
        )
    return result


def get_settings(*, session: Session) -> CaseSettings:
    return model_repo.settings(session)
