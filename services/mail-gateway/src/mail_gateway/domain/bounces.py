"""What a classified bounce tells notifications (pure)."""

from __future__ import annotations

from contracts.mail_gateway import MailBounced
from mail_gateway.mail.classify import Classification


def bounce_events(*, inbound_mail_id: int, classification: Classification, case_id: int | None) -> list[MailBounced]:
    """One `mail_bounced` per failed recipient of a hard bounce; a soft bounce (4.x.x) emits none."""
    info = classification.bounce
    if classification.kind != "bounce" or info is None or not info.hard:
        return []
    return [
        MailBounced(
            inbound_mail_id=inbound_mail_id,
            recipient=recipient,
            status=info.status,
            diagnostic=(info.diagnostic or "")[:1000] or None,
            original_message_id=info.original_message_id,
            case_id=case_id,
        )
        for recipient in info.recipients
    ]
