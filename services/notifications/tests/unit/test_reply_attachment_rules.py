"""Which files of an agent's reply go with the customer's mail, and how they are attached (decision 0102)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import cast

from contracts.cases import AttachmentRef, CaseRead, MessageRead
from notifications.mail import compose
from notifications.mail.rules import MailAttachment, ThreadHeaders, choose, mime_type

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _ref(name: str, size: int, attachment_id: int | None = 1) -> AttachmentRef:
    return AttachmentRef(filename=name, size=size, sha256="0" * 64, attachment_id=attachment_id)


def test_files_go_in_order_while_the_total_fits_and_the_rest_are_left_out() -> None:
    refs = [_ref("a.pdf", 600), _ref("big.iso", 900), _ref("b.png", 400), _ref("mail.eml", 10, attachment_id=None)]
    chosen, left_out = choose(refs, limit=1000)
    assert [r.filename for r in chosen] == ["a.pdf", "b.png"]  # 1000 bytes: exactly the limit fits
    assert [r.filename for r in left_out] == ["big.iso"]  # files without a cases id are not ours to send
    assert choose(refs, limit=0) == ([], [r for r in refs if r.attachment_id is not None])


def test_odd_content_types_become_octet_stream() -> None:
    assert mime_type("application/pdf") == ("application", "pdf")
    for odd in ("", "pdf", "multipart/mixed", "text/html; charset=x", "text/\r\nX: y"):
        assert mime_type(odd) == ("application", "octet-stream")


def _reply(*, link_url: str | None = None, not_attached: tuple[str, ...] = ()) -> EmailMessage:
    case = CaseRead.model_validate(
        {
            "id": 1,
            "number": 1001,
            "title": "Invoice",
            "status": "open",
            "priority": "low",
            "source": "email",
            "requester": {"id": 5, "email": "a@x.example", "name": "A"},
            "version": 1,
            "created_at": T0,
            "updated_at": T0,
        }
    )
    message = MessageRead.model_validate(
        {
            "id": 9,
            "case_id": 1,
            "author_type": "agent",
            "visibility": "public",
            "channel": "web",
            "body_text": "Here it is.",
            "created_at": T0,
        }
    )
    mail = compose.agent_reply(
        case=case,
        message=message,
        to=compose.Mailbox("a@x.example", "A"),
        sender=compose.Mailbox("support@example.com", "Support"),
        message_id="m9@example.com",
        threading=ThreadHeaders(in_reply_to=None, references=[]),
        date=T0,
        link_url=link_url,
        attachments=[MailAttachment("invoice 7.pdf", "application/pdf", b"%PDF-1.4 fake\x00\xff")],
        not_attached=not_attached,
    )
    return cast(EmailMessage, message_from_bytes(mail.raw, policy=policy.default))


def test_the_reply_carries_its_files_next_to_text_and_html() -> None:
    msg = _reply(not_attached=("huge.iso",))
    assert msg.get_content_type() == "multipart/mixed"
    [file] = list(msg.iter_attachments())
    assert file.get_filename() == "invoice 7.pdf"
    assert file.get_content_type() == "application/pdf"
    assert file.get_content() == b"%PDF-1.4 fake\x00\xff"
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    assert "Here it is." in text.get_content()
    assert f"{compose.NOT_ATTACHED}: huge.iso" in text.get_content()
    assert "huge.iso" in html.get_content()


def test_link_only_mail_carries_no_files() -> None:
    msg = _reply(link_url="https://portal.example.com/c/x")
    assert list(msg.iter_attachments()) == []
    assert "Here it is." not in msg.as_string()
