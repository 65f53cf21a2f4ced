"""Attachments that came by email, downloaded through the REST API and the agent UI, with the real mail gateway."""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from typing import Any

import test_ui_case_work as ui
from conftest import wait_until

agent = ui.agent  # an agent signed in to the web UI


def _send(port: int, sender: str, message_id: str, subject: str, filename: str, content: bytes) -> None:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}>"
    msg.set_content("See the attached file.\n")
    msg.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.sendmail(sender, ["support@example.com"], msg.as_bytes())


def _case_with_mail(api: Any, message_id: str) -> tuple[int, dict[str, Any]]:
    """The case the mail became, and its message that lists the attachments."""

    def entry() -> dict[str, Any] | None:
        items = api.get("/api/v1/inbound-mail", params={"message_id": message_id}).json()["items"]
        return items[0] if items and items[0]["case_id"] else None

    case_id = wait_until(entry, timeout=30, what="the mail became a case")["case_id"]

    def message() -> dict[str, Any] | None:
        resp = api.get(f"/api/v1/cases/{case_id}/messages")
        assert resp.status_code == 200, resp.text
        return next((m for m in resp.json()["items"] if m["attachments"]), None)

    return case_id, wait_until(message, timeout=30, what="the message with its attachments")


def test_an_emailed_attachment_downloads_only_through_its_own_case_and_message(stack, api, mail, agent):
    report = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    other = b"%PDF-1.4 another customer's contract"
    _send(mail["smtp_port"], "nina@customer.example", "att-1@customer.example", "Scan", "scan report.pdf", report)
    case_id, message = _case_with_mail(api, "att-1@customer.example")
    _send(mail["smtp_port"], "ola@other.example", "att-2@other.example", "Contract", "contract.pdf", other)
    other_case_id, other_message = _case_with_mail(api, "att-2@other.example")
    assert other_case_id != case_id
    [ref] = message["attachments"]
    assert ref["sha256"] == hashlib.sha256(report).hexdigest() and ref["filename"] == "scan report.pdf"

    url = f"/api/v1/cases/{case_id}/messages/{message['id']}/attachments/{ref['sha256']}"
    got = api.get(url)
    assert got.status_code == 200, got.text
    assert got.content == report
    assert got.headers["content-type"] == "application/pdf"
    assert (
        got.headers["content-disposition"]
        == "attachment; filename=\"scan report.pdf\"; filename*=UTF-8''scan%20report.pdf"
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "sandbox"
    assert got.headers["etag"] == f'"{ref["sha256"]}"'

    # another case's attachment, asked for through this case and message: its hash alone opens nothing
    other_sha = other_message["attachments"][0]["sha256"]
    refused = [
        f"/api/v1/cases/{case_id}/messages/{message['id']}/attachments/{other_sha}",
        f"/api/v1/cases/{case_id}/messages/{other_message['id']}/attachments/{other_sha}",
        f"/api/v1/cases/{case_id}/messages/{message['id']}/attachments/{'ab' * 32}",
        f"/api/v1/cases/{case_id}/messages/{message['id']}/attachments/not-a-hash",
    ]
    for path in refused:
        resp = api.get(path)
        assert resp.status_code == 404, (path, resp.text)
        assert resp.json()["error"]["code"] == "not_found"
    # ...and through its own case it does download
    own = api.get(f"/api/v1/cases/{other_case_id}/messages/{other_message['id']}/attachments/{other_sha}")
    assert own.status_code == 200 and own.content == other

    # the agent UI's case page links the attachment listed under the email message to its UI download
    page = agent.get(f"/cases/{case_id}")
    assert page.status_code == 200
    ui_url = f"/cases/{case_id}/messages/{message['id']}/attachments/{ref['sha256']}"
    assert f'href="{ui_url}"' in page.text
    through_ui = agent.get(ui_url)
    assert through_ui.status_code == 200 and through_ui.content == report
    assert through_ui.headers["content-type"] == "application/pdf"
    assert through_ui.headers["content-disposition"] == got.headers["content-disposition"]
    assert agent.get(f"/cases/{case_id}/messages/{message['id']}/attachments/{other_sha}").status_code == 404
