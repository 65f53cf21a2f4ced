"""The nameko entrypoint of bulk loading: the facts of imported cases for the reports read model (decision 0143)."""

from __future__ import annotations

from cases.bulk.reads import case_facts
from cases.common.rpc import RpcBase
from chassis.typed_rpc import typed_rpc
from contracts.bulk import CaseFactsPage


class BulkRpc(RpcBase):
    @typed_rpc
    def case_facts(self, *, case_ids: list[int]) -> CaseFactsPage:
        with self._session() as session:
            return case_facts(session=session, case_ids=case_ids)
