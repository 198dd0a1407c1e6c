"""The metrics API beyond NPS: measure options, saved segments, raking, CSV export, and the explorer page."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from suara.metrics import MEASURES, MetricSpec, run_metric
from suara.metrics.segments import SegmentDefinition
from tests.conftest import Tenant, identify, response
from tests.web.test_api import assert_problem


def seed(client: TestClient, tenant: Tenant) -> None:
    items = [response(f"c{i}", f"2026-01-{5 + i % 21:02d}", nps=i % 11, csat=1 + i % 5) for i in range(240)]
    client.post("/api/v1/responses/batch", json={"batch": items}, headers=tenant.headers).raise_for_status()
    traits = [identify(f"c{i}", plan="pro" if i % 3 == 0 else "free") for i in range(240)]
    client.post("/api/v1/events/batch", json={"batch": traits}, headers=tenant.headers).raise_for_status()


def test_every_measure_is_listed_with_its_options(client: TestClient, acme: Tenant) -> None:
    listed = client.get("/api/v1/metrics", headers=acme.headers).json()
    assert [m["name"] for m in listed] == list(MEASURES)
    conversion = next(m for m in listed if m["name"] == "conversion_rate")
    assert conversion["options"][0] == {
        "name": "goal",
        "default": "order_completed",
        "help": MEASURES["conversion_rate"].options["goal"].help,
    }


def test_saved_segment_round_trip_and_use(client: TestClient, acme: Tenant, globex: Tenant) -> None:
    seed(client, acme)
    definition = {"all": [{"trait": "plan", "in": ["pro"]}]}
    r = client.put(
        "/api/v1/segments/pro users", json={"definition": definition, "description": "Paying"}, headers=acme.headers
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/segments/pro users", headers=acme.headers).json()["size"] == 80
    assert client.get("/api/v1/segments/pro users", headers=globex.headers).status_code == 404  # workspaces are apart
    body = client.get("/api/v1/metrics/nps", params={"segment": "pro users"}, headers=acme.headers).json()
    expected = run_metric(
        client.app.state.runtime.warehouse,  # type: ignore[attr-defined]
        acme.workspace_id,
        MetricSpec(metric="nps", segments=["pro users"]),
        {"pro users": SegmentDefinition.model_validate(definition)},
    )
    assert body["n"] == expected.n == 80 and body["value"] == expected.value
    assert_problem(client.get("/api/v1/metrics/nps", params={"segment": "nobody"}, headers=acme.headers), 422)
    bad = client.put("/api/v1/segments/x", json={"definition": {"all": [{"trait": "plan"}]}}, headers=acme.headers)
    assert_problem(bad, 422)
    assert client.delete("/api/v1/segments/pro users", headers=acme.headers).status_code == 204
    assert client.delete("/api/v1/segments/pro users", headers=acme.headers).status_code == 404


def test_options_rake_and_bad_parameters(client: TestClient, acme: Tenant) -> None:
    seed(client, acme)
    weighted = client.get(
        "/api/v1/metrics/csat", params={"rake": ["plan:pro=0.5", "plan:free=0.5"]}, headers=acme.headers
    ).json()
    assert weighted["weighted"] is True and weighted["n"] < 240
    assert_problem(client.get("/api/v1/metrics/csat", params={"rake": "plan=0.5"}, headers=acme.headers), 422)
    assert_problem(client.get("/api/v1/metrics/nps", params={"option": "goal=x"}, headers=acme.headers), 422)
    assert_problem(client.get("/api/v1/metrics/nps", params={"option": "oops"}, headers=acme.headers), 422)
    assert_problem(
        client.get("/api/v1/metrics/nps", params={"start": "2026-02-01T00:00:00", "end": "2026-01-01T00:00:00"},
                   headers=acme.headers), 422)  # fmt: skip


def test_csv_export_has_one_row_per_group(client: TestClient, acme: Tenant) -> None:
    seed(client, acme)
    r = client.get("/api/v1/metrics/nps", params={"by": "plan", "format": "csv"}, headers=acme.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    body = client.get("/api/v1/metrics/nps", params={"by": "plan"}, headers=acme.headers).json()
    assert [(row["plan"], float(row["value"]), int(row["n"])) for row in rows] == [
        (g["key"]["plan"], g["value"], g["n"]) for g in body["groups"]
    ]
    assert all(row["vs_rest_q"] for row in rows)


def test_explorer_page_shows_the_measure(client: TestClient, acme: Tenant) -> None:
    seed(client, acme)
    assert client.get("/metrics", follow_redirects=False).status_code == 303  # signed out
    client.post("/login", data={"api_key": acme.key}, follow_redirects=False)
    page = client.get("/metrics", params={"metric": "csat", "by": "plan", "range": "all"})
    assert page.status_code == 200
    expected = run_metric(client.app.state.runtime.warehouse, acme.workspace_id, MetricSpec(metric="csat"))  # type: ignore[attr-defined]
    assert f'data-raw="{expected.value!r}"' in page.text
    assert 'id="csv-export"' in page.text and "format=csv" in page.text
    assert page.text.count("<tr>") == 1 + 2 * 3  # header, then each plan in each of the three weeks
