"""Cases RPCs of configuration: case types, statuses, custom fields, field configs and settings."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.case_config import (
    CaseSettings,
    CaseSourceRead,
    CaseSourceWrite,
    CaseStatusRead,
    CaseStatusWrite,
    CaseTypeRead,
    CaseTypeWrite,
    CustomFieldRead,
    CustomFieldWrite,
    FieldConfigRead,
)
from contracts.rpc import rpc


class ConfigRpc:
    @rpc
    def list_case_types(self) -> list[CaseTypeRead]: ...

    @rpc
    def save_case_type(self, *, data: CaseTypeWrite, type_id: int | None = None) -> CaseTypeRead: ...

    @rpc
    def list_case_sources(self) -> list[CaseSourceRead]: ...

    @rpc
    def save_case_source(self, *, key: str, data: CaseSourceWrite) -> CaseSourceRead: ...

    @rpc
    def list_case_statuses(self) -> list[CaseStatusRead]: ...

    @rpc
    def save_case_status(self, *, data: CaseStatusWrite, status_id: int | None = None) -> CaseStatusRead: ...

    @rpc
    def list_custom_fields(self) -> list[CustomFieldRead]: ...

    @rpc
    def save_custom_field(self, *, data: CustomFieldWrite, field_id: int | None = None) -> CustomFieldRead: ...

    @rpc
    def list_field_configs(self) -> list[FieldConfigRead]: ...

    @rpc
    def save_field_config(self, *, data: FieldConfigRead) -> FieldConfigRead: ...

    @rpc
    def get_case_settings(self) -> CaseSettings: ...

    @rpc
    def update_case_settings(self, *, changes: CaseSettings) -> CaseSettings:
        """Only the settings set in `changes` change; the others keep their value."""
