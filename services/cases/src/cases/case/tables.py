"""Tables of cases: the case, its messages, history, followers, tags, custom values, mentions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Computed, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.common.search_sql import AWAITING_REPLY_SQL, PRIORITY_RANK_SQL
from cases.common.tables import Base
from cases.config.tables import CaseStatus, CaseType
from cases.directory.tables import Agent, Contact, Group, Organisation
from chassis.db import JSONType, utcnow
from chassis.outbox import BigId

# -- cases --------------------------------------------------------------------------------


class CaseNumberSeq(Base):
    """One counter row per sequence name; `UPDATE ... RETURNING` hands out the next case number."""

    __tablename__ = "case_number_seq"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_status_id", "status", "id"),
        Index("ix_case_dormant_until", "status", "dormant_until"),  # the dormancy timer's scan
        # migration 0007, decision 0142: a case is imported once per (source, external id)
        Index(
            "uq_case_import_key",
            "import_source",
            "import_external_id",
            unique=True,
            postgresql_where=text("import_external_id IS NOT NULL"),
            sqlite_where=text("import_external_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # -- case model
    type_id: Mapped[int | None] = mapped_column(ForeignKey("case_type.id"))
    status_id: Mapped[int | None] = mapped_column(ForeignKey("case_status.id"))
    category: Mapped[str | None] = mapped_column(String(200))
    solution: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    external_ref: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    dormant_until: Mapped[datetime | None]
    held_for_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # -- search and views: kept by the database itself (triggers on message, generated columns,
    # migration 0004), so bulk COPY imports stay consistent; see cases.search.tables
    last_customer_message_at: Mapped[datetime | None]
    last_agent_reply_at: Mapped[datetime | None]
    awaiting_reply: Mapped[bool] = mapped_column(Computed(AWAITING_REPLY_SQL, persisted=True))
    priority_rank: Mapped[int] = mapped_column(Computed(PRIORITY_RANK_SQL, persisted=True))
    # maintained by the SLA engine (B13): values of contracts.sla.SlaState
    sla_state: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    # SLA (migration 0005): the nearest due time of a running target, for sorting by urgency
    sla_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # migration 0006: the mailbox (address) the case came in on; customer mail is sent from it
    mailbox: Mapped[str | None] = mapped_column(String(254))
    # migration 0012: how the contact hears about the case (B16, a ConversationMode); None: the organisation's
    inform_contact: Mapped[str | None] = mapped_column(String(10))
    # migration 0007: the import key of a bulk-imported case; never changed after the import
    import_source: Mapped[str | None] = mapped_column(String(100))
    import_external_id: Mapped[str | None] = mapped_column(String(200))

    requester: Mapped[Contact | None] = relationship(lazy="joined")
    assignee: Mapped[Agent | None] = relationship(lazy="joined")
    group: Mapped[Group | None] = relationship(lazy="joined")
    # -- case model
    status_def: Mapped[CaseStatus | None] = relationship(lazy="joined")
    type_def: Mapped[CaseType | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    followers: Mapped[list[Contact]] = relationship(
        secondary="case_follower", lazy="selectin", order_by="Contact.id", viewonly=True
    )
    tag_rows: Mapped[list[CaseTag]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="CaseTag.tag"
    )
    custom_rows: Mapped[list[CaseCustomValue]] = relationship(lazy="selectin", cascade="all, delete-orphan")


class Message(Base):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    author_type: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int | None]
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_email: Mapped[str | None] = mapped_column(String(320))
    visibility: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)  # sanitised upstream (mail gateway)
    email_message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    # the mail gateway's id of the inbound mail: a redelivered mail_received never adds it twice
    inbound_mail_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    attachments: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # reply | note | forward | system; a forward's own recipients (side conversation)
    kind: Mapped[str] = mapped_column(String(20), default="reply", server_default="reply")
    recipients: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    # a mail from someone not on the case, kept internal until an agent makes it public (decision 0220)
    from_outsider: Mapped[bool] = mapped_column(default=False, server_default=false())


class CaseHistory(Base):
    """Immutable log of every change to a case (B10): rows are only ever inserted."""

    __tablename__ = "case_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(100))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_version: Mapped[int | None]  # the version the change was applied on (B11 field-level merging)


class IdempotencyKey(Base):
    """A create_case request already served: the same key returns the same case."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseFollower(Base):
    __tablename__ = "case_follower"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)


class CaseTag(Base):
    __tablename__ = "case_tag"
    __table_args__ = (Index("ix_case_tag_tag", "tag"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)


class CaseCustomValue(Base):
    __tablename__ = "case_custom_value"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    field_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class Mention(Base):
    __tablename__ = "mention"
    __table_args__ = (UniqueConstraint("message_id", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Message, "before_insert")
def _message_kind(_mapper: object, _connection: object, message: Message) -> None:
    """A message saved without a kind gets it from its author and visibility (notes and system entries, B4).

    A hook rather than edits in every command that creates messages: it holds for all of them at once.
    """
    if message.kind is None:
        if message.author_type == "system":
            message.kind = "system"
        else:
            message.kind = "note" if message.visibility == "internal" else "reply"
