"""A mail on a case's thread from someone not on the case (decision 0220): the pure choices."""

from __future__ import annotations

import pytest

from cases.directory.rules import domain_of, is_colleague, is_free_mail, is_valid_domain, normalise_domain
from cases.intake.rules import MailAction, decide, join_reason
from contracts.mail_gateway import MailKind, OutsiderReply

INTERNAL, PUBLIC, LINKED = OutsiderReply.INTERNAL, OutsiderReply.PUBLIC_FOLLOWER, OutsiderReply.NEW_LINKED_CASE


@pytest.mark.parametrize(
    ("threaded", "belongs", "colleague", "policy", "expected"),
    [
        (False, False, False, INTERNAL, MailAction.NEW_CASE),  # nothing matched: the only way to a new case
        (False, False, False, LINKED, MailAction.NEW_CASE),
        (True, True, False, LINKED, MailAction.REPLY),  # on the case: the mailbox setting does not matter
        (True, False, False, INTERNAL, MailAction.OUTSIDER_NOTE),
        (True, False, False, PUBLIC, MailAction.REPLY_AS_FOLLOWER),
        (True, False, False, LINKED, MailAction.NEW_LINKED_CASE),  # the behaviour before decision 0220
        (True, False, True, INTERNAL, MailAction.REPLY_AS_FOLLOWER),  # the organisation lets colleagues join
        (True, False, True, LINKED, MailAction.REPLY_AS_FOLLOWER),
    ],
)
def test_who_joins_how(
    threaded: bool, belongs: bool, colleague: bool, policy: OutsiderReply, expected: MailAction
) -> None:
    got = decide(
        kind=MailKind.NORMAL,
        threaded_case_exists=threaded,
        sender_belongs=belongs,
        colleague=colleague,
        outsider_reply=policy,
    )
    assert got == expected


@pytest.mark.parametrize("policy", list(OutsiderReply))
def test_automatic_mail_never_follows_the_outsider_setting(policy: OutsiderReply) -> None:
    for kind in (MailKind.AUTO_REPLY, MailKind.BOUNCE):
        attached = decide(kind=kind, threaded_case_exists=True, sender_belongs=False, outsider_reply=policy)
        assert attached == MailAction.ATTACH_SYSTEM
        assert decide(kind=kind, threaded_case_exists=False, sender_belongs=False, outsider_reply=policy) == (
            MailAction.DROP
        )


def test_the_history_says_why() -> None:
    assert "colleague" in join_reason(MailAction.REPLY_AS_FOLLOWER, colleague=True, outsider_reply=INTERNAL)
    assert "public_follower" in join_reason(MailAction.REPLY_AS_FOLLOWER, colleague=False, outsider_reply=PUBLIC)
    assert join_reason(MailAction.OUTSIDER_NOTE, colleague=False, outsider_reply=INTERNAL).startswith("internal")
    assert "new_linked_case" in join_reason(MailAction.NEW_LINKED_CASE, colleague=False, outsider_reply=LINKED)


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "GMAIL.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "online.no",
    ],
)
def test_free_mail_domains(domain: str) -> None:
    assert is_free_mail(domain)


@pytest.mark.parametrize("domain", ["customer.example", "gmxcorp.example", "mygmail.com", "web.de.example"])
def test_company_domains_are_not_free_mail(domain: str) -> None:
    assert not is_free_mail(domain)


def test_domains_are_normalised_and_checked() -> None:
    assert normalise_domain(" @Customer.EXAMPLE. ") == "customer.example"
    assert domain_of("Ola@Customer.Example") == "customer.example"
    assert domain_of("no-at-sign") == ""
    assert is_valid_domain("mail.customer-1.example")
    for bad in ("localhost", "a..b", "bad domain.example", "ex_ample.com", "æøå.example", ""):
        assert not is_valid_domain(bad), bad


def test_a_colleague_is_at_a_registered_domain_and_never_at_a_free_mail_one() -> None:
    domains = ["customer.example", "gmail.com"]  # gmail.com registered before the rule existed
    assert is_colleague("ola@CUSTOMER.example", domains)
    assert not is_colleague("ola@sub.customer.example", domains)  # exactly the registered domain
    assert not is_colleague("eve@elsewhere.example", domains)
    assert not is_colleague("someone@gmail.com", domains)
    assert not is_colleague("not-an-address", domains)
