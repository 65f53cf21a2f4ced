"""Remote images in mail bodies blocked unless shown; inline images served from our store (pure rewriting)."""

from __future__ import annotations

import pytest

from gateway.domain.mail_images import BLOCKED_IMAGE, content_id, remote_url, render_mail_html, sender_key

TRACKER = "tracker.example"
INLINE = {"logo@mail.example": "/cases/7/messages/9/attachments/" + "ab" * 32}


def blocked(html: str) -> str:
    body = render_mail_html(html, show_remote=False, inline_urls=INLINE)
    return body.html


@pytest.mark.parametrize(
    "source",
    [
        f"http://{TRACKER}/p.gif",
        f"https://{TRACKER}/p.gif?id=42",
        f"HTTPS://{TRACKER.upper()}/P.GIF",
        f"//{TRACKER}/p.gif",
        f"&#104;ttps://{TRACKER}/p.gif",  # entity-encoded
        f"&#x68;&#x74;&#x74;&#x70;://{TRACKER}/p.gif",
        f"  https://{TRACKER}/p.gif  ",
        f"ht&#9;tps://{TRACKER}/p.gif",  # a tab the browser would skip
        f"https:&#10;//{TRACKER}/p.gif",
    ],
)
def test_a_remote_image_becomes_the_placeholder_and_its_url_is_gone(source):
    body = render_mail_html(f'<p>Hi</p><img src="{source}" alt="logo" width="1">', show_remote=False, inline_urls={})
    assert TRACKER not in body.html.lower()
    assert f'src="{BLOCKED_IMAGE}"' in body.html and 'alt="logo"' in body.html
    assert (body.blocked, body.shown) == (1, 0)


def test_uppercase_tags_and_attributes_are_caught():
    out = blocked(f'<IMG SRC="HTTP://{TRACKER}/a.png"><Img Src="https://{TRACKER}/b.png">')
    assert TRACKER not in out.lower() and out.count(BLOCKED_IMAGE) == 2


@pytest.mark.parametrize(
    "html",
    [
        f'<img src="/static/x.png" srcset="https://{TRACKER}/a.png 1x, https://{TRACKER}/b.png 2x">',
        f'<div style="background-image:url(https://{TRACKER}/bg.png)">text</div>',
        f"<div style=\"background:URL('//{TRACKER}/bg.png')\">text</div>",
        f'<table background="https://{TRACKER}/bg.png"><tr><td background="http://{TRACKER}/c.png">x</td></tr></table>',
        f"<style>body{{background:url(https://{TRACKER}/s.png)}}</style><p>x</p>",
        f'<picture><source srcset="https://{TRACKER}/p.webp"><img src="cid:logo@mail.example"></picture>',
        f'<svg><image href="https://{TRACKER}/i.png"/></svg>',
        f'<video poster="https://{TRACKER}/v.png"></video><input type="image" src="https://{TRACKER}/i.png">',
        f'<link rel="stylesheet" href="https://{TRACKER}/s.css"><body background="https://{TRACKER}/b.png">x',
    ],
)
def test_nothing_else_loads_a_remote_url(html):
    assert TRACKER not in blocked(html).lower()


def test_a_shown_image_keeps_its_url_and_protocol_relative_becomes_https():
    html = f'<img src="HTTPS://{TRACKER}/a.png"><img src="//{TRACKER}/b.png">'
    body = render_mail_html(html, show_remote=True, inline_urls={})
    assert f'src="https://{TRACKER}/a.png"' in body.html and f'src="https://{TRACKER}/b.png"' in body.html
    assert (body.blocked, body.shown) == (0, 2)


def test_shown_or_not_other_sources_never_pass():
    html = '<img src="javascript:alert(1)"><img src="data:image/png;base64,AAAA"><img src="logout">'
    body = render_mail_html(html, show_remote=True, inline_urls={})
    assert "javascript" not in body.html and "data:" not in body.html and "logout" not in body.html


@pytest.mark.parametrize(
    "source", ["cid:logo@mail.example", "CID:logo@mail.example", "cid:%3Clogo@mail.example%3E", "cid:LOGO@MAIL.EXAMPLE"]
)
def test_an_inline_image_points_at_our_attachment_download(source):
    body = render_mail_html(f'<img src="{source}" alt="Logo">', show_remote=False, inline_urls=INLINE)
    assert f'src="{INLINE["logo@mail.example"]}"' in body.html
    assert (body.inline, body.blocked) == (1, 0)


def test_a_cid_naming_no_attachment_of_this_message_loads_nothing():
    body = render_mail_html('<img src="cid:other@x" alt="gone">', show_remote=True, inline_urls=INLINE)
    assert "src=" not in body.html and 'alt="gone"' in body.html and body.inline == 0


def test_links_and_text_are_kept_and_scripts_dropped():
    out = blocked('<p onclick="x()">Hello <a href="https://shop.example/o/1">order</a></p><script>alert(1)</script>')
    assert 'href="https://shop.example/o/1"' in out and "onclick" not in out and "alert" not in out


def test_helpers():
    assert remote_url(" http://h.example/a ") == "http://h.example/a"
    assert remote_url("ftp://h.example/a") is None and remote_url("/local") is None and remote_url("http://") is None
    assert content_id("cid:a%40b") == "a@b" and content_id("https://x") is None
    assert sender_key("  Nina@Customer.Example ") == "nina@customer.example" and sender_key(None) is None
