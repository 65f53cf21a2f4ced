"""An agent's reply with files reaches the customer with them attached (decision 0102): the real
cases service stores the files and emits `message_added`, notifications fetches them and mails the SMTP sink.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cases_kit import Cases
from notifications_testkit import SmtpSink, Worker, running_worker, wait_until
from sqlalchemy import create_engine, text

from chassis.testing import pg_database

LIMIT = 3000  # NOTIFICATIONS_MAX_REPLY_ATTACHMENT_BYTES for this module


@pytest.fixture(scope="module")
def cases(amqp_uri: str, work_dir: Path) -> Iterator[Cases]:
    with pg_database("cases") as db_url:
        service = Cases(db_url, amqp_uri, work_dir)
        service.env["CASES_BLOB_DIR"] = str(work_dir / "case-blobs")
        service.start()
        try:
            yield service
        finally:
            service.stop()


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path, cases: Cases) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url,
        amqp_uri=amqp_uri,
        smtp_port=sink.port,
        log_dir=work_dir,
        var_dir=work_dir,
        max_reply_attachment_bytes=str(LIMIT),
    ) as worker:
        yield worker


@pytest.fixture(scope="module")
def agent(cases: Cases) -> dict[str, Any]:
    saved = cases.call("save_agent", data={"email": f"eva.{uuid.uuid4().hex[:6]}@example.com", "name": "Eva"})
    return {"type": "agent", "id": saved["id"], "name": "Eva", "email": saved["email"]}


def _customer_mail_consumed(worker: Worker) -> int:
    engine = create_engine(worker.db_url)
    try:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM processed_event WHERE consumer = 'notifications.on_message_added'")
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def _upload(cases: Cases, agent: dict[str, Any], case_id: int, name: str, content: bytes, kind: str) -> int:
    added = cases.call(
        "add_attachment",
        case_id=case_id,
        filename=name,
        content_type=kind,
        content_base64=base64.b64encode(content).decode(),
        actor=agent,
    )
    return int(added["id"])


def _post(cases: Cases, agent: dict[str, Any], case_id: int, body: str, ids: list[int], **data: Any) -> int:
    made = cases.call("add_message", case_id=case_id, data={"body": body, "attachment_ids": ids, **data}, actor=agent)
    return int(made["id"])


def test_the_reply_arrives_with_its_files_within_the_limit_and_never_a_notes_file(
    worker: Worker, sink: SmtpSink, cases: Cases, agent: dict[str, Any]
) -> None:
    customer = f"ida.{uuid.uuid4().hex[:6]}@customer.example"
    case = cases.call(
        "create_case", data={"title": "Contract", "source": "phone", "requester_email": customer}, actor=agent
    )
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4  # 1033 bytes, binary
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 992  # 1000 bytes
    huge = b"Z" * (LIMIT + 1)
    secret = b"INTERNAL salary sheet"
    ids = {
        "contract.pdf": _upload(cases, agent, case["id"], "contract.pdf", pdf, "application/pdf"),
        "scan.png": _upload(cases, agent, case["id"], "scan.png", png, "image/png"),
        "huge.bin": _upload(cases, agent, case["id"], "huge.bin", huge, "application/octet-stream"),
        "salaries.xlsx": _upload(cases, agent, case["id"], "salaries.xlsx", secret, "application/octet-stream"),
    }
    note = _post(cases, agent, case["id"], "INTERNAL: see sheet", [ids["salaries.xlsx"]], visibility="internal")
    reply = _post(
        cases,
        agent,
        case["id"],
        "The signed contract and the scan.",
        [ids["contract.pdf"], ids["huge.bin"], ids["scan.png"]],
    )

    [mail] = sink.wait_for(customer)
    # both messages (the note too) have been through the customer mail consumer before anything is judged
    wait_until(lambda: _customer_mail_consumed(worker) >= 2, what="note and reply consumed")
    files = {part.get_filename(): part for part in mail.iter_attachments()}
    assert set(files) == {"contract.pdf", "scan.png"}  # huge.bin alone is over the limit
    assert files["contract.pdf"].get_content() == pdf and files["contract.pdf"].get_content_type() == "application/pdf"
    assert files["scan.png"].get_content() == png and files["scan.png"].get_content_type() == "image/png"
    text = mail.get_body(("plain",)).get_content()
    assert "The signed contract and the scan." in text
    assert "Too large to send by email" in text and "huge.bin" in text
    assert "salaries" not in mail.as_string() and "INTERNAL" not in mail.as_string()
    rows = wait_until(lambda: [d for d in worker.deliveries(case_id=case["id"]) if d["status"] == "sent"])
    assert [r["case_message_id"] for r in worker.deliveries(case_id=case["id"])] == [reply]
    assert note not in [r["case_message_id"] for r in rows]
