"""IMAP over TLS with certificate verification on (decision 0157): a private CA, a wrong name, an unknown CA.

The dovecots here present certificates issued for `localhost` by a CA made in the fixture; the worker
trusts that CA through MAIL_GATEWAY_IMAP_CA_FILE (besides the system's trust store), never by turning
verification off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import IMAP_PASSWORD, imap_mailbox
from imap_server import Dovecot, dovecot_server
from pki import CertAuthority, make_ca

from chassis.testing import SyncRpc, wait_until

SLOW_POLL = 600  # seconds: far beyond any wait here, so what arrives in seconds came by IDLE
NAME = "localhost"  # the name on the servers' certificates; 127.0.0.1 is the same server under another name
USERS = ["tls-idle", "starttls", "wrong-name", "untrusted"]


@pytest.fixture(scope="module")
def trusted_ca() -> CertAuthority:
    return make_ca("Helpdesk Test CA")


@pytest.fixture(scope="module")
def tls_imap(trusted_ca: CertAuthority) -> Iterator[Dovecot]:
    """Implicit TLS and STARTTLS with a certificate for `localhost` from the CA the worker trusts."""
    with dovecot_server(dict.fromkeys(USERS, IMAP_PASSWORD), cert=trusted_ca.issue(NAME)) as server:
        yield server


@pytest.fixture(scope="module")
def rogue_imap() -> Iterator[Dovecot]:
    """The right name, but issued by a CA nobody here trusts."""
    with dovecot_server(dict.fromkeys(USERS, IMAP_PASSWORD), cert=make_ca("Rogue CA").issue(NAME)) as server:
        yield server


@pytest.fixture(scope="module")
def trusting_stack(stack: Any, trusted_ca: CertAuthority, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """This module's stack, its worker restarted to trust the test CA (the module's own worker and env)."""
    ca_file = Path(tmp_path_factory.mktemp("ca")) / "ca.pem"
    ca_file.write_bytes(trusted_ca.cert_pem)
    stack.worker.stop()
    stack.env["MAIL_GATEWAY_IMAP_CA_FILE"] = str(ca_file)  # the worker's env is this very dict
    stack.worker.start()
    return stack


def _tls_mailbox(server: Dovecot, user: str, **extra: Any) -> dict[str, Any]:
    """Implicit TLS (`ssl`) to `localhost`, the name on the certificate."""
    return imap_mailbox(
        server, user, **{"imap_host": NAME, "imap_port": server.tls_port, "imap_security": "ssl", **extra}
    )


def _box(rpc: SyncRpc, mailbox_id: int) -> dict[str, Any]:
    return next(b for b in rpc.call("mail_gateway", "list_mailboxes") if b["id"] == mailbox_id)


def test_mail_arrives_through_idle_over_tls_with_the_certificate_verified(trusting_stack, tls_imap, rpc):
    stack = trusting_stack
    data = _tls_mailbox(tls_imap, "tls-idle", imap_poll_seconds=SLOW_POLL)
    check = rpc.call("mail_gateway", "verify_mailbox_connection", data=data)
    assert (check["ok"], check["step"], check["code"]) == (True, "done", "")
    saved = rpc.call("mail_gateway", "save_mailbox", data=data)
    # the watcher takes the lease, then logs in over TLS and records that the server offers IDLE
    box = wait_until(
        lambda: (b := _box(rpc, saved["id"]))["imap_idle_active"] and b["imap_idle_supported"] and b,
        what="idle watcher over TLS",
    )
    assert box["imap_last_error"] is None

    mid = stack.unique("tls-idle")
    tls_imap.append("tls-idle", stack.mail(message_id=mid, subject="Sent while idling over TLS"))
    event = stack.wait_emitted([mid], timeout=15)[mid][0]["payload"]  # announced by IDLE: the poll is 10 min away
    assert event["mailbox"] == "tls-idle-imap@example.com" and event["default_group"] == "Support"
    [row] = stack.rows(mailbox_id=saved["id"])
    assert row.message_id == mid and row.source == "imap"
    wait_until(lambda: all("\\Seen" in v for v in tls_imap.flags("tls-idle").values()), what="flagged seen")
    assert _box(rpc, saved["id"])["imap_last_error"] is None


def test_starttls_polling_verifies_the_certificate_too(trusting_stack, tls_imap, rpc):
    stack = trusting_stack
    data = imap_mailbox(tls_imap, "starttls", imap_host=NAME, imap_security="starttls", use_idle=False)
    mid = stack.unique("starttls")
    tls_imap.append("starttls", stack.mail(message_id=mid))
    saved = rpc.call("mail_gateway", "save_mailbox", data=data)
    stack.wait_emitted([mid])
    assert [r.message_id for r in stack.rows(mailbox_id=saved["id"])] == [mid]
    assert _box(rpc, saved["id"])["imap_last_error"] is None


def test_a_refused_certificate_is_named_by_a_code_and_no_mail_is_fetched(trusting_stack, tls_imap, rogue_imap, rpc):
    stack = trusting_stack

    def check(data: dict[str, Any]) -> dict[str, Any]:
        result = rpc.call("mail_gateway", "verify_mailbox_connection", data=data)
        assert (result["ok"], result["step"]) == (False, "tls"), result
        return result

    # the trusted CA's certificate, but asked for under a name it does not carry
    wrong_name = _tls_mailbox(tls_imap, "wrong-name", imap_host="127.0.0.1")
    result = check(wrong_name)
    assert result["code"] == "tls_hostname_mismatch" and "another host name" in result["reason"]
    # the right name, from a CA we do not trust: over implicit TLS and over STARTTLS alike
    untrusted = _tls_mailbox(rogue_imap, "untrusted")
    result = check(untrusted)
    assert result["code"] == "tls_certificate_untrusted" and "MAIL_GATEWAY_IMAP_CA_FILE" in result["reason"]
    result = check({**untrusted, "imap_port": rogue_imap.port, "imap_security": "starttls"})
    assert result["code"] == "tls_certificate_untrusted" and result["reason"].startswith("STARTTLS failed")
    assert IMAP_PASSWORD not in str(result)

    # saved and active (IDLE and polling every second): each records the failure and fetches nothing
    waiting = {"wrong-name": (tls_imap, wrong_name), "untrusted": (rogue_imap, untrusted)}
    saved = {}
    for user, (server, data) in waiting.items():
        server.append(user, stack.mail(message_id=stack.unique(user)))
        saved[user] = rpc.call("mail_gateway", "save_mailbox", data={**data, "imap_poll_seconds": 1})
        stored = rpc.call("mail_gateway", "verify_mailbox_connection", mailbox_id=saved[user]["id"])
        assert stored["code"] == check(data)["code"]  # the stored mailbox is checked the same way
    for user, (server, _) in waiting.items():
        box = wait_until(lambda u=user: (b := _box(rpc, saved[u]["id"]))["imap_last_error"] and b, what="error")
        assert box["imap_last_error"].startswith("tls: ") and "certificate" in box["imap_last_error"]
        assert box["imap_idle_active"] is False and box["imap_last_uid"] == 0
        assert stack.rows(mailbox_id=saved[user]["id"]) == []
        assert all("\\Seen" not in flags for flags in server.flags(user).values())
