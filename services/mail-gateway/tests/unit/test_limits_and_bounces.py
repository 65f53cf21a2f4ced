"""Size limits, the loop-safe notice rule and bounce events, without I/O."""

from contracts.mail_gateway import MailAddress
from mail_gateway.domain.bounces import bounce_events
from mail_gateway.domain.limits import may_notify_sender, rejection, split_attachments
from mail_gateway.mail.classify import BounceInfo, Classification
from mail_gateway.mail.parsed import Attachment

OWN = ["support@example.com"]


def _att(name: str, size: int) -> Attachment:
    return Attachment(filename=name, content_type="application/pdf", data=b"x" * size)


def test_attachments_over_the_limit_are_left_out_and_at_the_limit_kept():
    split = split_attachments([_att("a.pdf", 10), _att("b.pdf", 11), _att("c.pdf", 3)], max_bytes=10)
    assert [a.filename for a in split.kept] == ["a.pdf", "c.pdf"]
    assert [a.filename for a in split.left_out] == ["b.pdf"]


def test_only_a_persons_normal_mail_gets_a_notice():
    assert may_notify_sender(kind="normal", sender="kari@customer.test", own_addresses=OWN)
    for kind in ("auto_reply", "bounce", "mailing_list", "loop"):
        assert not may_notify_sender(kind=kind, sender="kari@customer.test", own_addresses=OWN)
    for sender in ("", "not-an-address", "MAILER-DAEMON@mx.test", "no-reply@shop.test", "support@example.com"):
        assert not may_notify_sender(kind="normal", sender=sender, own_addresses=OWN)


def test_rejection_carries_what_the_notice_needs():
    event = rejection(
        inbound_mail_id=7,
        mailbox="support@example.com",
        sender=MailAddress(email="kari@customer.test", name="Kari"),
        subject="Scans",
        message_id="m@x",
        reason="attachment_too_large",
        limit_bytes=10,
        size_bytes=11,
        filenames=["b.pdf"],
        case_created=True,
    )
    assert (event.EVENT_TYPE, event.to.email, event.filenames, event.case_created) == (
        "mail_rejected",
        "kari@customer.test",
        ["b.pdf"],
        True,
    )


def _bounce(status: str, hard: bool) -> Classification:
    info = BounceInfo(recipients=["a@x.test", "b@x.test"], status=status, hard=hard, original_message_id="ours@hd")
    return Classification("bounce", "dsn:multipart-report", info)


def test_a_hard_bounce_emits_one_event_per_failed_recipient():
    events = bounce_events(inbound_mail_id=3, classification=_bounce("5.1.1", True), case_id=9)
    assert [(e.recipient, e.status, e.case_id, e.original_message_id) for e in events] == [
        ("a@x.test", "5.1.1", 9, "ours@hd"),
        ("b@x.test", "5.1.1", 9, "ours@hd"),
    ]


def test_a_soft_bounce_or_another_kind_emits_nothing():
    assert bounce_events(inbound_mail_id=3, classification=_bounce("4.2.2", False), case_id=None) == []
    assert bounce_events(inbound_mail_id=3, classification=Classification("normal", "none"), case_id=None) == []
