"""Merging duplicates, related links and closing a master with its children (B14)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.attachments.tables import CaseAttachment
from cases.case.tables import Case, Message
from cases.common import repo
from cases.common.case_state import set_status, touch
from cases.common.runtime import Runtime
from cases.links import rules
from cases.links.reads import CASE_PARENTS, link_read, parent_of, visible_ids
from cases.links.tables import CaseLink
from cases.search import reads_filters as scope_filters
from chassis.db import utcnow
from contracts.case_work import CaseLinked, CasesMerged, LinkCreate, LinkKind, LinkRead, MessageKind
from contracts.cases import Actor, AuthorType, CaseRead, Channel, Status, Visibility
from contracts.errors import NotFound, ValidationFailed
from contracts.search import Viewer


def _merged_into(session: Session, case_id: int) -> int | None:
    return session.scalar(
        select(CaseLink.other_case_id).where(CaseLink.case_id == case_id, CaseLink.kind == LinkKind.MERGED_INTO.value)
    )


def _system_entry(case_id: int, text: str) -> Message:
    return Message(
        case_id=case_id,
        author_type=AuthorType.SYSTEM.value,
        author_name="System",
        visibility=Visibility.INTERNAL.value,
        channel=Channel.SYSTEM.value,
        body_text=text,
        kind=MessageKind.SYSTEM.value,
        recipients=[],
        attachments=[],
        created_at=utcnow(),
    )


def merge_cases(*, runtime: Runtime, case_id: int, duplicate_id: int, actor: Actor) -> CaseRead:
    """Move the duplicate's messages and attachments to `case_id`, close the duplicate and point it at the survivor."""
    with runtime.transaction() as session:
        rules.check_merge(survivor_id=case_id, duplicate_id=duplicate_id, survivor_merged=False, duplicate_merged=False)
        # lock in id order so two opposite merges cannot deadlock
        first, second = sorted((case_id, duplicate_id))
        locked = {first: repo.lock_case(session, first), second: repo.lock_case(session, second)}
        survivor, duplicate = locked[case_id], locked[duplicate_id]
        rules.check_merge(
            survivor_id=case_id,
            duplicate_id=duplicate_id,
            survivor_merged=_merged_into(session, case_id) is not None,
            duplicate_merged=_merged_into(session, duplicate_id) is not None,
        )
        message_ids = list(session.scalars(select(Message.id).where(Message.case_id == duplicate_id)))
        attachment_ids = list(session.scalars(select(CaseAttachment.id).where(CaseAttachment.case_id == duplicate_id)))
        session.execute(update(Message).where(Message.case_id == duplicate_id).values(case_id=case_id))
        session.execute(update(CaseAttachment).where(CaseAttachment.case_id == duplicate_id).values(case_id=case_id))
        session.add(
            CaseLink(case_id=duplicate_id, other_case_id=case_id, kind=LinkKind.MERGED_INTO.value, created_at=utcnow())
        )
        # system entries keep the merge readable in both conversations (B4)
        session.add_all(
            [
                _system_entry(survivor.id, f"Case #{duplicate.number} ({duplicate.title}) was merged into this case."),
                _system_entry(duplicate.id, f"This case was merged into case #{survivor.number}."),
            ]
        )
        repo.record_history(session, case=survivor, field="merged_from", old=None, new=duplicate.number, actor=actor)
        repo.record_history(session, case=duplicate, field="merged_into", old=None, new=survivor.number, actor=actor)
        if duplicate.status != Status.CLOSED.value:
            set_status(session, runtime, case=duplicate, target=Status.CLOSED, actor=actor, owner_rule=False)
        else:
            touch(duplicate)
        touch(survivor)
        survivor_read = repo.case_read(repo.refreshed(session, survivor))
        duplicate_read = repo.case_read(repo.refreshed(session, duplicate))
        runtime.emit(
            session,
            CasesMerged(
                survivor=survivor_read,
                duplicate=duplicate_read,
                moved_message_ids=message_ids,
                moved_attachment_ids=attachment_ids,
                actor=actor,
            ),
        )
        return survivor_read


def link_cases(*, runtime: Runtime, case_id: int, data: LinkCreate, actor: Actor) -> LinkRead:
    """A related link (both ways) or make `other_case_id` the master of `case_id`."""
    if data.kind is LinkKind.MERGED_INTO:
        raise ValidationFailed(message="use merge to merge cases", details={"kind": data.kind.value})
    rules.check_link(case_id=case_id, other_case_id=data.other_case_id)
    try:
        with runtime.transaction() as session:
            first, second = sorted((case_id, data.other_case_id))
            locked = {first: repo.lock_case(session, first), second: repo.lock_case(session, second)}
            case, other = locked[case_id], locked[data.other_case_id]
            if data.kind is LinkKind.PARENT:
                rules.check_parent(case_id=case_id, parent_id=other.id, parent_of=lambda i: parent_of(session, i))
                old = parent_of(session, case_id)
                session.execute(update(CASE_PARENTS).where(CASE_PARENTS.c.id == case_id).values(parent_id=other.id))
                repo.record_history(session, case=case, field="parent_id", old=old, new=other.id, actor=actor)
                repo.record_history(session, case=other, field="child_added", old=None, new=case.number, actor=actor)
            else:
                repo.record_history(session, case=case, field="related_added", old=None, new=other.number, actor=actor)
                repo.record_history(session, case=other, field="related_added", old=None, new=case.number, actor=actor)
            row = CaseLink(case_id=case_id, other_case_id=other.id, kind=data.kind.value, created_at=utcnow())
            session.add(row)
            touch(case)
            touch(other)
            session.flush()
            read = link_read(row)
            runtime.emit(session, CaseLinked(link=read, actor=actor))
            return read
    except IntegrityError:
        raise ValidationFailed(
            message="these cases are already linked", details={"other_case_id": data.other_case_id}
        ) from None


def close_with_children(
    *, runtime: Runtime, case_id: int, actor: Actor, viewer: Viewer | None = None
) -> tuple[CaseRead, list[CaseRead], int]:
    """Close a master case (under the normal rules) and every child of it the viewer may see, in one
    transaction (B14). Children hidden from the viewer (restricted groups) stay as they are; the third
    value counts those left open, naming none (decision 0125). No viewer: a trusted caller, every child."""
    with runtime.transaction() as session:
        master = repo.lock_case(session, case_id)
        if viewer is not None and not scope_filters.may_see_case(session, viewer, master.group_id, master.assignee_id):
            raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
        set_status(session, runtime, case=master, target=Status.CLOSED, actor=actor)
        child_ids = session.scalars(
            select(CASE_PARENTS.c.id).where(CASE_PARENTS.c.parent_id == case_id).order_by(CASE_PARENTS.c.id)
        ).all()
        seen = visible_ids(session, set(child_ids), viewer)
        closed = []
        for child_id in child_ids:
            if child_id not in seen:
                continue
            child = repo.lock_case(session, child_id)
            moved = set_status(session, runtime, case=child, target=Status.CLOSED, actor=actor, owner_rule=False)
            if moved is not None:
                repo.record_history(
                    session, case=child, field="closed_with_master", old=None, new=master.number, actor=actor
                )
                closed.append(moved)
        hidden = [i for i in child_ids if i not in seen]
        left_open = 0
        if hidden:
            left_open = len(
                session.scalars(select(Case.id).where(Case.id.in_(hidden), Case.status != Status.CLOSED.value)).all()
            )
        return repo.case_read(repo.refreshed(session, master)), closed, left_open
