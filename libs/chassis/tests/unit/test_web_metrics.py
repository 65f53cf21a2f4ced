"""Request metrics keep their names and labels with the labelled children kept per route (decision 0165)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from chassis.web import mount_ops


def _count(route: str, status: str) -> float:
    labels = {"service": "metrics-test", "method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("helpdesk_http_requests_total", labels) or 0.0


def _observed(route: str) -> float:
    labels = {"service": "metrics-test", "method": "GET", "route": route}
    return REGISTRY.get_sample_value("helpdesk_http_request_duration_seconds_count", labels) or 0.0


def test_every_request_is_counted_and_timed_by_route_template() -> None:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    mount_ops(app, "metrics-test", {})
    before = _count("/items/{item_id}", "200"), _count("/items/{item_id}", "422"), _observed("/items/{item_id}")
    with TestClient(app) as client:
        for i in range(3):
            assert client.get(f"/items/{i}").status_code == 200
        assert client.get("/items/x").status_code == 422
        assert client.get("/nowhere").status_code == 404
        metrics = client.get("/metrics/").text
    assert _count("/items/{item_id}", "200") == before[0] + 3
    assert _count("/items/{item_id}", "422") == before[1] + 1
    assert _observed("/items/{item_id}") == before[2] + 4
    assert _count("unmatched", "404") >= 1
    assert (
        'helpdesk_http_requests_total{method="GET",route="/items/{item_id}",service="metrics-test",status="200"}'
        in metrics
    )
