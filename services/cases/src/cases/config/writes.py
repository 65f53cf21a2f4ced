"""Admin commands of the workspace configuration (B1, B2, B15, H2): one transaction each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from cases.case.tables import Case
from cases.common import model_repo
from cases.config.reads import field_read, source_read, status_read, type_read
from cases.config.rules import OPTIONAL_FIELDS
from cases.config.tables import CaseSource, CaseStatus, CaseType, CustomField, FieldConfig, Setting
from chassis.db import utcnow
from contracts.case_config import (
    CaseSettings,
    CaseSourceRead,
    CaseSourceWrite,
    CaseStatusRead,
    CaseStatusWrite,
    CaseTypeRead,
    CaseTypeWrite,
    CustomFieldRead,
    CustomFieldType,
    CustomFieldWrite,
    FieldConfigRead,
)
from contracts.errors import ValidationFailed

if TYPE_CHECKING:
    from cases.common.runtime import Runtime
from cases.common.rows import check_unique, get_row

# -- types, statuses, fields, settings ---------------------------------------------------------


def save_type(*, runtime: Runtime, data: CaseTypeWrite, type_id: int | None = None) -> CaseTypeRead:
    """Create a case type, or change one (B1)."""
    with runtime.transaction() as session:
        row = get_row(session, CaseType, type_id, "type") if type_id else CaseType()
        row.name, row.instructions, row.active = data.name.strip(), data.instructions, data.active
        session.add(row)
        check_unique(session, "name", data.name)
        return type_read(row)


def save_source(*, runtime: Runtime, key: str, data: CaseSourceWrite) -> CaseSourceRead:
    """Add a source to the admin's list, or rename, hide or move one (A7); entries are never deleted: cases keep
    their source, and a hidden one is no longer offered."""
    with runtime.transaction() as session:
        row = session.scalar(select(CaseSource).where(CaseSource.key == key).with_for_update())
        if row is None:
            last = session.scalar(select(func.max(CaseSource.position)))
            row = CaseSource(key=key, builtin=False, position=(last or 0) + 1)
            session.add(row)
        row.name, row.active, row.confirm = data.name.strip(), data.active, data.confirm
        if data.position is not None:
            row.position = data.position
        session.flush()
        return source_read(row)


def save_status(*, runtime: Runtime, data: CaseStatusWrite, status_id: int | None = None) -> CaseStatusRead:
    """Add a status on a category, or rename one; a built-in status keeps its category (B2)."""
    with runtime.transaction() as session:
        row = get_row(session, CaseStatus, status_id, "status") if status_id else CaseStatus(builtin=False)
        if row.builtin and row.category != data.category.value:
            raise ValidationFailed(
                message="a built-in status keeps its category", details={"category": data.category.value}
            )
        if status_id and not row.builtin and row.category != data.category.value:
            in_use = session.scalar(select(Case.id).where(Case.status_id == row.id).limit(1))
            if in_use is not None:
                raise ValidationFailed(
                    message="cases use this status: its category cannot change", details={"status_id": row.id}
                )
        row.name, row.category = data.name.strip(), data.category.value
        if data.position is not None:
            row.position = data.position
        elif not status_id:
            last = session.scalar(select(func.max(CaseStatus.position)))
            row.position = (last or 0) + 1
        session.add(row)
        check_unique(session, "name", data.name)
        session.flush()
        return status_read(row)


def save_custom_field(*, runtime: Runtime, data: CustomFieldWrite, field_id: int | None = None) -> CustomFieldRead:
    """Define an admin custom field, or change one (B1/H2); a select needs options."""
    if data.type == CustomFieldType.SELECT and not data.options:
        raise ValidationFailed(message="a select field needs options", details={"options": []})
    with runtime.transaction() as session:
        row = get_row(session, CustomField, field_id, "custom_field") if field_id else CustomField()
        if field_id and row.key != data.key:
            raise ValidationFailed(message="a custom field's key cannot change", details={"key": data.key})
        for name in ("key", "label", "type", "used", "hidden", "required"):
            setattr(row, name, getattr(data, name).value if name == "type" else getattr(data, name))
        row.options = list(data.options)
        session.add(row)
        check_unique(session, "key", data.key)
        return field_read(row)


def save_field_config(*, runtime: Runtime, data: FieldConfigRead) -> FieldConfigRead:
    """Used/hidden/required of a built-in optional field (H2)."""
    if data.field not in OPTIONAL_FIELDS:
        raise ValidationFailed(message=f"{data.field} is not an optional field", details={"field": data.field})
    with runtime.transaction() as session:
        row = session.get(FieldConfig, data.field) or FieldConfig(field=data.field)
        row.used, row.hidden, row.required = data.used, data.hidden, data.required
        session.add(row)
        return data


def update_settings(*, runtime: Runtime, changes: dict[str, Any]) -> CaseSettings:
    """Change some workspace settings; the rest keep their values (B3/B11/B15)."""
    with runtime.transaction() as session:
        merged = CaseSettings.model_validate({**model_repo.settings(session).model_dump(mode="json"), **changes})
        now = utcnow()
        for key in changes:
            row = session.get(Setting, key) or Setting(key=key)
            row.value, row.updated_at = merged.model_dump(mode="json")[key], now
            session.add(row)
        return merged
