"""Changing a case's fields: statuses, dormancy, tags, followers, custom fields, merging (B1-B11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cases.case import rules as workflow
from cases.case.rules_changes import check_stale, diff
from cases.case.tables import Case, CaseCustomValue, CaseFollower, CaseTag
from cases.common import model_repo, repo
from cases.common.case_state import stamp_status, touch
from cases.config import rules as fields
from cases.config import rules_statuses as statuses
from cases.directory.tables import Contact
from chassis.db import utcnow
from contracts.case_config import ConcurrencyMode
from contracts.cases import Actor, CaseCreate, CaseRead, CaseUpdate, CaseUpdated, Status

if TYPE_CHECKING:
    from cases.common.runtime import Runtime

# fields an update may clear with an explicit null; for the others None means "leave as is"
NULLABLE = frozenset(
    {
        "assignee_id",
        "group_id",
        "type_id",
        "category",
        "solution",
        "due_at",
        "external_ref",
        "organisation_id",
        "parent_id",
        "inform_contact",
    }
)
# the history name of each collection an update may replace
_COLLECTIONS = {"tags": "tags", "follower_ids": "followers"}


def update_case(
    *, runtime: Runtime, case_id: int, changes: CaseUpdate, expected_version: int | None, actor: Actor
) -> CaseRead:
    """Change a case's fields; a stale version is refused or merged per the concurrency setting (B11)."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        setting = model_repo.settings(session)
        requested = {
            k: _plain(v) for k, v in changes.model_dump(exclude_unset=True).items() if v is not None or k in NULLABLE
        }
        custom_in = requested.pop("custom_fields", None) or {}
        dormancy = changes.dormant
        requested.pop("dormant", None)
        collections = {k: requested.pop(k) for k in list(_COLLECTIONS) if k in requested}
        touched = set(requested) | {_COLLECTIONS[k] for k in collections} | {f"custom_fields.{k}" for k in custom_in}
        check_stale(
            strict=setting.concurrency == ConcurrencyMode.STRICT,
            expected=expected_version,
            actual=case.version,
            changed_since=lambda: model_repo.changed_since(session, case_id=case.id, version=expected_version or 0),
            requested=touched | ({"status"} if dormancy else set()),
            current=lambda: repo.case_read(case).model_dump(mode="json"),
        )
        _resolve_status(session, case, requested)
        delta = diff(editable_values(case), requested)
        _quiet_builtin_status(session, delta)
        collection_delta = _collection_delta(case, collections)
        custom = fields.custom_values(model_repo.field_defs(session), custom_in)
        current_custom = {v.field_key: v.value for v in case.custom_rows}
        custom_delta = {k: v for k, v in custom.items() if current_custom.get(k) != v}
        target = Status(delta["status"]["new"]) if "status" in delta else Status(case.status)
        now = utcnow()
        until = statuses.dormant_until(dormancy, now=now) if target == Status.DORMANT else None
        if dormancy is not None and target != Status.DORMANT:
            raise _dormancy_without_dormant(target)
        wake_change = until != case.dormant_until and (target == Status.DORMANT or case.dormant_until is not None)
        if not (delta or collection_delta or custom_delta or wake_change):
            return repo.case_read(case)
        _validate(session, case, actor=actor, requested=requested, delta=delta, collections=collections)
        if "source" in delta:
            model_repo.require_source(session, delta["source"]["new"])
        fields.check_required(
            rules=model_repo.field_rules(session),
            definitions=model_repo.field_defs(session),
            values={**editable_values(case), **requested, **_collection_values(case), **collections},
            custom={**current_custom, **custom},
        )
        for name, change in delta.items():
            setattr(case, name, change["new"])
            if change.get("quiet"):
                continue
            repo.record_history(
                session, case=case, field=_history_name(name), **_history_pair(session, name, change), actor=actor
            )
        _apply_collections(session, case, collections, collection_delta, actor)
        if custom_delta:
            model_repo.set_custom(session, case, custom_delta)
            for key, value in custom_delta.items():
                repo.record_history(
                    session,
                    case=case,
                    field=f"custom_fields.{key}",
                    old=current_custom.get(key),
                    new=value,
                    actor=actor,
                )
        if wake_change:
            repo.record_history(
                session, case=case, field="dormant_until", old=case.dormant_until, new=until, actor=actor
            )
            case.dormant_until = until
        if "status" in delta:
            stamp_status(case, Status(case.status), now)
        touch(case, now)
        read = repo.case_read(repo.refreshed(session, case))
        all_changes = {_history_name(k): v for k, v in delta.items() if not v.get("quiet")}
        all_changes.update({_COLLECTIONS[k]: v for k, v in collection_delta.items()})
        all_changes.update(
            {f"custom_fields.{k}": {"old": current_custom.get(k), "new": v} for k, v in custom_delta.items()}
        )
        if wake_change:
            all_changes["dormant_until"] = {"old": None, "new": until.isoformat() if until else None}
        runtime.emit(session, CaseUpdated(case=read, changes=_jsonable(all_changes), actor=actor))
        return read


def editable_values(case: Case) -> dict[str, Any]:
    """The current value of every field an update may change."""
    return {
        "title": case.title,
        "description": case.description,
        "status": case.status,
        "status_id": case.status_id,
        "priority": case.priority,
        "assignee_id": case.assignee_id,
        "group_id": case.group_id,
        "type_id": case.type_id,
        "category": case.category,
        "solution": case.solution,
        "due_at": case.due_at,
        "external_ref": case.external_ref,
        "organisation_id": case.organisation_id,
        "parent_id": case.parent_id,
        "source": case.source,
        "inform_contact": case.inform_contact,
        "requester_id": case.requester_id,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # a time without zone is taken as UTC
    return getattr(value, "value", value)


def _resolve_status(session: Session, case: Case, requested: dict[str, Any]) -> None:
    """Turn `status` (category) and/or `status_id` into both, checked against the admin statuses."""
    status_id, category = requested.get("status_id"), requested.get("status")
    if status_id is None and category is None:
        requested.pop("status_id", None)
        return
    if status_id is None and category == case.status:
        requested["status_id"] = case.status_id  # same category: keep the admin status it has
        return
    chosen = statuses.pick(
        model_repo.statuses(session), status_id=status_id, category=Status(category) if category else None
    )
    requested["status"], requested["status_id"] = chosen.category.value, chosen.id


def _quiet_builtin_status(session: Session, delta: dict[str, Any]) -> None:
    """Moving to the built-in status of another category is said by the `status` change alone."""
    if "status" in delta and "status_id" in delta:
        builtin = {s.id for s in model_repo.statuses(session) if s.builtin}
        if delta["status_id"]["new"] in builtin:
            delta["status_id"]["quiet"] = True


def _dormancy_without_dormant(target: Status) -> Exception:
    from contracts.errors import ValidationFailed

    return ValidationFailed(
        message="dormancy applies only to a dormant status", details={"dormant": "set", "status": target.value}
    )


def _validate(
    session: Session,
    case: Case,
    *,
    actor: Actor,
    requested: dict[str, Any],
    delta: dict[str, Any],
    collections: dict[str, Any],
) -> None:
    if delta.get("assignee_id", {}).get("new") is not None:
        repo.require_assignee(session, delta["assignee_id"]["new"])
    if delta.get("group_id", {}).get("new") is not None:
        repo.require_group(session, delta["group_id"]["new"])
    model_repo.require_refs(session, {**{k: v["new"] for k, v in delta.items()}, **collections}, case_id=case.id)
    fields.check_used(
        rules=model_repo.field_rules(session), values={**{k: v["new"] for k, v in delta.items()}, **collections}
    )
    if "status" in delta:
        workflow.check_transition(
            current=Status(case.status),
            target=Status(delta["status"]["new"]),
            has_assignee=requested.get("assignee_id", case.assignee_id) is not None,
            actor_type=actor.type,
        )


def _collection_values(case: Case) -> dict[str, Any]:
    return {"tags": [t.tag for t in case.tag_rows], "follower_ids": [f.id for f in case.followers]}


def _collection_delta(case: Case, collections: dict[str, Any]) -> dict[str, dict[str, Any]]:
    current = _collection_values(case)
    result = {}
    if "tags" in collections:
        collections["tags"] = fields.tags(collections["tags"])
    if "follower_ids" in collections:
        collections["follower_ids"] = sorted(set(collections["follower_ids"]))
    for name, value in collections.items():
        if sorted(current[name]) != value:
            result[name] = {"old": sorted(current[name]), "new": value}
    return result


def _apply_collections(
    session: Session, case: Case, collections: dict[str, Any], delta: dict[str, dict[str, Any]], actor: Actor
) -> None:
    if "tags" in delta:
        model_repo.set_tags(case, collections["tags"])
    if "follower_ids" in delta:
        model_repo.set_followers(session, case, collections["follower_ids"])
    for name, change in delta.items():
        repo.record_history(
            session,
            case=case,
            field=_COLLECTIONS[name],
            old=", ".join(map(str, change["old"])),
            new=", ".join(map(str, change["new"])),
            actor=actor,
        )


def _history_name(name: str) -> str:
    return "status_name" if name == "status_id" else name


def _history_pair(session: Session, name: str, change: dict[str, Any]) -> dict[str, Any]:
    if name == "status_id":  # people read status names, not ids
        return {
            "old": model_repo.status_name(session, change["old"]),
            "new": model_repo.status_name(session, change["new"]),
        }
    if name == "requester_id":  # and people's names and addresses
        return {"old": _contact_label(session, change["old"]), "new": _contact_label(session, change["new"])}
    return {"old": change["old"], "new": change["new"]}


def _contact_label(session: Session, contact_id: int | None) -> str | None:
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    if contact is None:
        return None
    email = contact.primary_email
    return f"{contact.name} <{email}>" if contact.name and email else (contact.name or email or f"contact {contact.id}")


def _jsonable(changes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    def one(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return {k: {"old": one(v["old"]), "new": one(v["new"])} for k, v in changes.items()}


def apply_create_fields(
    session: Session, case: Case, *, data: CaseCreate, actor: Actor, intake: bool = False
) -> NewCaseFields:
    """The case-model fields of a new case: validated like an update, set on the case before its first flush.

    Call with the case still pending (not flushed): the fields, `status_id`, tags and custom values go into
    the case's INSERT (no UPDATEs after it) and its collections count as loaded, so `repo.case_read` needs
    no refresh. Followers need the case id: `add_create_followers` after the flush (decision 0111).
    With `intake` (a customer's mail, SMS or portal message, decision 0110) required fields that are empty
    do not refuse the case: they are returned, for the caller to record; otherwise RequiredFieldMissing.
    """
    values = data.model_dump(
        include={
            "type_id",
            "category",
            "due_at",
            "external_ref",
            "organisation_id",
            "parent_id",
            "solution",
            "inform_contact",
        }
    )
    collections = {"tags": fields.tags(data.tags), "follower_ids": sorted(set(data.follower_ids))}
    model_repo.require_refs(session, values)
    followers = [model_repo.require(session, Contact, i, "follower_ids") for i in collections["follower_ids"]]
    rules = model_repo.field_rules(session)
    fields.check_used(rules=rules, values={**values, **collections})
    definitions = model_repo.field_defs(session)
    custom = fields.custom_values(definitions, data.custom_fields)
    every = {**values, **collections}
    missing = fields.missing_required(rules=rules, definitions=definitions, values=every, custom=custom)
    if missing and not intake:
        fields.check_required(rules=rules, definitions=definitions, values=every, custom=custom)
    for name, value in values.items():
        setattr(case, name, _plain(value))
    case.status_id = statuses.pick(model_repo.statuses(session), category=Status(case.status)).id
    case.tag_rows = [CaseTag(tag=t) for t in collections["tags"]]
    case.custom_rows = [CaseCustomValue(field_key=k, value=v) for k, v in custom.items() if v is not None]
    return NewCaseFields(missing=missing, followers=followers)


@dataclass(frozen=True)
class NewCaseFields:
    missing: list[str]  # required fields left empty by intake
    followers: list[Contact]


def add_create_followers(session: Session, case: Case, followers: list[Contact]) -> None:
    """After the new case's first flush: its follower rows, and `case.followers` loaded without a query."""
    session.add_all(CaseFollower(case_id=case.id, contact_id=c.id) for c in followers)
    set_committed_value(case, "followers", sorted(followers, key=lambda c: c.id))
