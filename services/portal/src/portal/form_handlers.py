"""Use cases of department forms in the portal: keep a contact's draft page by page, send it (one transaction each).

Sending writes `form_submitted` to the outbox in the same transaction that removes the draft: the answers are
either still a draft or on their way to cases, never lost, also while cases or the broker is down (0258).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import unit_of_work, utcnow
from chassis.outbox import add_event
from contracts.forms import FormAnswer, FormFile, FormRead
from contracts.portal import SERVICE, FormSubmitted
from portal.db.models import FormDraft, FormDraftFile, OutboxMessage
from portal.domain.form_answers import Raw


@dataclass
class Draft:
    """A contact's answers so far, the form as they started it, and the names of the files attached."""

    form: FormRead
    answers: dict[str, Raw]
    files: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewFile:
    filename: str
    content_type: str
    content: bytes


def _find(session: Session, contact_id: int, form_id: int) -> FormDraft | None:
    # always by the signed-in contact: a draft is never reachable by its id
    return session.scalar(select(FormDraft).where(FormDraft.contact_id == contact_id, FormDraft.form_id == form_id))


def _as_draft(session: Session, row: FormDraft) -> Draft:
    names = session.execute(select(FormDraftFile.key, FormDraftFile.filename).where(FormDraftFile.draft_id == row.id))
    files = {key: filename for key, filename in names}
    return Draft(form=FormRead.model_validate(row.definition), answers=dict(row.answers), files=files)


def open_draft(*, session_factory: sessionmaker[Session], contact_id: int, form: FormRead) -> Draft:
    """The contact's draft of this form, created on first visit; a form changed since keeps the answers typed."""
    with unit_of_work(session_factory) as session:
        row = _find(session, contact_id, form.id)
        if row is None:
            row = FormDraft(contact_id=contact_id, form_id=form.id, answers={}, updated_at=utcnow())
            session.add(row)
        if row.definition is None or row.definition.get("version") != form.version:
            row.definition = form.model_dump(mode="json")
        session.flush()
        return _as_draft(session, row)


def load_draft(*, session_factory: sessionmaker[Session], contact_id: int, form_id: int) -> Draft | None:
    with unit_of_work(session_factory) as session:
        row = _find(session, contact_id, form_id)
        return _as_draft(session, row) if row is not None else None


def save_answers(
    *,
    session_factory: sessionmaker[Session],
    contact_id: int,
    form_id: int,
    answers: dict[str, Raw],
    new_files: dict[str, NewFile],
    removed_files: set[str],
) -> Draft | None:
    """Keep one page's answers and files, valid or not (nothing typed is lost); None when there is no draft."""
    with unit_of_work(session_factory) as session:
        row = _find(session, contact_id, form_id)
        if row is None:
            return None
        row.answers = {**row.answers, **answers}
        row.updated_at = utcnow()
        gone = removed_files | set(new_files)
        if gone:
            session.execute(delete(FormDraftFile).where(FormDraftFile.draft_id == row.id, FormDraftFile.key.in_(gone)))
        for key, new in new_files.items():
            session.add(
                FormDraftFile(
                    draft_id=row.id,
                    key=key,
                    filename=new.filename[:255],
                    content_type=new.content_type[:200],
                    size=len(new.content),
                    content=new.content,
                )
            )
        session.flush()
        return _as_draft(session, row)


def send_draft(
    *,
    session_factory: sessionmaker[Session],
    contact_id: int,
    form: FormRead,
    answers: list[FormAnswer],
    now: datetime,
) -> str | None:
    """Turn the draft into a `form_submitted` event and drop it; the submission's id, or None without a draft."""
    with unit_of_work(session_factory) as session:
        row = _find(session, contact_id, form.id)
        if row is None:
            return None
        shown = {a.key for a in answers}
        files = [
            FormFile(
                key=f.key,
                filename=f.filename,
                content_type=f.content_type,
                content_base64=base64.b64encode(f.content).decode("ascii"),
            )
            for f in session.scalars(select(FormDraftFile).where(FormDraftFile.draft_id == row.id))
            if f.key in shown
        ]
        submission_id = str(uuid.uuid4())
        event = FormSubmitted(
            submission_id=submission_id,
            contact_id=contact_id,
            form_id=form.id,
            form_name=form.name,
            group_id=form.group_id,
            answers=answers,
            files=files,
            submitted_at=now,
        )
        add_event(session, OutboxMessage, event, source=SERVICE)
        session.execute(delete(FormDraftFile).where(FormDraftFile.draft_id == row.id))
        session.delete(row)
        return submission_id
