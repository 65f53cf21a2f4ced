"""Tables of department forms: the definitions, and each form-opened case's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cases.common.tables import Base
from chassis.db import JSONType, utcnow


class Form(Base):
    """A department form; `pages` is the checked definition (contracts.forms.FormPageDef as JSON)."""

    __tablename__ = "form"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # no foreign key: deleting a group leaves its forms, which then open cases without a group
    group_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    pages: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseFormAnswers(Base):
    """The complete answer set of the form a case was opened with, as asked (labels and pages kept)."""

    __tablename__ = "case_form"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    form_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    form_name: Mapped[str] = mapped_column(String(200))
    # the portal's id of the submission: a redelivered event finds its case instead of opening another
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
