"""Lookups of the case model: statuses, field definitions, settings, collections of a case."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cases.case.tables import Case, CaseCustomValue, CaseFollower, CaseHistory, CaseTag
from cases.common import config_cache
from cases.config.rules import FieldDef, FieldRule
from cases.config.rules_statuses import StatusDef
from cases.config.tables import CaseSource, CaseStatus, CaseType, CustomField, FieldConfig, Setting
from cases.directory.tables import Contact, Organisation
from contracts.case_config import CaseSettings, CustomFieldType
from contracts.cases import Status
from contracts.errors import NotFound, ValidationFailed


def statuses(session: Session) -> list[StatusDef]:
    return list(config_cache.cached(session, "statuses", _load_statuses))  # decision 0112


def _load_statuses(session: Session) -> list[StatusDef]:
    rows = session.scalars(select(CaseStatus).order_by(CaseStatus.position, CaseStatus.id))
    return [StatusDef(id=s.id, name=s.name, category=Status(s.category), builtin=s.builtin) for s in rows]


def source_keys(session: Session) -> dict[str, bool]:
    """Every source of the admin's list: key -> offered to agents and API callers (active)."""
    return {key: active for key, (active, _confirm) in _sources(session).items()}


def source_confirms(session: Session, key: str) -> bool:
    """Whether a new case of source `key` mails its requester a confirmation (E1); unknown keys do not."""
    return _sources(session).get(key, (False, False))[1]


def _sources(session: Session) -> dict[str, tuple[bool, bool]]:
    return dict(config_cache.cached(session, "sources", _load_sources))  # decision 0112


def _load_sources(session: Session) -> dict[str, tuple[bool, bool]]:
    return {row.key: (row.active, bool(row.confirm)) for row in session.scalars(select(CaseSource))}


def require_source(session: Session, key: str) -> None:
    """A source an agent or API caller sets must be an active entry of the admin's list (A7)."""
    if not source_keys(session).get(key):
        raise ValidationFailed(message=f"source {key!r} is not in the list of sources", details={"source": key})


def field_defs(session: Session) -> list[FieldDef]:
    return list(config_cache.cached(session, "field_defs", _load_field_defs))  # decision 0112


def _load_field_defs(session: Session) -> list[FieldDef]:
    rows = session.scalars(select(CustomField).order_by(CustomField.position, CustomField.id))
    return [
        FieldDef(
            key=f.key, type=CustomFieldType(f.type), options=list(f.options or []), used=f.used, required=f.required
        )
        for f in rows
    ]


def field_rules(session: Session) -> dict[str, FieldRule]:
    return dict(config_cache.cached(session, "field_rules", _load_field_rules))  # decision 0112


def _load_field_rules(session: Session) -> dict[str, FieldRule]:
    return {r.field: FieldRule(used=r.used, required=r.required) for r in session.scalars(select(FieldConfig))}


def settings(session: Session) -> CaseSettings:
    """The workspace settings: stored keys over the defaults (cached for a second, decision 0112)."""
    return config_cache.cached(session, "settings", _load_settings).model_copy()


def _load_settings(session: Session) -> CaseSettings:
    stored = {row.key: row.value for row in session.scalars(select(Setting))}
    return CaseSettings.model_validate({k: v for k, v in stored.items() if k in CaseSettings.model_fields})


def changed_since(session: Session, *, case_id: int, version: int) -> set[str]:
    """Fields changed by writes applied on `version` or later (B11)."""
    rows = session.scalars(
        select(CaseHistory.field).where(CaseHistory.case_id == case_id, CaseHistory.case_version >= version)
    )
    return set(rows)


def require(session: Session, model: type[Any], ident: int, field: str) -> Any:
    """The row, or ValidationFailed naming the field that pointed at nothing."""
    row = session.get(model, ident)
    if row is None:
        raise ValidationFailed(message=f"no {field.removesuffix('_id')} {ident}", details={field: ident})
    return row


def require_refs(session: Session, values: dict[str, Any], *, case_id: int | None = None) -> None:
    """Every id an update or create points at exists (type, organisation, parent case, requester, followers)."""
    refs = (("type_id", CaseType), ("organisation_id", Organisation), ("parent_id", Case), ("requester_id", Contact))
    for field, model in refs:
        if values.get(field) is not None:
            require(session, model, values[field], field)
    if case_id is not None and values.get("parent_id") == case_id:
        raise ValidationFailed(message="a case cannot be its own parent", details={"parent_id": case_id})
    for contact_id in values.get("follower_ids") or []:
        require(session, Contact, contact_id, "follower_ids")


def set_tags(case: Case, tags: list[str]) -> None:
    """Make the case's tags exactly `tags` (rows that stay are left alone)."""
    wanted = set(tags)
    case.tag_rows = [t for t in case.tag_rows if t.tag in wanted]
    have = {t.tag for t in case.tag_rows}
    case.tag_rows.extend(CaseTag(tag=t) for t in tags if t not in have)


def set_followers(session: Session, case: Case, contact_ids: list[int]) -> None:
    """Make the case's followers exactly `contact_ids`."""
    wanted = set(contact_ids)
    have = set(session.scalars(select(CaseFollower.contact_id).where(CaseFollower.case_id == case.id)))
    if have - wanted:
        session.execute(
            delete(CaseFollower).where(CaseFollower.case_id == case.id, CaseFollower.contact_id.in_(have - wanted))
        )
    session.add_all(CaseFollower(case_id=case.id, contact_id=i) for i in sorted(wanted - have))


def set_custom(session: Session, case: Case, values: dict[str, str | None]) -> None:
    for key, value in values.items():
        row = session.get(CaseCustomValue, (case.id, key))
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(CaseCustomValue(case_id=case.id, field_key=key, value=value))
        else:
            row.value = value


def status_name(session: Session, status_id: int | None) -> str | None:
    row = session.get(CaseStatus, status_id) if status_id is not None else None
    return row.name if row else None


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    row = session.get(Organisation, organisation_id)
    if row is None:
        raise NotFound(
            message=f"organisation {organisation_id} not found", details={"organisation_id": organisation_id}
        )
    return row
