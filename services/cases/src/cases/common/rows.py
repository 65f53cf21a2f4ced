"""Row lookups shared by the admin commands: a row by id or NotFound, a unique name or ValidationFailed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    pass


def get_row(session: Session, model: type[Any], ident: int, what: str) -> Any:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(message=f"{what} {ident} not found", details={f"{what}_id": ident})
    return row


def check_unique(session: Session, what: str, value: str) -> None:
    """Flush, turning a unique-constraint clash into a ValidationFailed naming the value."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ValidationFailed(message=f"{what} {value!r} already exists", details={what: value}) from None
