"""Agent UI: whose remote images a case page shows, and its Content-Security-Policy (decision 0245)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from chassis.web_security import OWN_IMAGES, content_security_policy
from contracts import cases as c
from gateway import image_senders
from gateway.context import AppContext
from gateway.domain.mail_images import PageImages, sender_key
from gateway.ui import session as s

# the policy of a case page showing remote images; every other page keeps the default (own images only)
REMOTE_IMAGES_POLICY = content_security_policy(img_src=f"{OWN_IMAGES} https: http:")


async def page_images(request: Request, ctx: AppContext, messages: Sequence[c.MessageRead]) -> PageImages:
    """The senders on this page the agent trusts, and the message whose images `?images=<id>` asks to show."""
    agent = s.signed_in(request) or {}
    senders = {key for m in messages if m.body_html and (key := sender_key(m.author_email))}
    trusted = await run_in_threadpool(
        image_senders.trusted, factory=ctx.db, agent_id=int(agent.get("id") or 0), senders=senders
    )
    raw = request.query_params.get("images", "")
    shown = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    return PageImages(trusted=frozenset(trusted), show_message_id=shown)


def allow_remote_images(response: Response, images: PageImages, messages: Sequence[c.MessageRead]) -> None:
    """Only a page showing some sender's images lets the browser load remote ones (defence in depth)."""
    if any(images.shows(m) for m in messages):
        response.headers["Content-Security-Policy"] = REMOTE_IMAGES_POLICY
