"""Customers' set-password links: a registration token is no reset token, and neither is an agent's."""

from __future__ import annotations

from chassis import link_tokens
from contracts.portal import PasswordLinkPurpose
from portal.domain import password_links
from portal.domain.forms import FormError, clean_name

SECRET = "p" * 40


def test_the_purpose_is_read_from_the_signature() -> None:
    for purpose in PasswordLinkPurpose:
        token = password_links.new_token(secret=SECRET, purpose=purpose)
        assert password_links.purpose_of(token, secret=SECRET) is purpose
        assert password_links.purpose_of(token, secret="q" * 40) is None


def test_an_agents_link_token_is_not_a_customers() -> None:
    agents = link_tokens.new_token(secret=SECRET, scope="agent-link:reset")
    assert password_links.purpose_of(agents, secret=SECRET) is None


def test_the_link_is_a_portal_page() -> None:
    assert (
        password_links.link_url(public_url="https://help.example/", token="t.k")
        == "https://help.example/set-password/t.k"
    )


def test_a_name_is_required_and_one_line() -> None:
    assert clean_name("  Rita \n Berg ") == "Rita Berg"
    for bad in ("", "   ", "x" * 201):
        try:
            clean_name(bad)
        except FormError:
            continue
        raise AssertionError(bad)
