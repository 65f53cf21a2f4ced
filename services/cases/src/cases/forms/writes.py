"""Commands of department forms: save, change and delete a definition; open a case from a submission."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.attachments import rules as attachment_rules
from cases.attachments.tables import CaseAttachment
from cases.case import writes as case_writes
from cases.case.tables import Message
from cases.common.rows import get_row
from cases.config.rules import FieldDef, custom_value
from cases.config.tables import CaseType, CustomField
from cases.directory.tables import Contact, Group
from cases.forms import rules
from cases.forms.reads import form_read
from cases.forms.tables import CaseFormAnswers, Form
from chassis.blobstore import BlobStore
from chassis.db import utcnow
from contracts import errors
from contracts.case_config import CustomFieldType
from contracts.cases import Actor, AttachmentRef, AuthorType, CaseCreate, Channel, Source, Visibility
from contracts.errors import InvalidForm, ValidationFailed, VersionConflict
from contracts.forms import FormPatch, FormRead, FormWrite
from contracts.portal import FormSubmitted

if TYPE_CHECKING:
    from cases.common.runtime import Runtime


def _targets(session: Session) -> rules.Targets:
    fields = {
        row.key: FieldDef(key=row.key, type=CustomFieldType(row.type), options=list(row.options or []), used=row.used)
        for row in session.scalars(select(CustomField))
    }
    types = frozenset(session.scalars(select(CaseType.name).where(CaseType.active.is_(True))))
    return rules.Targets(custom_fields=fields, type_names=types)


def _check(session: Session, data: FormWrite) -> None:
    if data.group_id is not None and session.get(Group, data.group_id) is None:
        raise InvalidForm(errors.FORM_UNKNOWN_GROUP, f"there is no group {data.group_id}", {"path": "group_id"})
    rules.check_definition(data.pages, _targets(session))


def _stale(row: Form, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != row.version:
        raise VersionConflict(message="the form was changed since you read it", details={"current": form_read(row)})


def save_form(
    *, runtime: Runtime, data: FormWrite, form_id: int | None = None, expected_version: int | None = None
) -> FormRead:
    """Create a form, or replace a whole definition (PUT); the definition is checked first."""
    with runtime.transaction() as session:
        _check(session, data)
        now = utcnow()
        if form_id is None:
            row = Form(created_at=now, version=0)
        else:
            row = get_row(session, Form, form_id, "form")
            _stale(row, expected_version)
        row.name, row.description, row.group_id = data.name.strip(), data.description, data.group_id
        row.published, row.pages = data.published, [p.model_dump(mode="json") for p in data.pages]
        row.version, row.updated_at = (row.version or 0) + 1, now
        session.add(row)
        session.flush()
        return form_read(row)


def change_form(*, runtime: Runtime, form_id: int, changes: FormPatch, expected_version: int | None = None) -> FormRead:
    """Change some parts (PATCH), e.g. `{"published": false}` unpublishes; the result is checked as a whole."""
    with runtime.transaction() as session:
        current = form_read(get_row(session, Form, form_id, "form"))
    given = changes.model_dump(exclude_unset=True)
    # null keeps a part as it is, except the group, where null means "no group"
    given = {key: value for key, value in given.items() if value is not None or key == "group_id"}
    try:
        merged = FormWrite.model_validate({**current.model_dump(include=set(FormWrite.model_fields)), **given})
    except ValidationError as exc:
        raise ValidationFailed(
            message="the changed form is invalid",
            details={"errors": [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]},
        ) from None
    return save_form(
        runtime=runtime, data=merged, form_id=form_id, expected_version=expected_version or current.version
    )


def delete_form(*, runtime: Runtime, form_id: int) -> None:
    """Remove a definition; cases opened with it keep their answers and the questions as asked."""
    with runtime.transaction() as session:
        session.delete(get_row(session, Form, form_id, "form"))


def apply_form_submitted(
    *,
    runtime: Runtime,
    session: Session,
    payload: FormSubmitted,
    store: BlobStore,
    correlation_id: str | None = None,
) -> None:
    """Open the contact's case from a submission, with the mapped fields and every answer kept (once)."""
    if session.scalar(select(CaseFormAnswers.case_id).where(CaseFormAnswers.submission_id == payload.submission_id)):
        return
    contact = session.get(Contact, payload.contact_id)
    mapped = rules.map_answers(form_name=payload.form_name, answers=payload.answers)
    group_id = payload.group_id if payload.group_id and session.get(Group, payload.group_id) else None
    type_id = session.scalar(select(CaseType.id).where(CaseType.name == mapped.type_name)) if mapped.type_name else None
    custom = _usable_custom_values(session, mapped.custom_fields)
    data = CaseCreate(
        title=mapped.title,
        description=mapped.description,
        source=Source.PORTAL,
        group_id=group_id,
        type_id=type_id,
        custom_fields=custom,
        **({"priority": mapped.priority} if mapped.priority else {}),
    )
    name = contact.name if contact is not None else ""
    actor = Actor(type=AuthorType.CONTACT, id=payload.contact_id, name=name, channel=Channel.PORTAL)
    # the customer's request opens the conversation, as a mail's first message does, and carries the files
    message = Message(
        author_type=AuthorType.CONTACT.value,
        author_id=contact.id if contact is not None else None,
        author_name=name,
        visibility=Visibility.PUBLIC.value,
        channel=Channel.PORTAL.value,
        body_text=rules.summary(payload.answers)[: rules.DESCRIPTION_MAX] or payload.form_name,
        attachments=[],
    )
    # a form answer never refuses a customer's case (decision 0110): missing required fields go to the history
    case = case_writes.open_case(
        session,
        runtime,
        data=data,
        requester_id=contact.id if contact is not None else None,
        actor=actor,
        first_message=message,
        correlation_id=correlation_id,
        intake=True,
    )
    session.add(
        CaseFormAnswers(
            case_id=case.id,
            form_id=payload.form_id,
            form_name=payload.form_name[:200],
            submission_id=payload.submission_id,
            answers=[a.model_dump(mode="json") for a in payload.answers],
            submitted_at=payload.submitted_at,
        )
    )
    if payload.files:
        message.attachments = _attach_files(
            session, case_id=case.id, message_id=message.id, payload=payload, store=store
        )


def _usable_custom_values(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """The values the custom fields accept now: a field changed since the form was saved drops its value."""
    targets = _targets(session).custom_fields
    usable: dict[str, Any] = {}
    for key, value in values.items():
        definition = targets.get(key)
        if definition is None or not definition.used:
            continue
        try:
            usable[key] = custom_value(definition, value)
        except errors.DomainError:
            continue
    return usable


def _attach_files(
    session: Session, *, case_id: int, message_id: int, payload: FormSubmitted, store: BlobStore
) -> list[dict[str, Any]]:
    """The file answers become attachments of the request's message (the portal bounded their size and type)."""
    refs: list[dict[str, Any]] = []
    for file in payload.files:
        data = base64.b64decode(file.content_base64)
        row = CaseAttachment(
            case_id=case_id,
            message_id=message_id,
            filename=attachment_rules.clean_filename(file.filename),
            content_type=attachment_rules.clean_content_type(file.content_type),
            size=len(data),
            sha256=store.put(data),
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        ref = AttachmentRef(
            filename=row.filename, content_type=row.content_type, size=row.size, sha256=row.sha256, attachment_id=row.id
        )
        refs.append(ref.model_dump(mode="json"))
    return refs
