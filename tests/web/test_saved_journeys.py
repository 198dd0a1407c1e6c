"""Saved journeys: a team's named journey specs through the API, drawn by the map endpoint and the CLI exactly as
the same spec given inline; bad specs are problem+json naming the field and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from suara.runtime import Runtime
from suara.store.app import Role
from tests.conftest import Tenant
from tests.web.test_api import assert_problem
from tests.web.test_journeys_api import settings, shop  # noqa: F401  (fixtures)

TWO_STAGES = {
    "stages": [
        {"name": "arrive", "touchpoints": [{"name": "visit", "events": ["visit"]}]},
        {"name": "buy", "touchpoints": [{"name": "order", "events": ["order_completed"]}]},
    ],
    "window": "2d",
}


def test_saved_journey_draws_the_same_map_as_the_inline_spec(client: TestClient, shop: Tenant) -> None:  # noqa: F811
    put = client.put("/api/v1/journeys/specs/checkout flow", json=TWO_STAGES, headers=shop.headers)
    assert put.status_code == 200, put.text
    assert put.json()["spec"]["window"] == 2 * 86_400 and put.json()["touchpoints"] == 2
    names = [j["name"] for j in client.get("/api/v1/journeys/specs", headers=shop.headers).json()]
    assert names == ["default", "checkout flow"]
    by_name = client.get("/api/v1/journeys/map", params={"journey": "checkout flow"}, headers=shop.headers).json()
    inline = client.get("/api/v1/journeys/map", params={"spec": json.dumps(TWO_STAGES)}, headers=shop.headers).json()
    assert by_name == inline and [s["name"] for s in by_name["stages"]] == ["arrive", "buy"]
    assert by_name["customers"] > 0


def test_a_saved_default_replaces_the_builtin_until_deleted(client: TestClient, shop: Tenant) -> None:  # noqa: F811
    builtin = client.get("/api/v1/journeys/specs/default", headers=shop.headers).json()
    assert builtin["builtin"] is True and len(builtin["spec"]["stages"]) == 5
    client.put("/api/v1/journeys/specs/default", json=TWO_STAGES, headers=shop.headers).raise_for_status()
    got = client.get("/api/v1/journeys/map", headers=shop.headers).json()
    assert [s["name"] for s in got["stages"]] == ["arrive", "buy"]
    assert client.delete("/api/v1/journeys/specs/default", headers=shop.headers).status_code == 204
    again = client.get("/api/v1/journeys/map", headers=shop.headers).json()
    assert len(again["stages"]) == 5
    assert_problem(client.delete("/api/v1/journeys/specs/default", headers=shop.headers), 404, "not_found")


@pytest.mark.parametrize(
    ("name", "body", "pointer"),
    [
        ("ok", {"stages": []}, "/stages"),
        ("ok", {"stages": [{"name": "a", "touchpoints": [{"name": "v", "events": ["visit"], "colour": 1}]}]},
         "/stages/0/touchpoints/0/colour"),
        ("ok", {**TWO_STAGES, "start": "2026-01-01T00:00:00Z"}, "/start"),
        ("ok", {**TWO_STAGES, "window": "soon"}, "/window"),
        ("Bad*Name", TWO_STAGES, "/name"),
    ],
)  # fmt: skip
def test_bad_specs_are_problem_json_and_write_nothing(
    client: TestClient,
    shop: Tenant,  # noqa: F811
    name: str,
    body: dict,
    pointer: str,
) -> None:
    problem = assert_problem(client.put(f"/api/v1/journeys/specs/{name}", json=body, headers=shop.headers), 422)
    assert pointer in [e["pointer"] for e in problem.get("errors", [])] or pointer in problem["detail"]
    assert [j["name"] for j in client.get("/api/v1/journeys/specs", headers=shop.headers).json()] == ["default"]


def test_unknown_names_and_roles(client: TestClient, shop: Tenant) -> None:  # noqa: F811
    assert_problem(client.get("/api/v1/journeys/specs/nope", headers=shop.headers), 404, "not_found")
    assert_problem(client.get("/api/v1/journeys/map?journey=nope", headers=shop.headers), 404, "not_found")
    both = f"/api/v1/journeys/map?journey=default&spec={json.dumps(TWO_STAGES)}"
    assert_problem(client.get(both, headers=shop.headers), 422, "validation_failed")
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    viewer = Tenant(rt, "viewers", Role.viewer)
    assert_problem(client.put("/api/v1/journeys/specs/x", json=TWO_STAGES, headers=viewer.headers), 403)
    assert client.get("/api/v1/journeys/specs", headers=viewer.headers).status_code == 200


def test_cli_saves_lists_draws_and_deletes(tmp_path: Path) -> None:
    from suara.cli import app
    from suara.settings import load_settings

    data = tmp_path / "data"
    with Runtime.open(load_settings(data_dir=data)) as rt:
        Tenant(rt, "shop")  # the only workspace, so the CLI picks it
    spec = tmp_path / "j.json"
    spec.write_text(json.dumps(TWO_STAGES))
    runner = CliRunner()
    base = ["--data-dir", str(data)]
    saved = runner.invoke(app, [*base, "journeys", "save", "checkout", "--spec", str(spec)])
    assert saved.exit_code == 0, saved.output
    listed = runner.invoke(app, [*base, "journeys", "list", "--format", "json"])
    assert [j["name"] for j in json.loads(listed.stdout)["journeys"]] == ["default", "checkout"]
    drawn = runner.invoke(app, [*base, "journeys", "map", "--journey", "checkout", "--format", "json"])
    assert drawn.exit_code == 0, drawn.output
    assert [s["name"] for s in json.loads(drawn.stdout)["stages"]] == ["arrive", "buy"]
    spec.write_text(json.dumps({"stages": []}))
    bad = runner.invoke(app, [*base, "journeys", "save", "checkout", "--spec", str(spec)])
    assert bad.exit_code != 0
    again = runner.invoke(app, [*base, "journeys", "map", "--journey", "checkout", "--format", "json"])
    assert [s["name"] for s in json.loads(again.stdout)["stages"]] == ["arrive", "buy"]  # the bad save wrote nothing
    assert runner.invoke(app, [*base, "journeys", "delete", "checkout"]).exit_code == 0
    gone = runner.invoke(app, [*base, "journeys", "map", "--journey", "checkout"])
    assert gone.exit_code != 0
