"""Which Cc addresses of an inbound mail may become followers (A2); who may join a thread (E6)."""

from cases.intake.rules import MAX_CC_FOLLOWERS, MailAction, cc_candidates, decide
from contracts.mail_gateway import MailKind


def test_cc_candidates_leave_out_sender_agents_duplicates_and_junk() -> None:
    cc = [
        ("Ann@Customer.example", "Ann"),
        ("nina@customer.example", "Nina"),  # the sender, written differently below
        ("ann@customer.example", "Ann again"),
        ("agent@helpdesk.example", "An agent"),
        ("undisclosed-recipients:;", ""),
        ("no-domain@", ""),
        ("bob@partner.example", " Bob "),
    ]
    got = cc_candidates(cc, sender="NINA@customer.example", excluded=["Agent@helpdesk.example"])
    assert got == [("ann@customer.example", "Ann"), ("bob@partner.example", "Bob")]


def test_cc_candidates_are_capped() -> None:
    cc = [(f"p{i}@example.com", "") for i in range(MAX_CC_FOLLOWERS + 10)]
    got = cc_candidates(cc, sender="x@example.com")
    assert len(got) == MAX_CC_FOLLOWERS
    assert got[0] == ("p0@example.com", "")


def test_empty_cc_gives_nobody() -> None:
    assert cc_candidates([], sender="x@example.com") == []


def test_a_follower_reply_joins_a_stranger_joins_as_an_internal_entry() -> None:
    assert decide(kind=MailKind.NORMAL, threaded_case_exists=True, sender_belongs=True) == MailAction.REPLY
    assert decide(kind=MailKind.NORMAL, threaded_case_exists=True, sender_belongs=False) == MailAction.OUTSIDER_NOTE
    # automatic mail on a thread is kept whoever sent it; never a case of its own
    assert decide(kind=MailKind.BOUNCE, threaded_case_exists=True, sender_belongs=False) == MailAction.ATTACH_SYSTEM
