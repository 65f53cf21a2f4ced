"""Export of the case list (C8, decision 0236): `GET /api/v1/cases/export?format=csv|xlsx` with the filters of
`GET /api/v1/cases`, read back as a spreadsheet program would (csv, openpyxl), scoped to what the caller sees."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from conftest import Stack
from openpyxl import load_workbook

from gateway import access
from gateway.domain import api_keys

HEADINGS = [
    "Number",
    "Title",
    "Status",
    "Priority",
    "Requester",
    "Organisation",
    "Assignee",
    "Group",
    "Type",
    "Category",
    "Tags",
    "Created (UTC)",
    "Updated (UTC)",
    "Due (UTC)",
    "SLA state",
]
FORMULA_TITLE = '=HYPERLINK("http://evil.example","click")'


def _key(stack: Stack, email: str) -> httpx.Client:
    _, secret = access.create_api_key(
        factory=stack.db(), name=f"key of {email}", scopes=list(api_keys.ALL_SCOPES), agent_email=email
    )
    return stack.client(secret)


def _made(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


@pytest.fixture(scope="module")
def world(stack: Stack, api: httpx.Client, admin_agent: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Cases tagged with this module's tag: three high ones in a light agent's group, two low ones elsewhere,
    and 104 more (paged past the list's 100)."""
    tag = f"exp-{uuid.uuid4().hex[:6]}"
    light = _made(
        api.post("/api/v1/agents", json={"email": f"li-{tag}@example.com", "name": "Lise", "role": "light_agent"})
    )
    field = _made(api.post("/api/v1/groups", json={"name": f"Field {tag}", "member_ids": [light["id"]]}))

    def case(title: str, priority: str, **extra: Any) -> dict[str, Any]:
        body = {"title": title, "priority": priority, "tags": [tag, "export"], **extra}
        return _made(api.post("/api/v1/cases", json={"requester_email": f"kari-{tag}@example.no", **body}))

    high = [
        case(FORMULA_TITLE, "high", group_id=field["id"]),
        case(
            f"Printer on fire {tag}",
            "high",
            group_id=field["id"],
            requester_email=f"nordmann-{tag}@example.no",
            requester_name="Kari Nordmann",
        ),
        case(f"Ærlig talt, æøå {tag}", "high", group_id=field["id"]),
    ]
    assigned = api.patch(
        f"/api/v1/cases/{high[1]['id']}", json={"assignee_id": admin_agent["id"]}, headers={"If-Match": "*"}
    )
    assert assigned.status_code == 200, assigned.text
    high[1] = assigned.json()
    low = [case(f"Low {i} {tag}", "low") for i in range(2)]
    with _key(stack, light["email"]) as light_api:
        yield {"tag": tag, "high": high, "low": low, "light_api": light_api, "field": field}


def _csv_rows(resp: httpx.Response) -> list[list[str]]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["content-disposition"].startswith('attachment; filename="cases-')
    assert resp.content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"), newline="")))


def test_csv_has_every_column_and_honours_the_filters(
    api: httpx.Client, world: dict[str, Any], admin_agent: dict[str, Any]
) -> None:
    resp = api.get("/api/v1/cases/export", params={"format": "csv", "tag": world["tag"], "priority": "high"})
    rows = _csv_rows(resp)
    assert rows[0] == HEADINGS
    by_number = {int(r[0]): dict(zip(HEADINGS, r, strict=True)) for r in rows[1:]}
    assert set(by_number) == {c["number"] for c in world["high"]}  # the low ones are filtered out
    formula, printer, nordic = (by_number[c["number"]] for c in world["high"])
    # a title a spreadsheet would run as a formula is written as text
    assert formula["Title"] == "'" + FORMULA_TITLE
    assert nordic["Title"] == f"Ærlig talt, æøå {world['tag']}"
    assert printer["Requester"] == f"Kari Nordmann <nordmann-{world['tag']}@example.no>"
    assert printer["Assignee"] == f"{admin_agent['name']} <{admin_agent['email']}>"
    assert printer["Group"] == world["field"]["name"]
    assert printer["Priority"] == "high"
    assert printer["Status"]  # the admin status's name
    assert printer["Tags"] == f"{world['tag']}, export"
    assert printer["Due (UTC)"] == ""
    created = datetime.strptime(printer["Created (UTC)"], "%Y-%m-%dT%H:%M:%SZ")
    assert created.strftime("%Y-%m-%dT%H:%M:%S") == world["high"][1]["created_at"][:19]
    assert printer["SLA state"] in {"none", "ok", "warning", "breached", "paused", "met"}


def test_csv_follows_the_sort_asked_for(api: httpx.Client, world: dict[str, Any]) -> None:
    params = {"format": "csv", "tag": world["tag"], "sort": "number"}
    numbers = [int(r[0]) for r in _csv_rows(api.get("/api/v1/cases/export", params=params))[1:]]
    assert numbers == sorted(c["number"] for c in world["high"] + world["low"])
    params["sort"] = "-number"
    numbers = [int(r[0]) for r in _csv_rows(api.get("/api/v1/cases/export", params=params))[1:]]
    assert numbers == sorted((c["number"] for c in world["high"] + world["low"]), reverse=True)


def test_xlsx_reads_back_with_typed_cells(api: httpx.Client, world: dict[str, Any]) -> None:
    resp = api.get("/api/v1/cases/export", params={"format": "xlsx", "tag": world["tag"], "sort": "number"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert resp.headers["content-disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(resp.content), read_only=True)
    sheet = book["Cases"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADINGS
    expected = sorted(world["high"] + world["low"], key=lambda c: c["number"])
    assert [r[0] for r in rows[1:]] == [c["number"] for c in expected]
    first = dict(zip(HEADINGS, rows[1], strict=True))
    assert isinstance(first["Number"], int)
    assert first["Title"] == FORMULA_TITLE  # a text cell: xlsx keeps it as text, never a formula
    assert isinstance(first["Created (UTC)"], datetime)
    assert first["Created (UTC)"].isoformat()[:16] == expected[0]["created_at"][:16]
    assert first["Due (UTC)"] is None
    formula_cell = next(sheet.iter_rows(min_row=2, max_row=2))[1]
    assert formula_cell.data_type == "s"


def test_an_export_takes_every_page(api: httpx.Client, world: dict[str, Any]) -> None:
    """More cases than one page of the list (100): the export follows the cursor to the end."""
    tag = f"many-{uuid.uuid4().hex[:6]}"
    for i in range(104):
        made = _made(api.post("/api/v1/cases", json={"title": f"Bulk {i} {tag}", "category": tag}))
        assert made["category"] == tag
    rows = _csv_rows(api.get("/api/v1/cases/export", params={"format": "csv", "category": tag}))
    titles = [r[1] for r in rows[1:]]
    assert len(titles) == 104 == len(set(titles))
    assert titles[0] == f"Bulk 103 {tag}" and titles[-1] == f"Bulk 0 {tag}"  # newest first, the default sort


def test_a_light_agent_exports_only_their_groups_cases(world: dict[str, Any]) -> None:
    for fmt in ("csv", "xlsx"):
        resp = world["light_api"].get("/api/v1/cases/export", params={"format": fmt, "tag": world["tag"]})
        if fmt == "csv":
            numbers = {int(r[0]) for r in _csv_rows(resp)[1:]}
        else:
            assert resp.status_code == 200, resp.text
            rows = list(load_workbook(io.BytesIO(resp.content), read_only=True)["Cases"].iter_rows(values_only=True))
            numbers = {r[0] for r in rows[1:]}
        assert numbers == {c["number"] for c in world["high"]}, fmt  # the low ones are in no group of theirs


def test_a_bad_format_or_filter_answers_422_with_a_code(api: httpx.Client) -> None:
    resp = api.get("/api/v1/cases/export", params={"format": "pdf"})
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["query", "format"]
    resp = api.get("/api/v1/cases/export", params={"format": "csv", "priority": "extreme"})
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "validation_error"
    # paging is not a filter of an export
    spec = api.get("/api/v1/openapi.json").json()["paths"]["/api/v1/cases/export"]["get"]
    names = {p["name"] for p in spec["parameters"]}
    assert {"format", "status", "tag", "sort", "created_from", "sla_state", "q"} <= names
    assert not names & {"cursor", "limit"}
    assert set(spec["responses"]["200"]["content"]) == {
        "text/csv; charset=utf-8",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


def test_an_export_needs_a_key(stack: Stack) -> None:
    with stack.anonymous() as anonymous:
        assert anonymous.get("/api/v1/cases/export").status_code == 401
