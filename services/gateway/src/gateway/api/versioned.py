"""List items with their version (decision 0198): the same token as the item's `ETag`, to send as `If-Match`.

Each is the owning service's model plus `version`, a hash of the item as that service returned it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from contracts import case_config, directory
from contracts import case_work as cw
from contracts import mail_gateway as mg
from contracts.notifications import SuppressionRead
from contracts.sla import BusinessCalendarRead, SlaPolicyRead
from gateway.access import ApiKeyRead
from gateway.domain.audit import as_json, fingerprint


class _Version(BaseModel):
    version: str = Field(description="The item's version, as its `ETag`: send it as `If-Match` when changing it")


def with_versions(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Each item's JSON with its version."""
    return [{**as_json(item), "version": fingerprint(item)} for item in items]


class CaseTypeItem(case_config.CaseTypeRead, _Version):
    pass


class CaseSourceItem(case_config.CaseSourceRead, _Version):
    pass


class CaseStatusItem(case_config.CaseStatusRead, _Version):
    pass


class CustomFieldItem(case_config.CustomFieldRead, _Version):
    pass


class FieldConfigItem(case_config.FieldConfigRead, _Version):
    pass


class TemplateItem(cw.TemplateRead, _Version):
    pass


class CannedReplyItem(cw.CannedReplyRead, _Version):
    pass


class RecurrenceItem(cw.RecurrenceRead, _Version):
    pass


class SignatureItem(cw.SignatureRead, _Version):
    pass


class SlaPolicyItem(SlaPolicyRead, _Version):
    pass


class BusinessCalendarItem(BusinessCalendarRead, _Version):
    pass


class MailboxItem(mg.MailboxRead, _Version):
    pass


class SuppressionItem(SuppressionRead, _Version):
    pass


class ApiKeyItem(ApiKeyRead, _Version):
    pass


class OrganisationItem(directory.OrganisationRead, _Version):
    pass
