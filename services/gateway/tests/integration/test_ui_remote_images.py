"""Remote images in a customer's HTML mail, in a real Chromium: blocked on opening the case (no request reaches the
sender's server), shown when the agent asks, remembered per sender; inline (cid:) images come from our store."""

from __future__ import annotations

import re
import smtplib
import struct
import threading
import zlib
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, agent_page, wait_until
from playwright.sync_api import Browser, Page, expect


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (the browser must decode it for naturalWidth to count)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class _Tracker(ThreadingHTTPServer):
    hits: list[str]


@pytest.fixture(scope="module")
def tracker() -> Iterator[_Tracker]:
    """A local HTTP server standing in for the sender's image host: it records every request."""
    picture = _png(120, 40, (220, 60, 60))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(picture)))
            self.end_headers()
            self.wfile.write(picture)

        def log_message(self, fmt: str, *args: Any) -> None:
            pass

    server = _Tracker(("127.0.0.1", 0), Handler)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _send_html_mail(port: int, tracker_url: str) -> None:
    msg = EmailMessage()
    msg["From"] = "Nina Berg <nina@shop.example>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Our newsletter and a question"
    msg["Message-ID"] = "<remote-images-1@shop.example>"
    msg.set_content("Hello, my order has not arrived.\n")
    html = (
        "<p>Hello, my order has not arrived.</p>"
        f'<p><img src="{tracker_url}/open.png?who=nina" alt="Shop banner" width="120" height="40"></p>'
        f'<p><img srcset="{tracker_url}/big.png 2x" src="cid:logo@shop.example" alt="Shop logo"></p>'
        "<p>Kind regards, Nina</p>"
    )
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(_png(30, 30, (40, 120, 200)), "image", "png", cid="<logo@shop.example>", filename="logo.png")
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.sendmail("nina@shop.example", ["support@example.com"], msg.as_bytes())


def _case_id(api: httpx.Client) -> int:
    def entry() -> dict[str, Any] | None:
        items = api.get("/api/v1/inbound-mail", params={"message_id": "remote-images-1@shop.example"}).json()["items"]
        return items[0] if items and items[0]["case_id"] else None

    return int(wait_until(entry, timeout=30, what="the mail became a case")["case_id"])


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _loaded(page: Page, alt: str) -> bool:
    return bool(page.evaluate(f"() => document.querySelector('img[alt=\"{alt}\"]').naturalWidth > 0"))


def test_remote_images_wait_for_the_agent_and_inline_ones_come_from_our_store(
    stack: Stack, api: httpx.Client, mail: dict[str, Any], chromium: Browser, tracker: _Tracker, tmp_path: Path
) -> None:
    tracker_url = f"http://127.0.0.1:{tracker.server_address[1]}"
    _send_html_mail(mail["smtp_port"], tracker_url)
    case_id = _case_id(api)

    with agent_page(chromium, stack) as page:
        response = page.goto(f"/cases/{case_id}")
        assert response is not None
        assert "img-src 'self' data:;" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        bar = page.locator(".remote-images")
        expect(bar).to_contain_text("Images from this sender are hidden")
        # opening the case told the sender nothing: not the image, not the srcset's
        assert tracker.hits == []
        assert tracker_url not in page.content()
        # the inline logo is the message's own attachment, downloaded from us
        logo = page.get_by_role("img", name="Shop logo")
        assert (logo.get_attribute("src") or "").startswith(f"/cases/{case_id}/messages/")
        wait_until(lambda: _loaded(page, "Shop logo"), what="the inline logo loaded")
        for width in (1400, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.locator(".remote-images").scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / f"remote-images-blocked-{width}.png"))
        page.set_viewport_size({"width": 1280, "height": 860})

        # "Show images": this message's images, this time only
        page.get_by_role("link", name="Show images").click()
        page.wait_for_load_state("load")
        wait_until(lambda: tracker.hits, what="the remote image requested")
        assert tracker.hits == ["/open.png?who=nina"]
        wait_until(lambda: _loaded(page, "Shop banner"), what="the remote image shown")

        # back on the case as opened: hidden again
        page.goto(f"/cases/{case_id}")
        page.wait_for_load_state("load")
        expect(page.locator(".remote-images")).to_contain_text("hidden")
        assert len(tracker.hits) == 1

        # "Always show from nina@shop.example": remembered for this agent
        page.get_by_role("button", name="Always show from nina@shop.example").click()
        expect(page.locator(".remote-images")).to_contain_text("you trust nina@shop.example")
        wait_until(lambda: len(tracker.hits) == 2, what="the trusted sender's image requested")
        page.goto(f"/cases/{case_id}")
        page.wait_for_load_state("load")
        wait_until(lambda: len(tracker.hits) == 3, what="shown again on the next visit")
        page.screenshot(path=str(tmp_path / "remote-images-trusted-1280.png"))

        # "Stop showing": hidden again, the tracker hears nothing more
        page.get_by_role("button", name="Stop showing").click()
        expect(page.locator(".remote-images")).to_contain_text("hidden")
        page.wait_for_load_state("load")
        assert len(tracker.hits) == 3


def test_trusting_a_sender_needs_the_form_token_and_a_message_of_the_case(stack: Stack, api: httpx.Client) -> None:
    case_id = _case_id(api)  # the mail of the test above
    [message] = api.get(f"/api/v1/cases/{case_id}/messages").json()["items"]
    with httpx.Client(base_url=stack.base_url, timeout=20) as agent:
        token = _csrf(agent.get("/login").text)
        form = {"email": ADMIN_EMAIL, "password": stack.admin_password, "csrf_token": token, "next": "/"}
        assert agent.post("/login", data=form).status_code == 303
        token = _csrf(agent.get(f"/cases/{case_id}").text)
        trust = f"/cases/{case_id}/messages/{message['id']}/images/trust"
        assert agent.post(trust, data={}).status_code == 403  # no CSRF token: nothing remembered
        page = agent.get(f"/cases/{case_id}")
        assert "Images from this sender are hidden" in page.text
        assert "img-src 'self' data:;" in page.headers["content-security-policy"]
        # a message that is not on this case: 404, nothing remembered
        other = api.post("/api/v1/cases", json={"title": "Other", "requester_email": "ola@example.no"}).json()
        wrong = agent.post(f"/cases/{other['id']}/messages/{message['id']}/images/trust", data={"csrf_token": token})
        assert wrong.status_code == 404
        assert "Images from this sender are hidden" in agent.get(f"/cases/{case_id}").text
        # ?images= with anything but a message id shows nothing
        for value in ("all", "-1", "9" * 40):
            odd = agent.get(f"/cases/{case_id}", params={"images": value})
            assert odd.status_code == 200 and "Images from this sender are hidden" in odd.text
        shown = agent.get(f"/cases/{case_id}", params={"images": str(message["id"])})
        assert "open.png" in shown.text and "https: http:" in shown.headers["content-security-policy"]
