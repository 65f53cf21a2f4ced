"""A mailbox's "send test mail" (decision 0229), for the console and the API alike."""

from __future__ import annotations

from contracts import mail_gateway as mg
from contracts import notifications as nt
from gateway.context import AppContext

# connecting, TLS and a login may each take up to notifications' SMTP time-out
TIMEOUT = 45.0


async def send_test_mail(ctx: AppContext, mailbox: mg.MailboxRead, to: str) -> nt.MailboxTestResult:
    """notifications sends it through the route the mailbox's real mail takes; ValidationError for a bad `to`."""
    data = nt.MailboxTestMail(mailbox_id=mailbox.id, address=mailbox.address, to=to, version=mailbox.smtp_version)
    found = await ctx.rpc.call("notifications", "send_test_mail", data=data.model_dump(mode="json"), timeout=TIMEOUT)
    return nt.MailboxTestResult.model_validate(found)
