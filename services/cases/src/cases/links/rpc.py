"""The nameko entrypoints of links between cases: merge, link, master and children."""

from __future__ import annotations

from typing import Any

from cases.common.rpc import RpcBase
from cases.links import reads as links_reads
from cases.links import writes as links_writes
from chassis.typed_rpc import typed_rpc
from contracts import case_work as cw
from contracts.bounds import LaxId
from contracts.case_work import CaseLinks, LinkRead
from contracts.cases import Actor, CaseRead
from contracts.search import Viewer


class LinksRpc(RpcBase):
    @typed_rpc
    def merge_cases(self, *, case_id: LaxId, duplicate_id: LaxId, actor: Actor) -> CaseRead:
        return links_writes.merge_cases(runtime=self.runtime, case_id=case_id, duplicate_id=duplicate_id, actor=actor)

    @typed_rpc
    def link_cases(self, *, case_id: LaxId, data: cw.LinkCreate, actor: Actor) -> LinkRead:
        return links_writes.link_cases(runtime=self.runtime, case_id=case_id, data=data, actor=actor)

    @typed_rpc
    def case_links(self, *, case_id: LaxId, viewer: Viewer | None = None) -> CaseLinks:
        with self._session() as session:
            return links_reads.case_links(
                session=session,
                case_id=case_id,
                viewer=viewer,  # decision 0125
            )

    @typed_rpc
    def close_with_children(self, *, case_id: LaxId, actor: Actor, viewer: Viewer | None = None) -> dict[str, Any]:
        master, closed, left_open = links_writes.close_with_children(
            runtime=self.runtime,
            case_id=case_id,
            actor=actor,
            viewer=viewer,  # decision 0125
        )
        return {
            "case": master.model_dump(mode="json"),
            "closed_children": [c.model_dump(mode="json") for c in closed],
            "hidden_children_left_open": left_open,
        }
