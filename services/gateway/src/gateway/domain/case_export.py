"""What an export of the case list holds (C8): its columns and each case as a row. Pure: no I/O.

A row is built from a case as the cases service sends it (the JSON of `CaseRead`), not from a validated
model: an export of 100,000 cases would spend most of its time validating models it only reads a few
fields of (decision 0236).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# (heading, kind): `text`, `number` or `time` (UTC, an ISO 8601 text in CSV and a date cell in xlsx)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Number", "number"),
    ("Title", "text"),
    ("Status", "text"),
    ("Priority", "text"),
    ("Requester", "text"),
    ("Organisation", "text"),
    ("Assignee", "text"),
    ("Group", "text"),
    ("Type", "text"),
    ("Category", "text"),
    ("Tags", "text"),
    ("Created (UTC)", "time"),
    ("Updated (UTC)", "time"),
    ("Due (UTC)", "time"),
    ("SLA state", "text"),
)
HEADINGS = [heading for heading, _kind in COLUMNS]
KINDS = [kind for _heading, kind in COLUMNS]

# A text starting with one of these is a formula to Excel and LibreOffice, even in a CSV file: a case title
# from a stranger's mail could run one on the machine of whoever opens the export (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _name(ref: dict[str, Any] | None) -> str:
    return str(ref.get("name") or "") if ref else ""


def _person(ref: dict[str, Any] | None) -> str:
    """`Name <email>`, or whichever of the two is known."""
    if not ref:
        return ""
    name, email = str(ref.get("name") or ""), str(ref.get("email") or "")
    if name and email:
        return f"{name} <{email}>"
    return name or email


def case_row(case: dict[str, Any]) -> list[Any]:
    """One case as the export's row, in the order of COLUMNS: numbers as int, times as ISO text or None."""
    return [
        case["number"],
        case.get("title") or "",
        case.get("status_name") or str(case.get("status") or "").replace("_", " "),
        case.get("priority") or "",
        _person(case.get("requester")),
        _name(case.get("organisation")),
        _person(case.get("assignee")),
        _name(case.get("group")),
        _name(case.get("type")),
        case.get("category") or "",
        ", ".join(case.get("tags") or []),
        case.get("created_at"),
        case.get("updated_at"),
        case.get("due_at"),
        case.get("sla_state") or "none",
    ]


def safe_text(value: str) -> str:
    """A text that no spreadsheet reads as a formula: one that would be gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cells(row: list[Any]) -> list[str]:
    """A row's cells for CSV: texts made safe, times as ISO 8601 UTC (`2026-12-07T20:05:00Z`)."""
    cells: list[str] = []
    for value, kind in zip(row, KINDS, strict=True):
        if value is None:
            cells.append("")
        elif kind == "text":
            cells.append(safe_text(str(value)))
        elif kind == "time":
            cells.append(f"{parse_time(str(value)):%Y-%m-%dT%H:%M:%SZ}")
        else:
            cells.append(str(value))
    return cells


def parse_time(value: str) -> datetime:
    """A UTC time of the cases service's JSON as a naive UTC datetime (spreadsheets have no time zones)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def file_name(fmt: ExportFormat, now: datetime) -> str:
    return f"cases-{now:%Y%m%d-%H%M}.{fmt.value}"
