"""Pure rules of OAuth2 mailboxes: provider presets, when to refresh, what a refusal means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import ValidationFailed
from contracts.mail_gateway import MailboxOAuthStart, OAuthProvider

MICROSOFT_AUTHORITY = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
# IMAP and SMTP AUTH for Exchange Online; offline_access is what yields a refresh token
MICROSOFT_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access"
)
GOOGLE_AUTHORIZE = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
GOOGLE_SCOPES = "https://mail.google.com/"  # the only scope Gmail's IMAP and SMTP accept
# the IMAP server a preset's mailbox is on, filled in when the admin left it empty
IMAP_HOSTS = {OAuthProvider.MICROSOFT: "outlook.office365.com", OAuthProvider.GOOGLE: "imap.gmail.com"}
# a refusal of the refresh token or of the client: retrying cannot help, an admin must connect again (RFC 6749 5.2)
PERMANENT_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope"})


@dataclass(frozen=True)
class ProviderConfig:
    """Where the consent screen and the token endpoint are, and what to ask for."""

    provider: OAuthProvider
    authorize_url: str
    token_url: str
    scopes: str
    tenant: str | None = None

    def authorize_params(self) -> dict[str, str]:
        """Extra query parameters of the consent URL: Google gives a refresh token only when asked so."""
        if self.provider is OAuthProvider.GOOGLE:
            return {"access_type": "offline", "prompt": "consent"}
        return {}


def provider_config(start: MailboxOAuthStart, *, microsoft_tenant: str) -> ProviderConfig:
    """The preset's endpoints (a custom provider names its own); ValidationFailed names a missing field."""
    if start.provider is OAuthProvider.MICROSOFT:
        tenant = start.tenant or microsoft_tenant or "organizations"
        base = MICROSOFT_AUTHORITY.format(tenant=tenant)
        scopes = start.scopes or MICROSOFT_SCOPES
        return ProviderConfig(start.provider, base + "/authorize", base + "/token", scopes, tenant)
    if start.provider is OAuthProvider.GOOGLE:
        return ProviderConfig(start.provider, GOOGLE_AUTHORIZE, GOOGLE_TOKEN, start.scopes or GOOGLE_SCOPES)
    for name in ("authorize_url", "token_url", "scopes"):
        if not (getattr(start, name) or "").strip():
            raise ValidationFailed(
                message=f"a custom provider needs its {name.replace('_', ' ')}", details={"field": name}
            )
    for name in ("authorize_url", "token_url"):
        if not web_url(getattr(start, name)):
            raise ValidationFailed(message=f"{name.replace('_', ' ')} must be an https:// URL", details={"field": name})
    return ProviderConfig(
        start.provider, str(start.authorize_url).strip(), str(start.token_url).strip(), str(start.scopes).strip()
    )


def web_url(url: str | None) -> bool:
    """https, or http to this machine only (a provider on the loopback interface, as in tests)."""
    text = (url or "").strip().lower()
    return text.startswith("https://") or text.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:"))


def refresh_due(expires_at: datetime | None, now: datetime, margin_seconds: float) -> bool:
    """Refresh when the access token expires within the margin (or its expiry is unknown)."""
    return expires_at is None or expires_at - now <= timedelta(seconds=margin_seconds)


def expiry(token: dict[str, object], now: datetime) -> datetime:
    """When an access token from a token response expires (`expires_in` seconds; an hour if unsaid)."""
    seconds = token.get("expires_in")
    try:
        life = float(seconds) if seconds is not None else 3600.0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        life = 3600.0
    return now + timedelta(seconds=max(0.0, life))


def refusal_reason(error: str | None, description: str | None) -> str:
    """`invalid_grant: consent revoked`: the OAuth error code, then the provider's words (cut short)."""
    code = (error or "unknown_error").strip() or "unknown_error"
    words = " ".join((description or "").split())[:300]
    return f"{code}: {words}" if words else code


def is_permanent(error: str | None) -> bool:
    return (error or "") in PERMANENT_ERRORS
