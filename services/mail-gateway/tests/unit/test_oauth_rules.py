"""Pure rules of OAuth2 mailboxes: the presets' endpoints and scopes, when to refresh, what a refusal says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.errors import ValidationFailed
from contracts.mail_gateway import MailboxOAuthStart, OAuthProvider
from mail_gateway.oauth import rules

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
REDIRECT = "https://desk.example.com/admin/mailboxes/oauth/callback"


def start(**fields: str) -> MailboxOAuthStart:
    return MailboxOAuthStart.model_validate({"redirect_uri": REDIRECT, **fields})


def test_microsoft_uses_the_tenant_of_the_form_else_the_settings_and_asks_for_a_refresh_token():
    config = rules.provider_config(start(provider="microsoft"), microsoft_tenant="organizations")
    assert config.authorize_url == "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
    assert config.token_url == "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
    assert "IMAP.AccessAsUser.All" in config.scopes and "offline_access" in config.scopes.split()
    own = rules.provider_config(start(provider="microsoft", tenant="contoso.com"), microsoft_tenant="organizations")
    assert own.token_url.startswith("https://login.microsoftonline.com/contoso.com/") and own.tenant == "contoso.com"
    assert config.authorize_params() == {}


def test_google_asks_for_offline_access_every_time():
    config = rules.provider_config(start(provider="google"), microsoft_tenant="")
    assert config.scopes == "https://mail.google.com/"
    assert config.authorize_params() == {"access_type": "offline", "prompt": "consent"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"token_url": "https://idp.example/token", "scopes": "imap"}, "authorize_url"),
        ({"authorize_url": "https://idp.example/auth", "token_url": "https://idp.example/token"}, "scopes"),
        ({"authorize_url": "https://idp.example/a", "token_url": "http://idp.example/t", "scopes": "x"}, "token_url"),
        (
            {"authorize_url": "javascript:alert(1)", "token_url": "https://idp.example/t", "scopes": "x"},
            "authorize_url",
        ),
    ],
)
def test_a_custom_provider_names_https_endpoints_and_its_scopes(fields: dict[str, str], field: str):
    with pytest.raises(ValidationFailed) as refused:
        rules.provider_config(start(provider="custom", **fields), microsoft_tenant="")
    assert refused.value.details == {"field": field}


def test_a_custom_provider_on_this_machine_may_use_http():
    fields = {"authorize_url": "http://127.0.0.1:9/a", "token_url": "http://localhost:9/t", "scopes": "imap"}
    config = rules.provider_config(start(provider="custom", **fields), microsoft_tenant="")
    assert config.provider is OAuthProvider.CUSTOM and config.token_url == "http://localhost:9/t"


def test_a_token_is_refreshed_within_the_margin_or_when_its_expiry_is_unknown():
    assert rules.refresh_due(None, NOW, 300)
    assert rules.refresh_due(NOW + timedelta(seconds=299), NOW, 300)
    assert rules.refresh_due(NOW - timedelta(seconds=1), NOW, 300)
    assert not rules.refresh_due(NOW + timedelta(seconds=301), NOW, 300)


def test_expiry_follows_expires_in_and_defaults_to_an_hour():
    assert rules.expiry({"expires_in": 3599}, NOW) == NOW + timedelta(seconds=3599)
    assert rules.expiry({"expires_in": "120"}, NOW) == NOW + timedelta(seconds=120)
    assert rules.expiry({}, NOW) == NOW + timedelta(hours=1)
    assert rules.expiry({"expires_in": "soon"}, NOW) == NOW + timedelta(hours=1)


def test_a_refusal_names_the_oauth_error_and_the_providers_words():
    assert rules.refusal_reason("invalid_grant", "consent revoked") == "invalid_grant: consent revoked"
    assert rules.refusal_reason("invalid_grant", None) == "invalid_grant"
    assert rules.refusal_reason(None, "  multi\nline  ") == "unknown_error: multi line"
    assert len(rules.refusal_reason("invalid_grant", "x" * 1000)) == len("invalid_grant: ") + 300
    assert rules.is_permanent("invalid_grant") and rules.is_permanent("invalid_client")
    assert not rules.is_permanent("temporarily_unavailable") and not rules.is_permanent(None)
