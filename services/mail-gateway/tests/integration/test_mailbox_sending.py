"""A mailbox's sending settings (decisions 0227, 0228): stored with the password sealed, and announced to
notifications through the outbox on every save, the password only sealed, with a growing version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SECRET, Stack
from sqlalchemy import text

from chassis import sealed
from chassis.testing import SyncRpc
from contracts.errors import DomainError

PASSWORD = "smtp-pw-never-in-the-clear-88"


def _save(rpc: SyncRpc, data: dict[str, Any], mailbox_id: int | None = None) -> dict[str, Any]:
    return rpc.call("mail_gateway", "save_mailbox", data=data, mailbox_id=mailbox_id)


def test_saving_a_mailbox_announces_its_smtp_server_with_the_password_only_sealed(stack: Stack, rpc: SyncRpc) -> None:
    body = {
        "address": "Sending@Example.com",
        "smtp_host": "smtp.example.net",
        "smtp_security": "ssl",
        "smtp_user": "sending-login",
        "smtp_password": PASSWORD,
    }
    saved = _save(rpc, body)
    assert PASSWORD not in json.dumps(saved)
    assert (saved["smtp_port"], saved["smtp_password_set"], saved["smtp_version"]) == (465, True, 1)
    [event] = stack.events.wait_for("mailbox_sending_changed", mailbox_id=saved["id"])
    assert PASSWORD not in json.dumps(event)
    payload = event["payload"]
    assert (payload["address"], payload["version"]) == ("sending@example.com", 1)
    smtp = payload["smtp"]
    assert (smtp["host"], smtp["port"], smtp["security"], smtp["auth"], smtp["user"]) == (
        "smtp.example.net",
        465,
        "ssl",
        "password",
        "sending-login",
    )
    assert sealed.unseal(smtp["password_sealed"], secret=SECRET, purpose=sealed.SMTP_PASSWORD) == PASSWORD
    with stack.engine.connect() as conn:
        stored = conn.execute(text("SELECT smtp_password FROM mailbox WHERE id = :i"), {"i": saved["id"]}).scalar()
    assert stored.startswith(sealed.PREFIX) and PASSWORD not in stored

    # a save without a password keeps it; dropping the server sends through the global relay again
    kept = _save(rpc, {**body, "smtp_password": None, "smtp_port": 2465}, saved["id"])
    assert kept["smtp_password_set"] is True and kept["smtp_version"] == 2
    [second] = stack.events.wait_for("mailbox_sending_changed", mailbox_id=saved["id"], version=2)
    assert second["payload"]["smtp"]["password_sealed"] and second["payload"]["smtp"]["port"] == 2465
    cleared = _save(rpc, {**body, "smtp_password": ""}, saved["id"])
    assert cleared["smtp_password_set"] is False and cleared["smtp_version"] == 3
    dropped = _save(rpc, {"address": body["address"]}, saved["id"])
    assert dropped["smtp_host"] is None and dropped["smtp_version"] == 4
    [third] = stack.events.wait_for("mailbox_sending_changed", mailbox_id=saved["id"], version=4)
    assert third["payload"]["smtp"] is None


def test_an_oauth2_mailbox_logs_in_as_itself_and_carries_no_password(stack: Stack, rpc: SyncRpc) -> None:
    saved = _save(rpc, {"address": "o365@example.com", "smtp_host": "smtp.office365.com", "smtp_auth": "oauth2"})
    assert saved["smtp_port"] == 587 and saved["smtp_security"] == "starttls"
    [event] = stack.events.wait_for("mailbox_sending_changed", mailbox_id=saved["id"])
    smtp = event["payload"]["smtp"]
    assert (smtp["auth"], smtp["user"], smtp["password_sealed"]) == ("oauth2", "o365@example.com", "")


def test_bad_sending_settings_are_refused_and_change_nothing(stack: Stack, rpc: SyncRpc) -> None:
    before = len(stack.events.events)
    for bad, field in (
        ({"smtp_host": "smtp example", "smtp_user": "u"}, "smtp_host"),
        ({"smtp_host": "smtp.example.net", "smtp_password": "pw"}, "smtp_user"),
    ):
        with pytest.raises(DomainError) as refused:
            _save(rpc, {"address": "refused@example.com", **bad})
        assert refused.value.code == "validation_error" and field in str(refused.value.details)
    listed = rpc.call("mail_gateway", "list_mailboxes")
    assert "refused@example.com" not in {m["address"] for m in listed}
    assert not [e for e in stack.events.events[before:] if e["payload"].get("address") == "refused@example.com"]
