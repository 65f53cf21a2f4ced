"""Rows loaded at once for a group of events, so that each event's handler finds them without a query (0158).

A group (chassis `idempotent_group`) loads the rows its handlers will ask for in one query per table; present
rows stay in the session's identity map, and `get_row` answers None for a key found to have no row. Outside a
group nothing is preloaded and `get_row` is `session.get`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

KEY = "notifications:preloaded"
Row = TypeVar("Row")


@dataclass
class Preloaded:
    absent: set[tuple[type, Any]] = field(default_factory=set)  # (model, primary key) known to have no row
    keep: list[Any] = field(default_factory=list)  # the loaded rows: the identity map holds them only weakly


def begin(session: Session) -> None:
    session.info[KEY] = Preloaded()


def end(session: Session) -> None:
    session.info.pop(KEY, None)


def load(session: Session, model: type, column: Any, keys: set[str]) -> None:
    """Load the rows of `model` whose `column` is one of `keys`, and remember which keys have none."""
    preloaded = session.info.get(KEY)
    if not keys or not isinstance(preloaded, Preloaded):
        return
    # present rows stay in the identity map, so the handlers' session.get needs no query for them either
    rows: list[Any] = list(session.scalars(select(model).where(column.in_(sorted(keys)))))
    preloaded.keep.extend(rows)
    found = {getattr(row, column.key) for row in rows}
    preloaded.absent.update((model, key) for key in keys - found)


def get_row(session: Session, model: type[Row], key: Any) -> Row | None:
    """`session.get`, without a query for a key the group found to have no row."""
    preloaded = session.info.get(KEY)
    if isinstance(preloaded, Preloaded) and (model, key) in preloaded.absent:
        return None
    return session.get(model, key)
