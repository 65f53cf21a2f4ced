"""The inbound-mail audit API and mailbox admin through `python -m gateway web`, with the real mail gateway."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from conftest import wait_until

from chassis.testing import free_port
from gateway import access
from gateway.domain import api_keys


def _send(port: int, message_id: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Nina Berg <nina@customer.example>"
    msg["To"] = "support@example.com"
    msg["Subject"] = headers.pop("subject", "Audit me")
    msg["Message-ID"] = f"<{message_id}>"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("The scanner jams.\n")
    msg.add_attachment(b"%PDF-1.4 log", maintype="application", subtype="pdf", filename="log.pdf")
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))  # as on the wire
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.sendmail("nina@customer.example", ["support@example.com"], raw)
    return raw


def test_an_emailed_case_shows_in_the_audit_list_with_its_case_reason_and_raw_bytes(stack, api, mail):
    raw = _send(mail["smtp_port"], "audit-1@customer.example")

    def entry() -> dict[str, Any] | None:
        items = api.get("/api/v1/inbound-mail", params={"message_id": "audit-1@customer.example"}).json()["items"]
        return items[0] if items and items[0]["case_id"] else None

    found = wait_until(entry, timeout=30, what="the mail became a case")
    assert found["from"] == "nina@customer.example" and found["mailbox"] == "support@example.com"
    assert (found["classification"], found["thread_reason"], found["subject"]) == ("normal", "new_case", "Audit me")
    assert [a["filename"] for a in found["attachments"]] == ["log.pdf"]
    case = api.get(f"/api/v1/cases/{found['case_id']}").json()
    assert case["title"] == "Audit me"

    by_case = api.get("/api/v1/inbound-mail", params={"case_id": found["case_id"]}).json()["items"]
    assert [i["id"] for i in by_case] == [found["id"]]
    assert api.get("/api/v1/inbound-mail", params={"classification": "bounce"}).json()["items"] == []
    assert api.get("/api/v1/inbound-mail", params={"mailbox": "nobody@example.com"}).json()["items"] == []

    got = api.get(found["raw_url"])
    assert got.status_code == 200 and got.headers["content-type"] == "message/rfc822"
    assert got.content == raw
    assert api.get("/api/v1/inbound-mail/999999/raw").json()["error"]["code"] == "not_found"


def test_an_auto_reply_is_listed_as_such_and_opens_no_case(stack, api, mail):
    headers = {"subject": "Out of office", "Auto-Submitted": "auto-replied"}
    _send(mail["smtp_port"], "audit-oof@customer.example", **headers)

    def entry() -> dict[str, Any] | None:
        items = api.get("/api/v1/inbound-mail", params={"classification": "auto_reply"}).json()["items"]
        return items[0] if items else None

    found = wait_until(entry, timeout=30, what="auto-reply processed")
    assert found["message_id"] == "audit-oof@customer.example" and found["case_id"] is None
    first = api.get("/api/v1/inbound-mail", params={"limit": 1}).json()
    assert first["items"][0]["id"] == found["id"] and first["next"] is not None
    older = api.get(first["next"]).json()
    assert older["items"][0]["message_id"] == "audit-1@customer.example"


def test_mailboxes_never_show_the_password_and_verify_gives_a_reason(stack, api, mail):
    body = {
        "address": "imap-audit@example.com",
        "imap_host": "127.0.0.1",
        "imap_port": free_port(),
        "imap_security": "none",
        "imap_user": "someone",
        "imap_password": "s3cret-never-returned",
        "active": False,
    }
    created = api.post("/api/v1/mailboxes", json=body)
    assert created.status_code == 201, created.text
    assert "s3cret-never-returned" not in created.text and created.json()["imap_password_set"] is True
    listed = api.get("/api/v1/mailboxes")
    assert "s3cret-never-returned" not in listed.text
    assert {m["address"] for m in listed.json()} >= {"support@example.com", "imap-audit@example.com"}
    check = api.post(f"/api/v1/mailboxes/{created.json()['id']}/verify").json()
    assert (check["ok"], check["step"]) == (False, "connect") and "refused" in check["reason"]
    # IMAP IDLE (decision 0147): on unless switched off, and the API says whether a worker watches it
    assert created.json()["use_idle"] is True and created.json()["imap_idle_active"] is False
    changed = api.put(f"/api/v1/mailboxes/{created.json()['id']}", json={**body, "use_idle": False})
    assert changed.status_code == 200, changed.text
    assert changed.json()["use_idle"] is False and changed.json()["imap_password_set"] is True


def test_inbound_mail_is_for_admin_keys_only(stack, mail):
    _, secret = access.create_api_key(factory=stack.db(), name="reader", scopes=list(api_keys.ALL_SCOPES))
    with stack.client(secret) as client:
        for path in ("/api/v1/inbound-mail", "/api/v1/mailboxes", "/api/v1/inbound-mail/1/raw"):
            resp = client.get(path)
            assert resp.status_code == 403 and resp.json()["error"]["code"] == "role_forbidden"
