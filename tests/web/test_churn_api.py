"""Churn-risk endpoints over the simulated shop: each answers what its library runner answers, pages and CSV agree,
and bad input, missing data and missing keys are problem+json."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from suara.models.churn_risk import ChurnRiskSpec, backtest, score
from suara.runtime import Runtime
from suara.settings import Settings
from tests.conftest import Tenant
from tests.models.test_churn_risk import END, HORIZON, simulate
from tests.web.test_api import assert_problem
from tests.web.test_pages import tile_fields

AS_OF = END.isoformat()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", background_interval_s=0)


@pytest.fixture
def shop(client: TestClient) -> Tenant:
    """A workspace holding the simulated shop's facts."""
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    tenant = Tenant(rt, "shop")
    for name, table in simulate().tables.items():
        ws = pa.array([tenant.workspace_id] * table.num_rows, type=pa.string())
        rt.warehouse.load(name, table.set_column(table.schema.get_field_index("workspace_id"), "workspace_id", ws))
    return tenant


def test_customers_and_backtest_answer_what_their_runners_answer(client: TestClient, shop: Tenant) -> None:
    wh, ws = client.app.state.runtime.warehouse, shop.workspace_id  # type: ignore[attr-defined]
    spec = ChurnRiskSpec(horizon_days=HORIZON, as_of=END, traits=["colour"])
    want = score(wh, ws, spec).model_dump(mode="json")
    q = {"horizon_days": HORIZON, "as_of": AS_OF, "trait": "colour"}
    page = client.get("/api/v1/models/churn/customers", params=q | {"offset": 5, "limit": 10}, headers=shop.headers)
    got = page.json()
    assert page.status_code == 200 and got["total"] == len(want["customers"]) and got["offset"] == 5
    assert got["model"]["customers"] == want["customers"][5:15]
    assert {k: v for k, v in got["model"].items() if k != "customers"} == {
        k: v for k, v in want.items() if k != "customers"
    }
    by_id = client.get("/api/v1/models/churn/customers", params=q | {"sort": "customer"}, headers=shop.headers).json()
    ids = [c["customer_id"] for c in by_id["model"]["customers"]]
    assert ids == sorted(ids) and len(ids) == 50
    text = client.get("/api/v1/models/churn/customers", params=q | {"format": "csv"}, headers=shop.headers)
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert len(rows) == got["total"] and rows[0]["customer_id"] == want["customers"][0]["customer_id"]
    assert float(rows[0]["risk"]) == pytest.approx(want["customers"][0]["risk"])
    assert rows[0]["factor_1"] == want["customers"][0]["factors"][0]["phrase"]
    bt = client.get("/api/v1/models/churn/backtest", params=q, headers=shop.headers)
    assert bt.status_code == 200 and bt.json() == backtest(wh, ws, spec).model_dump(mode="json")
    assert bt.json()["roc_auc"] > 0.7


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/churn/customers?horizon_days=3",
        "/api/v1/models/churn/customers?sort=value",
        "/api/v1/models/churn/backtest?horizon_days=1000",
        "/api/v1/models/churn/customers?trait=recency_days",
    ],
)
def test_bad_input_is_problem_json(client: TestClient, shop: Tenant, path: str) -> None:
    assert_problem(client.get(path, headers=shop.headers), 422)


def test_empty_workspace_and_no_key(client: TestClient, acme: Tenant) -> None:
    for path in ("/api/v1/models/churn/customers", "/api/v1/models/churn/backtest"):
        body = assert_problem(client.get(path, headers=acme.headers), 422, "validation_failed")
        assert "no customer activity" in body["detail"]
        assert_problem(client.get(path), 401)


def test_at_risk_page_shows_churn_risk_value_at_stake_and_reasons(client: TestClient, shop: Tenant) -> None:
    assert client.post("/login", data={"api_key": shop.key}, follow_redirects=False).status_code == 303
    churn = client.get("/api/v1/models/churn/customers?limit=10000", headers=shop.headers).json()["model"]
    by_id = {c["customer_id"]: c for c in churn["customers"]}
    clv = client.get("/api/v1/models/clv/customers?limit=10000", headers=shop.headers).json()["model"]["customers"]
    value = {c["customer_id"]: c["clv"] for c in clv}
    html = client.get("/customers/at-risk?sort=stake").text
    assert 'id="churn-caption"' in html and "value at stake" in html
    rows = tile_fields(html)
    stakes = [float(f["at_stake"][1]) for f in rows.values()]
    assert len(rows) == 25 and stakes == sorted(stakes, reverse=True)
    for cid, f in rows.items():
        risk = by_id[cid]["risk"]
        assert float(f["churn_risk"][1]) == risk
        assert float(f["at_stake"][1]) == pytest.approx(risk * value[cid])
        assert f["factors"][0] == "; ".join(x["phrase"] for x in by_id[cid]["factors"])
    # the default order stays the CLV model's chance of no purchase, and lapsed customers show no churn risk
    default = tile_fields(client.get("/customers/at-risk").text)
    p_none = [float(f["risk"][1]) for f in default.values()]
    assert p_none == sorted(p_none, reverse=True)
    lapsed = [f for cid, f in default.items() if cid not in by_id]
    assert all(f["churn_risk"][0].startswith("lapsed") for f in lapsed)
