"""`get_attachment`: the bytes of an attachment of a stored inbound mail, and never any other blob."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from sqlalchemy import text

from chassis.testing import SyncRpc
from contracts import errors


def _code(rpc: SyncRpc, sha256: Any) -> str:
    with pytest.raises(errors.DomainError) as refused:
        rpc.call("mail_gateway", "get_attachment", sha256=sha256)
    return refused.value.code


def test_an_attachment_of_a_stored_mail_is_served_and_nothing_else(stack, rpc):
    content = b"%PDF-1.4 serve me"
    mid = stack.unique("attachment")
    assert stack.send(stack.mail(message_id=mid, attachment=("serve.pdf", content))) == {}
    [row] = stack.wait_rows(lambda rows: rows[0].status == "processed", message_id=mid)
    sha256 = hashlib.sha256(content).hexdigest()
    assert [a["sha256"] for a in row.attachments] == [sha256]
    with stack.engine.connect() as conn:  # listed in the lookup's table, not only in the mail's JSON (0217)
        listed = conn.execute(text("SELECT inbound_mail_id FROM inbound_attachment WHERE sha256 = :s"), {"s": sha256})
        assert listed.scalars().all() == [row.id]

    got = rpc.call("mail_gateway", "get_attachment", sha256=sha256)
    assert got["sha256"] == sha256 and base64.b64decode(got["content_base64"]) == content

    # the raw mail is in the same blob store, but it is no attachment: not served
    assert (stack.blob_dir / row.raw_sha256[:2] / row.raw_sha256).is_file()
    assert _code(rpc, row.raw_sha256) == errors.NOT_FOUND
    assert _code(rpc, "0" * 64) == errors.NOT_FOUND
    for bad in ("not-a-hash", sha256.upper(), sha256[:63], "../" + sha256[3:], "%" * 64, sha256 + "\n"):
        assert _code(rpc, bad) == errors.VALIDATION_ERROR
