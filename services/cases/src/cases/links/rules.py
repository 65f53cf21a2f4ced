"""Rules of merging and linking cases (B14). Pure, no I/O."""

from __future__ import annotations

from collections.abc import Callable

from contracts.errors import InvalidTransition, ValidationFailed


def check_merge(*, survivor_id: int, duplicate_id: int, survivor_merged: bool, duplicate_merged: bool) -> None:
    """A case merges into another live case, once."""
    if survivor_id == duplicate_id:
        raise ValidationFailed(message="a case cannot be merged into itself", details={"duplicate_id": duplicate_id})
    if duplicate_merged:
        raise InvalidTransition(message="this case was already merged", details={"duplicate_id": duplicate_id})
    if survivor_merged:
        raise InvalidTransition(message="cannot merge into a merged case", details={"case_id": survivor_id})


def check_link(*, case_id: int, other_case_id: int) -> None:
    if case_id == other_case_id:
        raise ValidationFailed(message="a case cannot be linked to itself", details={"other_case_id": other_case_id})


def check_parent(*, case_id: int, parent_id: int, parent_of: Callable[[int], int | None]) -> None:
    """A master may not be its own descendant: walk up from the new parent looking for the case."""
    check_link(case_id=case_id, other_case_id=parent_id)
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == case_id:
            raise InvalidTransition(message="that would make a case its own master", details={"parent_id": parent_id})
        seen.add(current)
        current = parent_of(current)
