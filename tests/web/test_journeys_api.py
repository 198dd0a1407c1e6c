"""Journeys and customer-value endpoints over a small demo shop: each answers what its library runner answers for
the same inputs, CSV exports, and problem+json on bad input, missing data and missing keys."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from suara.journeys import FunnelSpec, RetentionSpec, funnel_customers, run_funnel, run_retention
from suara.journeys.maps import default_journey, run_journey_map
from suara.models.customer_value import CustomerValueSpec, customer_values
from suara.models.nps_drivers import nps_drivers
from suara.runtime import Runtime
from suara.settings import Settings
from tests.conftest import Tenant
from tests.web.test_api import assert_problem

ENDPOINTS = [
    "/api/v1/journeys/map",
    "/api/v1/journeys/funnel?step=visit&step=browse",
    "/api/v1/journeys/funnel/dropped?step=visit&step=browse&at=2",
    "/api/v1/journeys/retention",
    "/api/v1/journeys/events",
    "/api/v1/models/clv/customers",
    "/api/v1/models/clv/holdout?calibration_end=2026-06-01T00:00:00",
    "/api/v1/models/drivers/nps",
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Background enrichment off: it would change sentiment between two reads of the same question."""
    return Settings(data_dir=tmp_path / "data", background_interval_s=0)


@cache
def _demo() -> dict[str, pa.Table]:
    from suara.demo import generate

    return generate("demo", customers=300, days=240)


@pytest.fixture
def shop(client: TestClient) -> Tenant:
    """A workspace holding the small demo shop's facts."""
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    tenant = Tenant(rt, "shop")
    for name, table in _demo().items():
        ws = pa.array([tenant.workspace_id] * table.num_rows, type=pa.string())
        rt.warehouse.load(name, table.set_column(table.schema.get_field_index("workspace_id"), "workspace_id", ws))
    return tenant


def test_every_endpoint_answers_what_its_runner_answers(client: TestClient, shop: Tenant) -> None:
    wh, ws = client.app.state.runtime.warehouse, shop.workspace_id  # type: ignore[attr-defined]
    got = client.get("/api/v1/journeys/map", headers=shop.headers).json()
    assert got == run_journey_map(wh, ws, default_journey()).model_dump(mode="json")
    funnel = client.get(
        "/api/v1/journeys/funnel?step=visit&step=add_to_cart&step=order_completed&window=2h", headers=shop.headers
    ).json()
    spec = FunnelSpec(steps=["visit", "add_to_cart", "order_completed"], window=7200)
    assert funnel == run_funnel(wh, ws, spec).model_dump(mode="json")
    dropped = client.get(
        "/api/v1/journeys/funnel/dropped?step=visit&step=add_to_cart&step=order_completed&window=2h&at=2",
        headers=shop.headers,
    ).json()
    assert dropped["customers"] == funnel_customers(wh, ws, spec, 2, limit=10_000)
    assert len(dropped["customers"]) == funnel["steps"][1]["dropped"]
    retention = client.get("/api/v1/journeys/retention?period=month&periods=3", headers=shop.headers).json()
    assert retention == run_retention(wh, ws, RetentionSpec(period="month", periods=3)).model_dump(mode="json")
    events = client.get("/api/v1/journeys/events", headers=shop.headers).json()
    assert events[0]["count"] >= events[-1]["count"] and {"visit", "order_completed"} <= {e["event"] for e in events}
    drivers = client.get("/api/v1/models/drivers/nps", headers=shop.headers).json()
    assert drivers == nps_drivers(wh, ws).model_dump(mode="json")


def test_customer_values_page_sort_and_csv(client: TestClient, shop: Tenant) -> None:
    wh, ws = client.app.state.runtime.warehouse, shop.workspace_id  # type: ignore[attr-defined]
    full = customer_values(wh, ws, CustomerValueSpec()).model_dump(mode="json")
    page = client.get("/api/v1/models/clv/customers?offset=5&limit=10", headers=shop.headers).json()
    assert page["total"] == len(full["customers"]) and page["model"]["customers"] == full["customers"][5:15]
    assert page["model"]["params"] == full["params"]
    risky = client.get("/api/v1/models/clv/customers?sort=risk&limit=50", headers=shop.headers).json()
    risks = [c["p_no_purchase"] for c in risky["model"]["customers"]]
    assert risks == sorted(risks, reverse=True)
    text = client.get("/api/v1/models/clv/customers?format=csv", headers=shop.headers)
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert len(rows) == page["total"] and float(rows[0]["clv"]) == pytest.approx(full["customers"][0]["clv"])
    holdout = client.get("/api/v1/models/clv/holdout?calibration_end=2026-06-01T00:00:00", headers=shop.headers).json()
    assert holdout["actual"] > 0 and holdout["by_frequency"] and holdout["customers"] > 0


def test_csv_of_the_customers_dropped_at_a_step(client: TestClient, shop: Tenant) -> None:
    r = client.get(
        "/api/v1/journeys/funnel/dropped?step=visit&step=browse&step=checkout_started&at=3&format=csv",
        headers=shop.headers,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0] == "customer_id" and len(lines) > 1 and "checkout_started" in r.headers["content-disposition"]


def test_a_custom_journey_spec_in_the_query(client: TestClient, shop: Tenant) -> None:
    spec = {"stages": [{"name": "a", "touchpoints": [{"name": "v", "events": ["visit"]}]},
                       {"name": "b", "touchpoints": [{"name": "o", "events": ["order_completed"]}]}]}  # fmt: skip
    got = client.get("/api/v1/journeys/map", params={"spec": json.dumps(spec)}, headers=shop.headers).json()
    assert [s["name"] for s in got["stages"]] == ["a", "b"] and got["friction"][0]["touchpoint"] == "v"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/journeys/map?spec=not-json", 422),
        ('/api/v1/journeys/map?spec={"stages":[]}', 422),
        ("/api/v1/journeys/map?value=guess", 422),
        ("/api/v1/journeys/funnel?step=visit&step=visit", 422),
        ("/api/v1/journeys/funnel?step=visit&window=soon", 422),
        ("/api/v1/journeys/funnel/dropped?step=visit&step=browse&at=5", 422),
        ("/api/v1/journeys/retention?period=year", 422),
        ("/api/v1/models/clv/customers?months=0", 422),
        ("/api/v1/models/clv/holdout?calibration_end=2030-01-01T00:00:00", 422),
        ("/api/v1/models/clv/holdout?calibration_end=0001-01-01T00:00:00Z", 422),
    ],
)
def test_bad_input_is_problem_json(client: TestClient, shop: Tenant, path: str, status: int) -> None:
    assert_problem(client.get(path, headers=shop.headers), status)


def test_empty_workspace_and_no_key(client: TestClient, acme: Tenant) -> None:
    body = assert_problem(client.get("/api/v1/models/clv/customers", headers=acme.headers), 422, "validation_failed")
    assert "no paid orders" in body["detail"]
    assert_problem(client.get("/api/v1/models/drivers/nps", headers=acme.headers), 422, "validation_failed")
    assert client.get("/api/v1/journeys/map", headers=acme.headers).json()["customers"] == 0
    for path in ENDPOINTS:
        assert_problem(client.get(path), 401, "not_authenticated")
