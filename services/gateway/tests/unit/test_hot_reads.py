"""The REST edge of the hottest reads stays cheap (decision 0159) without changing the API document.

FastAPI tries the routes in the order they were included and solves every dependency node of a route per
request, cached or not: the gateway's own CPU per read is mostly those two costs.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from gateway.api import search
from gateway.api.deps import ApiKeyBearer, principal
from gateway.app import create_app
from gateway.domain import api_keys
from gateway.settings import GatewaySettings

HOT_READS = [
    ("/api/v1/views/{key}/cases", "get"),
    ("/api/v1/search", "get"),
    ("/api/v1/saved-searches/{search_id}/count", "get"),
    ("/api/v1/cases/{case_id}", "get"),
]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(GatewaySettings())  # nothing connects before the lifespan starts


@pytest.fixture(scope="module")
def openapi(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _nodes(dependant: Dependant) -> list[Dependant]:
    found = []
    for sub in dependant.dependencies:
        found += [sub, *_nodes(sub)]
    return found


@pytest.mark.parametrize(("path", "method"), HOT_READS)
def test_hot_reads_are_matched_before_the_other_routers(openapi: dict[str, Any], path: str, method: str) -> None:
    # the document lists the paths in the order the routes are tried
    order = list(openapi["paths"])
    assert method in openapi["paths"][path]
    assert order.index(path) < 10, order[:12]


def test_views_search_and_counts_are_the_first_routes_tried(openapi: dict[str, Any]) -> None:
    # 3 of the 4 hot reads: each route tried before them costs a match, twice per request (0165)
    assert list(openapi["paths"])[:3] == [path for path, _ in HOT_READS[:3]]


def test_a_view_solves_a_few_dependencies_and_still_authenticates() -> None:
    route = next(r for r in search.router.routes if getattr(r, "path", "") == "/api/v1/views/{key}/cases")
    nodes = _nodes(route.dependant)  # type: ignore[attr-defined]
    calls = [n.call for n in nodes]
    # router-wide authentication, the context, the scope check, the reader (was 8 nodes, then 5: 0159, 0165)
    assert len(nodes) <= 4, calls
    assert calls.count(principal) == 1  # the router's: every route of it is authenticated
    keys = [c for c in calls if isinstance(c, ApiKeyBearer)]
    assert [k.needed for k in keys if k is not principal] == [api_keys.SCOPE_CASES_READ]  # the reader checks the scope
    assert all(not _nodes(n) for n in nodes if isinstance(n.call, ApiKeyBearer))  # each key check is one node


@pytest.mark.parametrize(("path", "method"), HOT_READS)
def test_the_api_document_still_shows_the_bearer_key(openapi: dict[str, Any], path: str, method: str) -> None:
    assert isinstance(principal, ApiKeyBearer)
    assert openapi["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer <key>`",
    }
    assert {"HTTPBearer": []} in openapi["paths"][path][method]["security"]
