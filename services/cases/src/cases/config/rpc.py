"""The nameko entrypoints of the workspace configuration: case types, statuses, custom fields, settings."""

from __future__ import annotations

from cases.common.rpc import RpcBase
from cases.config import reads as config_reads
from cases.config import writes as config_writes
from chassis.typed_rpc import typed_rpc
from contracts.bounds import LaxId
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
from contracts.cases import SourceKey


class ConfigRpc(RpcBase):
    @typed_rpc
    def list_case_types(self) -> list[CaseTypeRead]:
        with self._session() as session:
            return config_reads.list_types(session=session)

    @typed_rpc
    def save_case_type(self, *, data: CaseTypeWrite, type_id: LaxId | None = None) -> CaseTypeRead:
        return config_writes.save_type(runtime=self.runtime, data=data, type_id=type_id)

    @typed_rpc
    def list_case_sources(self) -> list[CaseSourceRead]:
        with self._session() as session:
            return config_reads.list_sources(session=session)

    @typed_rpc
    def save_case_source(self, *, key: SourceKey, data: CaseSourceWrite) -> CaseSourceRead:
        return config_writes.save_source(runtime=self.runtime, key=key, data=data)

    @typed_rpc
    def list_case_statuses(self) -> list[CaseStatusRead]:
        with self._session() as session:
            return config_reads.list_statuses(session=session)

    @typed_rpc
    def save_case_status(self, *, data: CaseStatusWrite, status_id: LaxId | None = None) -> CaseStatusRead:
        return config_writes.save_status(runtime=self.runtime, data=data, status_id=status_id)

    @typed_rpc
    def list_custom_fields(self) -> list[CustomFieldRead]:
        with self._session() as session:
            return config_reads.list_custom_fields(session=session)

    @typed_rpc
    def save_custom_field(self, *, data: CustomFieldWrite, field_id: LaxId | None = None) -> CustomFieldRead:
        return config_writes.save_custom_field(runtime=self.runtime, data=data, field_id=field_id)

    @typed_rpc
    def list_field_configs(self) -> list[FieldConfigRead]:
        with self._session() as session:
            return config_reads.list_field_configs(session=session)

    @typed_rpc
    def save_field_config(self, *, data: FieldConfigRead) -> FieldConfigRead:
        return config_writes.save_field_config(runtime=self.runtime, data=data)

    @typed_rpc
    def get_case_settings(self) -> CaseSettings:
        with self._session() as session:
            return config_reads.get_settings(session=session)

    @typed_rpc
    def update_case_settings(self, *, changes: CaseSettings) -> CaseSettings:
        return config_writes.update_settings(
            runtime=self.runtime, changes=changes.model_dump(mode="json", exclude_unset=True)
        )
