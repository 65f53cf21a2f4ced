"""Images in mail bodies shown on a case page: remote ones blocked unless shown, inline (cid:) ones from our store.

A remote image in a customer's mail loads the moment an agent opens the case, which tells the sender when and
from where (a tracking pixel). So the HTML is cleaned with every `<img src>` decided here, server side: an inline
image points at the message's own attachment download (access-checked per case); a remote one keeps its URL only
when the agent chose to show it, else it becomes a local placeholder. Nothing else in the output loads a URL:
`style`, `srcset`, `background` and `<style>` are not allowed (decision 0245).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import nh3

from contracts.cases import MessageRead

# what a blocked remote image shows instead: a file of ours, so the page makes no request elsewhere
BLOCKED_IMAGE = "/static/remote-image-blocked.svg"

_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid"}
# nh3's defaults without anything that can load a URL by itself: no style, srcset or background attributes
_ATTRIBUTES = {tag: set(attrs) - {"style", "srcset", "background"} for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}


@dataclass(frozen=True)
class MailBody:
    """A mail body ready for the page, and what became of its images."""

    html: str
    blocked: int = 0  # remote images replaced by the placeholder
    shown: int = 0  # remote images left to load
    inline: int = 0  # cid: images pointing at our attachment store


def remote_url(value: str) -> str | None:
    """An http(s) or protocol-relative URL, written out again from its parts; None for anything else."""
    # browsers drop tabs and newlines inside URLs and trim spaces and controls: judge what the browser would load
    cleaned = "".join(ch for ch in value if ch not in "\t\n\r").strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08 \x0b\x0c")
    if cleaned.startswith("//"):
        cleaned = "https:" + cleaned
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or "\\" in cleaned:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, parts.query, parts.fragment))


def content_id(value: str) -> str | None:
    """The Content-ID a `cid:` URL names (RFC 2392: URL-encoded, without angle brackets), else None."""
    stripped = value.strip()
    if stripped[:4].lower() != "cid:":
        return None
    return unquote(stripped[4:]).strip().strip("<>").strip() or None


def render_mail_html(html: str, *, show_remote: bool, inline_urls: Mapping[str, str]) -> MailBody:
    """Clean `html` for the agent UI, deciding each image: `inline_urls` maps a Content-ID to our download URL."""
    counts = {"blocked": 0, "shown": 0, "inline": 0}
    by_lower = {cid.lower(): url for cid, url in inline_urls.items()}

    def image_source(tag: str, attribute: str, value: str) -> str | None:
        if tag != "img" or attribute != "src":
            return value
        cid = content_id(value)
        if cid is not None:
            url = inline_urls.get(cid) or by_lower.get(cid.lower())
            if url is not None:
                counts["inline"] += 1
            return url  # a cid: naming no attachment of this message is dropped
        remote = remote_url(value)
        if remote is not None and show_remote:
            counts["shown"] += 1
            return remote
        # a remote image not shown, or a source we do not understand: the placeholder, never the original
        counts["blocked"] += 1
        return BLOCKED_IMAGE

    cleaner = nh3.Cleaner(attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES, attribute_filter=image_source)
    cleaned = cleaner.clean(html or "")
    return MailBody(html=cleaned, **counts)


def sender_key(email: str | None) -> str | None:
    """A sender address as remembered: trimmed and lower-cased; None when the message has none."""
    key = (email or "").strip().lower()
    return key or None


def inline_urls(message: MessageRead) -> dict[str, str]:
    """Content-ID -> our download URL of that attachment, for the message's inline parts (access-checked per case)."""
    urls = {}
    for a in message.attachments:
        if a.content_id:
            own = f"/cases/{message.case_id}/attachments/{a.attachment_id}" if a.attachment_id else None
            urls[a.content_id] = own or f"/cases/{message.case_id}/messages/{message.id}/attachments/{a.sha256}"
    return urls


@dataclass(frozen=True)
class PageImages:
    """Whose remote images a case page shows: senders the agent trusts, and the one message asked for."""

    trusted: frozenset[str] = frozenset()
    show_message_id: int | None = None

    def trusts(self, message: MessageRead) -> bool:
        key = sender_key(message.author_email)
        return key is not None and key in self.trusted

    def shows(self, message: MessageRead) -> bool:
        return bool(message.body_html) and (message.id == self.show_message_id or self.trusts(message))

    def body(self, message: MessageRead) -> MailBody:
        return render_mail_html(
            message.body_html or "", show_remote=self.shows(message), inline_urls=inline_urls(message)
        )
