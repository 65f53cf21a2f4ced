"""Use cases of the customer mail settings (E3): read and set a level; the settings a case's mail is made with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.errors import ValidationFailed
from contracts.notifications import CustomerMailSettingsRead, CustomerMailSettingsWrite, EffectiveCustomerMail
from notifications.db import preload
from notifications.db.models import CustomerMailSetting
from notifications.mail_settings.rules import FIELDS, Defaults, resolve, scope_key
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class CaseMailSettings:
    """The effective settings of a case's organisation, and the greeting its own level sets (if any)."""

    effective: EffectiveCustomerMail
    organisation_greeting: str | None


def parse_write(data: Any) -> CustomerMailSettingsWrite:
    """The settings of one level from an RPC payload; ValidationFailed (422) names what is wrong."""
    try:
        return CustomerMailSettingsWrite.model_validate(data)
    except ValidationError as exc:
        problems = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
        raise ValidationFailed(message="invalid customer mail settings", details={"errors": problems}) from None


def parse_organisation(value: Any) -> int | None:
    """None (the workspace) or a positive organisation id."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationFailed(message="organisation_id must be a positive integer", details={"organisation_id": value})
    return value


def _stored(row: CustomerMailSetting | None) -> CustomerMailSettingsWrite:
    if row is None:
        return CustomerMailSettingsWrite()
    return CustomerMailSettingsWrite.model_validate({name: getattr(row, name) for name in FIELDS})


def _defaults(settings: NotificationsSettings) -> Defaults:
    return Defaults(sender_address=settings.from_address, sender_name=settings.from_name)


def _levels(session: Session, organisation_id: int | None) -> list[CustomerMailSettingsWrite]:
    # a confirmation group loaded its levels at once: no query per mail for a level never stored (0158)
    levels = [_stored(preload.get_row(session, CustomerMailSetting, scope_key(None)))]
    if organisation_id is not None:
        levels.append(_stored(preload.get_row(session, CustomerMailSetting, scope_key(organisation_id))))
    return levels


def get_settings(
    *, session: Session, settings: NotificationsSettings, organisation_id: int | None
) -> CustomerMailSettingsRead:
    """One level as stored, with what applies there."""
    levels = _levels(session, organisation_id)
    return CustomerMailSettingsRead(
        organisation_id=organisation_id, stored=levels[-1], effective=resolve(_defaults(settings), levels)
    )


def set_settings(
    *,
    session: Session,
    settings: NotificationsSettings,
    organisation_id: int | None,
    data: CustomerMailSettingsWrite,
) -> CustomerMailSettingsRead:
    """Replace one level (PUT): fields left null inherit from the level above."""
    key = scope_key(organisation_id)
    row = session.get(CustomerMailSetting, key, with_for_update=True)
    if row is None:
        row = CustomerMailSetting(scope_key=key, organisation_id=organisation_id)
        session.add(row)
    for name in FIELDS:
        value = getattr(data, name)
        setattr(row, name, value.value if hasattr(value, "value") else value)
    row.sender_address = data.sender_address.lower() if data.sender_address else None
    row.updated_at = utcnow()
    session.flush()
    log.info("customer_mail_settings_set", scope=key)
    return get_settings(session=session, settings=settings, organisation_id=organisation_id)


def for_case(*, session: Session, settings: NotificationsSettings, organisation_id: int | None) -> CaseMailSettings:
    """What a mail to the customer of a case in `organisation_id` is composed with."""
    levels = _levels(session, organisation_id)
    org_greeting = levels[1].closing_greeting if len(levels) > 1 else None
    return CaseMailSettings(effective=resolve(_defaults(settings), levels), organisation_greeting=org_greeting)
