"""classify() on corpus bounces and on one small message per rule."""

from __future__ import annotations

import pytest
from corpus import ZAMMAD, needs

from mail_gateway.mail.classify import classify
from mail_gateway.mail.parse import parse_message

OWN = ["support@helpdesk.example", "noreply@helpdesk.example"]


needs_corpus = needs(ZAMMAD)


def _mail(headers: str, body: str = "Hello") -> bytes:
    head = headers.strip().replace("\n", "\r\n")
    return f"{head}\r\n\r\n{body}".encode()


def _classify(headers: str, body: str = "Hello"):  # type: ignore[no-untyped-def]
    return classify(parse_message(_mail(headers, body)), OWN)


@needs_corpus
@pytest.mark.parametrize(
    ("name", "message_id"),
    [
        ("mail033-undelivered-mail-returned-to-sender", "20150830145601.30.608881@edenhofer.zammad.com"),
        (
            "mail033-undelivered-mail-returned-to-sender-notification",
            "notification.20150830145600.1.4.5f4fd063-f69b-4e64-a92d-5e7128bd6682@127.0.0.1:3000",
        ),
    ],
)
def test_corpus_postfix_bounce_is_parsed(name: str, message_id: str) -> None:
    result = classify(parse_message((ZAMMAD / f"{name}.box").read_bytes()), OWN)
    assert (result.kind, result.reason) == ("bounce", "dsn:multipart-report")
    assert result.bounce is not None
    assert result.bounce.recipients == ["not_existing@znuny.com"]
    assert (result.bounce.action, result.bounce.status, result.bounce.hard) == ("failed", "5.1.1", True)
    assert result.bounce.original_message_id == message_id


@needs_corpus
def test_corpus_temporary_failure_is_a_soft_bounce() -> None:
    result = classify(parse_message((ZAMMAD / "mail053.box").read_bytes()), OWN)
    assert result.kind == "bounce" and result.bounce is not None
    assert (result.bounce.status, result.bounce.hard) == ("4.4.1", False)
    assert result.bounce.recipients == ["john_example@example.com"]


@needs_corpus
def test_corpus_bounce_counts() -> None:
    kinds = {box.stem: classify(parse_message(box.read_bytes()), OWN).kind for box in sorted(ZAMMAD.glob("*.box"))}
    bounces = {name for name, kind in kinds.items() if kind == "bounce"}
    # Every DSN in the corpus, and no ordinary message.
    assert {"mail033-undelivered-mail-returned-to-sender", "mail053", "mail055", "mail063",
            "mail092", "mail052", "mail018"} <= bounces  # fmt: skip
    assert len(bounces) == 9


def test_normal_mail() -> None:
    result = _classify("From: kari@example.no\nSubject: Printer på 3. etasje virker ikke")
    assert (result.kind, result.reason, result.bounce) == ("normal", "none", None)


def test_loop_when_sender_is_our_own_address() -> None:
    assert _classify("From: Support <SUPPORT@helpdesk.example>\nSubject: x").kind == "loop"
    result = _classify("From: a@example.com\nX-Loop: support@helpdesk.example\nSubject: x")
    assert (result.kind, result.reason) == ("loop", "header:x-loop")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Auto-Submitted: auto-replied", "header:auto-submitted"),
        ("Auto-Submitted: auto-generated; owner-email=x@y", "header:auto-submitted"),
        ("X-Autoreply: yes", "header:x-autoreply"),
        ("X-Autorespond: Out of office", "header:x-autorespond"),
        ("Precedence: bulk", "header:precedence"),
        ("Precedence: junk", "header:precedence"),
        ("X-Auto-Response-Suppress: All", "header:x-auto-response-suppress"),
    ],
)
def test_auto_reply_headers(header: str, reason: str) -> None:
    result = _classify(f"From: a@example.com\nSubject: Hei\n{header}")
    assert (result.kind, result.reason) == ("auto_reply", reason)


def test_auto_submitted_no_is_a_normal_mail() -> None:
    assert _classify("From: a@example.com\nSubject: x\nAuto-Submitted: no").kind == "normal"


def test_mailing_list() -> None:
    result = _classify("From: a@example.com\nSubject: x\nPrecedence: list\nList-Id: <l.example.com>")
    assert (result.kind, result.reason) == ("mailing_list", "header:list-id")


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Printer",
        "Automatic reply: Sak #123",
        "Autosvar: Sak #123",
        "Automatisk svar: Sak #123",
        "Fraværende: Sak #123",
        "Frånvaro: Ärende 55",
        "Automatiskt svar: Ärende 55",
        "Abwesenheitsnotiz: Ihre Anfrage",
        "Automatische Antwort: Ihre Anfrage",
        "Réponse automatique : Demande",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    result = _classify(f"From: a@example.com\nSubject: {subject}")
    assert (result.kind, result.reason) == ("auto_reply", "subject:out-of-office")


@pytest.mark.parametrize("subject", ["Søknad om fravær i mai", "Frånvaroanmälan för juni", "Re: Abwesend?"])
def test_absence_requests_are_not_auto_replies(subject: str) -> None:
    assert _classify(f"From: a@example.com\nSubject: {subject}").kind == "normal"


def test_bounce_from_mailer_daemon_without_dsn() -> None:
    result = _classify(
        "From: MAILER-DAEMON@mx.example.com\nSubject: Returned mail",
        "550 5.1.1 <gone@example.com>: user unknown\r\nMessage-ID: <ours@helpdesk.example>",
    )
    assert (result.kind, result.reason) == ("bounce", "sender:mailer-daemon")
    assert result.bounce is not None
    assert (result.bounce.status, result.bounce.hard) == ("5.1.1", True)
    assert result.bounce.original_message_id == "ours@helpdesk.example"


def test_bounce_with_null_return_path_and_dsn_subject() -> None:
    result = _classify("From: mx@example.com\nReturn-Path: <>\nSubject: Undeliverable: Sak #5")
    assert (result.kind, result.reason) == ("bounce", "dsn:null-sender")


def test_null_return_path_alone_is_not_a_bounce() -> None:
    assert _classify("From: a@example.com\nReturn-Path: <>\nSubject: Hei").kind == "normal"


def test_multipart_report_dsn_is_parsed() -> None:
    body = (
        "--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        "Original-Recipient: rfc822;Nina@Example.com\r\nFinal-Recipient: rfc822; nina@example.com\r\n"
        "Action: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 mailbox full\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: support@helpdesk.example\r\nMessage-ID: <case-42.abc@helpdesk.example>\r\n"
        "--r--\r\n"
    )
    result = _classify(
        "From: Mail Delivery System <mx@example.com>\nSubject: Delivery Status Notification\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        body,
    )
    assert (result.kind, result.reason) == ("bounce", "dsn:multipart-report")
    assert result.bounce is not None
    assert result.bounce.recipients == ["nina@example.com"]
    assert (result.bounce.action, result.bounce.status, result.bounce.hard) == ("failed", "5.2.2", True)
    assert result.bounce.diagnostic == "smtp; 552 mailbox full"
    assert result.bounce.original_message_id == "case-42.abc@helpdesk.example"


def test_bounce_wins_over_auto_submitted() -> None:
    result = _classify("From: MAILER-DAEMON@example.com\nAuto-Submitted: auto-replied\nSubject: Undelivered Mail")
    assert result.kind == "bounce"
