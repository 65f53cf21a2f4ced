"""Customer mail without I/O: subject tokens, Reply-To, sign-off, and which status change deserves a notice."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from contracts.cases import Actor, CaseRead, MessageRead
from contracts.notifications import ConversationMode, CustomerMailSettingsWrite
from contracts.tokens import case_id_from_address, case_number_from_subject
from notifications.mail import compose
from notifications.mail.rules import (
    COMPLETION_REQUEST,
    NOTICE_CLOSED,
    NOTICE_RESOLVED,
    Signoff,
    ThreadHeaders,
    bare_title,
    case_subject,
    cc_candidates,
    notice_kind,
    notice_phone,
    notice_sms,
    notice_text,
    threading_aids,
)
from notifications.mail_settings.rules import Defaults, resolve
from notifications.sms.rules import sms_reply_recipient

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SECRET = "unit-secret"
AGENT = Actor(type="agent", id=3, name="Kim")
CONTACT = Actor(type="contact", id=5, name="A")


def _case(**over: object) -> CaseRead:
    data = {
        "id": 41,
        "number": 1041,
        "title": "VPN down",
        "status": "open",
        "priority": "low",
        "source": "email",
        "requester": {"id": 5, "email": "a@x.example", "name": "A"},
        "version": 1,
        "created_at": T0,
        "updated_at": T0,
        **over,
    }
    return CaseRead.model_validate(data)


def _reply(**over: object) -> MessageRead:
    data = {
        "id": 9,
        "case_id": 41,
        "author_type": "agent",
        "author_id": 3,
        "visibility": "public",
        "channel": "web",
        "body_text": "Restart the client.",
        "created_at": T0,
        **over,
    }
    return MessageRead.model_validate(data)


def _aids(**over: object):  # type: ignore[no-untyped-def]
    kwargs = {"case": _case(), "sender_address": "support@example.com", "secret": SECRET, **over}
    return threading_aids(**kwargs)  # type: ignore[arg-type]


def test_aids_carry_a_signed_token_and_a_signed_plus_address_of_the_case() -> None:
    aids = _aids()
    assert case_number_from_subject(f"Re: x {aids.subject_token}", secret=SECRET) == 1041
    assert aids.reply_to is not None and aids.reply_to.startswith("support+c41-")
    assert aids.reply_to.endswith("@example.com")
    assert case_id_from_address(aids.reply_to, secret=SECRET) == 41
    assert case_id_from_address(aids.reply_to, secret="other") is None


def test_a_mailbox_without_plus_addressing_gets_no_reply_to() -> None:
    aids = _aids(plain_reply_to=["Support@Example.com"])
    assert aids.reply_to is None
    assert aids.subject_token  # the subject token still threads the answer


def test_subject_never_stacks_prefixes_or_tokens() -> None:
    token = _aids().subject_token
    assert case_subject(title="VPN down", token=token) == f"{token} VPN down"
    assert case_subject(title="VPN down", token=token, reply=True) == f"Re: VPN down {token}"
    # a case opened from an answer to our own mail: its title already carries an old token and prefixes
    title = f"SV: Re: VPN down {token} [#1041]"
    assert bare_title(title) == "VPN down"
    assert case_subject(title=title, token=token, reply=True) == f"Re: VPN down {token}"
    assert case_subject(title="Re:", token=token) == f"{token} (no subject)"


def test_reply_mail_has_reply_to_token_and_the_signoff_in_both_parts() -> None:
    aids = _aids()
    mail = compose.agent_reply(
        case=_case(),
        message=_reply(),
        to=compose.Mailbox("a@x.example", "A"),
        sender=compose.Mailbox("support@example.com", "Support"),
        message_id="hd.41.9.abcd@hd.example",
        threading=ThreadHeaders("c1@x", ["c1@x"]),
        date=T0,
        aids=aids,
        signoff=Signoff(greeting="Best regards,", signature="Kim <Support> & co"),
    )
    parsed = message_from_bytes(mail.raw, policy=policy.default)
    assert parsed["Subject"] == f"Re: VPN down {aids.subject_token}"
    assert parsed["Reply-To"].addresses[0].addr_spec == aids.reply_to
    text = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = parsed.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert "Restart the client.\n\nBest regards,\nKim <Support> & co\n" in text
    assert "Best regards,<br>\nKim &lt;Support&gt; &amp; co" in html
    assert text.index("Restart") < text.index("Best regards")


def test_empty_signoff_adds_nothing() -> None:
    assert Signoff().text() == "" and Signoff().html() == ""
    assert Signoff(signature="Kim").text() == "Kim"


def test_notice_kinds_follow_deliberate_status_moves_only() -> None:
    def kind(old: str, new: str, actor: Actor | None = AGENT, by_message: bool = False) -> str | None:
        return notice_kind(changes={"status": {"old": old, "new": new}}, actor=actor, caused_by_message=by_message)

    assert kind("open", "resolved") == NOTICE_RESOLVED
    assert kind("resolved", "closed") == NOTICE_CLOSED
    assert kind("open", "closed", actor=None) == NOTICE_CLOSED  # a system rule closing it
    assert kind("open", "waiting") == COMPLETION_REQUEST
    # an agent's reply that set waiting is told by the reply itself
    assert kind("open", "waiting", by_message=True) is None
    assert kind("open", "resolved", by_message=True) is None
    # the customer did it themselves; a timer putting a case in waiting asks nobody anything
    assert kind("open", "closed", actor=CONTACT) is None
    assert kind("open", "waiting", actor=None) is None
    assert kind("waiting", "open") is None
    assert (
        notice_kind(changes={"priority": {"old": "low", "new": "high"}}, actor=AGENT, caused_by_message=False) is None
    )


def test_notice_texts_say_what_happened_and_never_leak_internal_fields() -> None:
    case = _case(solution="Replaced the router.", description="INTERNAL description")
    resolved = notice_text(kind=NOTICE_RESOLVED, case=case, name="A", signoff=Signoff())
    assert "#1041" in resolved.text and "Replaced the router." in resolved.text
    assert "INTERNAL" not in resolved.text + resolved.html
    request = notice_text(kind=COMPLETION_REQUEST, case=case, name="", signoff=Signoff(greeting="Regards,"))
    assert request.label == "More information needed" and "Regards," in request.text
    assert request.text.startswith("Hello,\n")


# -- followers in CC, organisation settings, SMS preference ------------------------------------------


def test_cc_candidates_skip_the_requester_robots_ourselves_and_duplicates() -> None:
    followers = [
        {"id": 1, "email": "Boss@Customer.example", "name": "Boss"},
        {"id": 2, "email": "boss@customer.example", "name": "Boss twice"},
        {"id": 3, "email": "A@x.example", "name": "The requester"},
        {"id": 4, "email": "noreply@vendor.example", "name": "Robot"},
        {"id": 5, "email": "support@example.com", "name": "Us"},
        {"id": 6, "email": None, "name": "Phone only"},
    ]
    case = _case(followers=followers)
    assert cc_candidates(case, own_addresses=["support@example.com"]) == [("boss@customer.example", "Boss")]


def test_an_organisation_overrides_the_workspace_field_by_field() -> None:
    defaults = Defaults(sender_address="support@example.com", sender_name="Support")
    assert resolve(defaults, []).model_dump() == {
        "conversation": ConversationMode.FULL,
        "sender_address": "support@example.com",
        "sender_name": "Support",
        "closing_greeting": "",
        "cc_followers": False,
    }
    workspace = CustomerMailSettingsWrite(conversation="link", sender_address="desk@example.com", cc_followers=True)
    org = CustomerMailSettingsWrite(conversation="full", closing_greeting="Hälsningar,", cc_followers=False)
    merged = resolve(defaults, [workspace, org])
    assert (merged.conversation, merged.sender_address, merged.closing_greeting, merged.cc_followers) == (
        ConversationMode.FULL,
        "desk@example.com",
        "Hälsningar,",
        False,
    )
    assert resolve(defaults, [workspace, CustomerMailSettingsWrite()]).conversation == ConversationMode.LINK


def _with_requester(**requester: object) -> CaseRead:
    return _case(requester={"id": 5, "email": "a@x.example", "name": "A", **requester})


def test_a_contact_who_prefers_sms_gets_replies_and_notices_by_sms_when_a_phone_exists() -> None:
    prefers = _with_requester(phone="+47 900 00 001", preferred_channel="sms")
    assert sms_reply_recipient(prefers, _reply()) == "+4790000001"
    assert notice_phone(prefers) == "+4790000001"
    no_phone = _with_requester(phone=None, preferred_channel="sms")
    assert sms_reply_recipient(no_phone, _reply()) is None and notice_phone(no_phone) is None
    mail_person = _with_requester(phone="+4790000001")
    assert sms_reply_recipient(mail_person, _reply()) is None and notice_phone(mail_person) is None
    # an internal note never leaves, whatever the channel
    assert sms_reply_recipient(prefers, _reply(visibility="internal")) is None
    assert "#1041" in notice_sms(kind=NOTICE_RESOLVED, case=prefers)
