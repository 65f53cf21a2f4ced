"""Building `mail_received` from a parsed mail."""

from contracts.mail_gateway import OutsiderReply, ThreadDecision
from mail_gateway.domain.mail_event import degraded_mail_received, mail_received, outsider_reply_of
from mail_gateway.mail.classify import Classification
from mail_gateway.mail.parsed import Address, ParsedMail


def build(parsed: ParsedMail, **overrides):
    kwargs = dict(
        inbound_mail_id=1,
        mailbox="support@example.com",
        default_group="Support",
        message_id="m@x",
        parsed=parsed,
        classification=Classification("normal", "none"),
        thread=ThreadDecision(),
        attachments=[],
        envelope_sender="Bounce@Sender.test",
        max_body_chars=10,
    )
    return mail_received(**{**kwargs, **overrides})


def test_the_envelope_sender_stands_in_for_a_missing_from():
    event = build(ParsedMail(text_body="hi"))
    assert event.from_address.email == "bounce@sender.test"
    assert build(ParsedMail(from_address=Address("a@x", "A"))).from_address.name == "A"


def test_overlong_bodies_are_cut_and_flagged():
    event = build(ParsedMail(text_body="x" * 11, html_body="<p>short</p>"))
    assert event.text_body == "x" * 10
    assert event.defects == ["body:text:truncated", "body:html:truncated"]


def test_a_degraded_event_is_a_normal_mail_flagged_with_its_defects():
    event = degraded_mail_received(
        inbound_mail_id=2,
        mailbox="support@example.com",
        default_group=None,
        message_id=None,
        from_email="a@x",
        subject="s",
        defects=["processing:OSError"],
    )
    assert (event.kind.value, event.kind_reason, event.defects) == ("normal", "unclassified", ["processing:OSError"])


def test_our_own_mailboxes_are_not_in_cc():
    cc = [Address("ann@customer.test", "Ann"), Address("Support+c12-abc@Example.com", ""), Address("sales@example.com")]
    event = build(ParsedMail(cc=cc), own_addresses=["support@example.com", "sales@example.com"])
    assert [a.email for a in event.cc] == ["ann@customer.test"]
    assert [a.email for a in build(ParsedMail(cc=cc)).cc] == [a.email for a in cc]  # nothing to leave out


def test_the_mailbox_outsider_setting_rides_with_the_mail():
    assert build(ParsedMail(text_body="hi")).outsider_reply == OutsiderReply.INTERNAL
    chosen = build(ParsedMail(text_body="hi"), outsider_reply=OutsiderReply.NEW_LINKED_CASE)
    assert chosen.outsider_reply == OutsiderReply.NEW_LINKED_CASE
    assert outsider_reply_of("public_follower") == OutsiderReply.PUBLIC_FOLLOWER
    # a value a newer version wrote, or none at all: the default
    assert outsider_reply_of("something_else") == OutsiderReply.INTERNAL
    assert outsider_reply_of(None) == OutsiderReply.INTERNAL
