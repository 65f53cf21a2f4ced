"""Pure rules of the directory: which mail domains can name an organisation (decision 0220)."""

from __future__ import annotations

# Domains anyone can get an address at: sharing one says nothing about who someone works for. Kept short
# and maintained by hand; a provider's country variants are listed, `gmx.*` matches any top-level domain.
FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "fastmail.com",
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "icloud.com",
        "live.com",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "online.no",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "t-online.de",
        "web.de",
        "yahoo.co.uk",
        "yahoo.com",
        "yandex.ru",
        "zoho.com",
    }
)
FREE_MAIL_PREFIXES = ("gmx.",)  # gmx.de, gmx.net, gmx.at, ...


def normalise_domain(value: str) -> str:
    """`" @Example.COM. "` -> `"example.com"`."""
    return value.strip().lower().removeprefix("@").rstrip(".")


def domain_of(email: str) -> str:
    return normalise_domain(email.rpartition("@")[2]) if "@" in email else ""


def is_valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) >= 2 and all(
        label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels
    )


def is_free_mail(domain: str) -> bool:
    domain = normalise_domain(domain)
    return domain in FREE_MAIL_DOMAINS or domain.startswith(FREE_MAIL_PREFIXES)


def is_colleague(email: str, domains: list[str]) -> bool:
    """The address is at one of an organisation's registered domains, and not at a free-mail provider."""
    domain = domain_of(email)
    return bool(domain) and not is_free_mail(domain) and domain in {normalise_domain(d) for d in domains}
