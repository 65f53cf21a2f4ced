"""Export of the case list to CSV or xlsx (C8), shared by the REST API and the agent UI (decision 0236).

The cases come from `cases.list_cases` one keyset page at a time, scoped to the viewer like the list itself,
and leave as they come: a CSV response is streamed page by page; an xlsx file is written row by row into a
temporary file with XlsxWriter's constant-memory mode (its rows flushed to disk as they are written), then
streamed from that file. Neither holds the whole list in memory.

The first page is fetched before the response starts, so a bad filter still answers its own 4xx. A failure
after that (the cases service gone mid-export) aborts the stream: the client sees a broken download, never
a file that looks complete but is not.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import IO, Any

import xlsxwriter
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import StreamingResponse

from contracts import cases as c
from contracts import search as s
from gateway.context import AppContext
from gateway.domain import case_export as rules
from gateway.domain.case_export import ExportFormat

PAGE = 100  # the list RPC's largest page
CHUNK = 256 * 1024  # bytes of the xlsx file per streamed chunk
UTF8_BOM = "\ufeff"  # without it, Excel reads a CSV file's UTF-8 as the machine's legacy code page


async def _pages(ctx: AppContext, filters: c.CaseFilter, viewer: s.Viewer) -> AsyncIterator[list[dict[str, Any]]]:
    """Every page of cases matching `filters` that `viewer` may see, in the filters' sort order.

    The next page is asked for as soon as a page arrives, so the cases worker reads it while this process writes
    the page before it (two processes, two cores); one page ahead at most, so memory stays flat."""

    async def fetch(cursor: str | None) -> dict[str, Any]:
        page_filter = filters.model_copy(update={"cursor": cursor, "limit": PAGE})
        page: dict[str, Any] = json.loads(await ctx.cases.list_cases.json(filters=page_filter, viewer=viewer))
        return page

    ahead: asyncio.Task[dict[str, Any]] | None = asyncio.ensure_future(fetch(None))
    try:
        while ahead is not None:
            page = await ahead
            cursor = page.get("next")
            ahead = asyncio.ensure_future(fetch(cursor)) if cursor else None
            yield page["items"]
    finally:
        if ahead is not None:
            ahead.cancel()  # the client went away: no page is asked for in vain


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)  # RFC 4180
    return buffer.getvalue()


def _csv_rows(items: list[dict[str, Any]]) -> str:
    return _csv_text([rules.csv_cells(rules.case_row(case)) for case in items])


async def _csv_body(first: list[dict[str, Any]], rest: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    yield (UTF8_BOM + _csv_text([rules.HEADINGS]) + _csv_rows(first)).encode()
    async for items in rest:
        yield _csv_rows(items).encode()


class XlsxSheet:
    """One worksheet written row by row into `target` (constant memory: each row goes to disk as written)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
        self.sheet = self.book.add_worksheet("Cases")
        self.bold = self.book.add_format({"bold": True})
        self.time = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.sheet.freeze_panes(1, 0)
        self.sheet.set_column(1, 1, 48)  # the title
        self.sheet.set_column(4, 7, 24)  # requester, organisation, assignee, group
        self.sheet.set_column(11, 13, 17)  # the times
        self.sheet.write_row(0, 0, rules.HEADINGS, self.bold)
        self.next_row = 1

    def add(self, items: list[dict[str, Any]]) -> None:
        for case in items:
            self._write(rules.case_row(case))

    def _write(self, row: list[Any]) -> None:
        sheet, at = self.sheet, self.next_row
        for col, (value, kind) in enumerate(zip(row, rules.KINDS, strict=True)):
            if value is None or value == "":
                continue
            if kind == "number":
                sheet.write_number(at, col, value)
            elif kind == "time":
                sheet.write_datetime(at, col, rules.parse_time(value), self.time)
            else:
                # write_string, never write(): a text starting with "=" stays a text, not a formula
                sheet.write_string(at, col, value)
        self.next_row += 1

    def close(self) -> None:
        self.sheet.autofilter(0, 0, max(self.next_row - 1, 1), len(rules.HEADINGS) - 1)
        self.book.close()


def _file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()  # a TemporaryFile: closing it removes it


async def _xlsx_file(first: list[dict[str, Any]], rest: AsyncIterator[list[dict[str, Any]]]) -> IO[bytes]:
    """The whole workbook in a temporary file (the CPU-bound writing in a worker thread, off the event loop)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the response once streamed
    try:
        book = await run_in_threadpool(XlsxSheet, handle)
        await run_in_threadpool(book.add, first)
        async for items in rest:
            await run_in_threadpool(book.add, items)
        await run_in_threadpool(book.close)
    except BaseException:
        handle.close()
        raise
    return handle


async def export(ctx: AppContext, *, filters: c.CaseFilter, viewer: s.Viewer, fmt: ExportFormat) -> StreamingResponse:
    """The cases matching `filters` that `viewer` may see, as a CSV or xlsx download."""
    pages = _pages(ctx, filters, viewer)
    first = await anext(pages)  # a bad filter answers its error here, before the response starts
    headers = {
        "Content-Disposition": f'attachment; filename="{rules.file_name(fmt, datetime.now(UTC))}"',
        "Cache-Control": "no-store",  # a list of customers' cases stays out of caches
    }
    if fmt is ExportFormat.CSV:
        return StreamingResponse(_csv_body(first, pages), media_type=rules.MEDIA_TYPES[fmt], headers=headers)
    handle = await _xlsx_file(first, pages)
    return StreamingResponse(
        iterate_in_threadpool(_file_chunks(handle)), media_type=rules.MEDIA_TYPES[fmt], headers=headers
    )
