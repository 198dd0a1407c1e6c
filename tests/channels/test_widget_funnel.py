"""The widget's display events and partial answers over HTTP (stored once per display, checked like responses, with
CORS on errors), and the funnel per survey checked against counts made directly from the raw warehouse rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from suara.channels.widget import WidgetDisplay, WidgetResponse, create_widget_key, display_document, response_document
from suara.channels.widget_funnel import widget_funnel
from suara.cli import app
from suara.metrics.stats import wilson
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import WorkspaceRepo, create_workspace
from suara.web.app import create_app
from tests.channels.conftest import save_survey, survey_definition
from tests.channels.test_api import SITE, answer, problem, runtime_of, widget_key
from tests.conftest import Tenant
from tests.web.test_builder_pages import signed_in

DISPLAYS = "/api/v1/widget/displays"
RESPONSES = "/api/v1/widget/responses"


def display(display_id: str, event: str = "shown", **extra: Any) -> dict[str, Any]:
    return {
        "display_id": display_id,
        "event": event,
        "survey_id": "rnps",
        "survey_version": 1,
        "customer_id": "anon_1",
        **extra,
    }


def two_step() -> dict[str, Any]:
    """Two required questions: answering the first and leaving is a partial response."""
    return {
        "questions": [
            {"id": "nps", "kind": "nps", "required": True, "text": {"en": "Recommend us?"}},
            {"id": "csat", "kind": "csat", "required": True, "text": {"en": "Satisfied with onboarding?"}},
        ]
    }


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient]:
    with Runtime.open(Settings(data_dir=tmp_path / "data")) as rt, TestClient(create_app(runtime=rt)) as c:
        yield c


@pytest.fixture
def acme(client: TestClient) -> Tenant:
    tenant = Tenant(runtime_of(client), "acme")
    save_survey(runtime_of(client).app, tenant.workspace_id)
    return tenant


@pytest.fixture
def headers(client: TestClient, acme: Tenant) -> dict[str, str]:
    with runtime_of(client).app.session() as s:
        WorkspaceRepo(s, acme.workspace_id).save_survey("onboard", "Onboarding", two_step())
        WorkspaceRepo(s, acme.workspace_id).save_survey("hidden", "Not for the widget", two_step())
    return {"X-Suara-Key": widget_key(client, acme, surveys=["rnps", "onboard"], origins=[SITE])["key"], "Origin": SITE}


def events(client: TestClient, acme: Tenant) -> list[tuple[str, str, str, dict[str, Any]]]:
    rows = runtime_of(client).warehouse.table("events", acme.workspace_id).execute().sort_values("event_id")
    return [(r.event_id, r.event, r.customer_id, orjson.loads(r.properties)) for r in rows.itertuples()]


def test_a_display_event_is_stored_once_as_a_warehouse_event(
    client: TestClient,
    acme: Tenant,
    headers: dict[str, str],
) -> None:
    preflight = client.options(DISPLAYS, headers={"Origin": SITE, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == SITE
    first = client.post(DISPLAYS, headers=headers, json=display("d-00000001", touchpoint="/checkout"))
    assert first.status_code == 201 and first.json()["ids"] == ["w_d-00000001.shown"]
    again = client.post(DISPLAYS, headers=headers, json=display("d-00000001", at="2026-11-24T10:00:00Z"))
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 1, "ids": []}
    assert client.post(DISPLAYS, headers=headers, json=display("d-00000001", "dismissed")).status_code == 201
    assert events(client, acme) == [
        (
            "w_d-00000001.dismissed",
            "survey dismissed",
            "anon_1",
            {
                "survey": "rnps",
                "survey_version": 1,
                "display_id": "w_d-00000001",
                "channel": "widget",
                "touchpoint": None,
            },
        ),
        (
            "w_d-00000001.shown",
            "survey shown",
            "anon_1",
            {
                "survey": "rnps",
                "survey_version": 1,
                "display_id": "w_d-00000001",
                "channel": "widget",
                "touchpoint": "/checkout",
            },
        ),
    ]


def test_bad_display_events_are_refused_with_problems(
    client: TestClient,
    acme: Tenant,
    headers: dict[str, str],
) -> None:
    bad = problem(
        client.post(DISPLAYS, headers=headers, json=display("d-00000002", "clicked")), 422, "validation_failed"
    )
    assert bad["errors"][0]["pointer"] == "/event"
    assert (
        client.post(DISPLAYS, headers=headers, json=display("d-00000002", "clicked")).headers[
            "access-control-allow-origin"
        ]
        == SITE
    )  # the widget can read the refusal and drop the event
    problem(client.post(DISPLAYS, headers=headers, json=display("short")), 422, "validation_failed")
    problem(client.post(DISPLAYS, headers=headers, json=display("d-00000002", color="red")), 422, "validation_failed")
    problem(client.post(DISPLAYS, headers=headers, json=display("d-00000002", survey_id="hidden")), 404, "not_found")
    problem(client.post(DISPLAYS, headers=headers, json=display("d-00000002", survey_version=3)), 404, "not_found")
    problem(client.post(DISPLAYS, headers={"Origin": SITE}, json=display("d-00000002")), 401, "not_authenticated")
    elsewhere = {**headers, "Origin": "https://evil.example"}
    problem(client.post(DISPLAYS, headers=elsewhere, json=display("d-00000002")), 403, "permission_denied")
    problem(
        client.post(DISPLAYS, headers={**headers, "Content-Type": "application/json"}, content=b"{no"),
        422,
        "validation_failed",
    )
    assert events(client, acme) == []


def test_partial_answers_are_kept_once_and_a_later_completion_does_not_count_twice(
    client: TestClient,
    acme: Tenant,
    headers: dict[str, str],
) -> None:
    nps_only = answer("d-00000003", 6, survey_id="onboard")
    problem(client.post(RESPONSES, headers=headers, json=nps_only), 422, "validation_failed")  # not marked partial
    assert client.post(RESPONSES, headers=headers, json={**nps_only, "partial": True}).status_code == 201
    complete = answer("d-00000003", 9, survey_id="onboard")
    complete["answers"].append({"question_id": "csat", "kind": "csat", "number": 5})
    again = client.post(RESPONSES, headers=headers, json=complete)  # the same display: the first answer stands
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    off_scale = {**answer("d-00000004", 11, survey_id="onboard"), "partial": True}
    assert problem(client.post(RESPONSES, headers=headers, json=off_scale), 422, "validation_failed")["errors"]
    unknown = {**answer("d-00000005", survey_id="onboard"), "partial": True}
    unknown["answers"].append({"question_id": "mood", "kind": "text", "text": "ok"})
    assert (
        problem(client.post(RESPONSES, headers=headers, json=unknown), 422, "validation_failed")["errors"][0]["type"]
        == "unknown_question"
    )
    wh = runtime_of(client).warehouse
    assert wh.table("responses", acme.workspace_id).execute()["response_id"].tolist() == ["w_d-00000003"]
    assert wh.table("answers", acme.workspace_id).execute()[["question_id", "number"]].values.tolist() == [["nps", 6]]
    fields = wh.table("response_fields", acme.workspace_id).execute()
    assert fields[["response_id", "name", "value"]].values.tolist() == [["w_d-00000003", "partial", "true"]]


# Displays by survey: the events the page sent and how it ended (completed, partial or nothing), and whether closed.
STORY: dict[str, list[tuple[str, list[str], str | None]]] = {
    "rnps": [
        ("a-000001", ["shown"], "completed"),
        ("a-000002", ["shown", "dismissed"], None),
        ("a-000003", ["shown", "dismissed"], "partial"),
        ("a-000004", ["shown"], "partial"),  # left the page after an answer
        ("a-000005", ["shown"], None),
        ("a-000006", [], "completed"),  # its `shown` event was lost: the response still proves the display
    ],
    "onboard": [("b-000001", ["shown"], "completed"), ("b-000002", ["shown", "dismissed"], None)],
}


def test_the_funnel_counts_match_the_raw_rows(
    client: TestClient,
    acme: Tenant,
    headers: dict[str, str],
) -> None:
    for survey, displays in STORY.items():
        for did, sent, ended in displays:
            for event in sent:
                body = display(did, event, survey_id=survey, at="2026-11-20T10:00:00Z")
                assert client.post(DISPLAYS, headers=headers, json=body).status_code == 201
            if ended:
                body = answer(did, 7, survey_id=survey, submitted_at="2026-11-20T10:01:00Z", partial=ended == "partial")
                if survey == "onboard" and ended == "completed":
                    body["answers"].append({"question_id": "csat", "kind": "csat", "number": 4})
                assert client.post(RESPONSES, headers=headers, json=body).status_code == 201
    r = client.get("/api/v1/widget/funnel", headers=acme.headers)
    assert r.status_code == 200, r.text
    got = {f["survey"]: f for f in r.json()}
    assert got == expected_from_raw_rows(client, acme)
    assert [(f["shown"], f["started"], f["completed"], f["partial"], f["dismissed"]) for f in r.json()] == [
        (2, 1, 1, 0, 1),  # onboard
        (6, 4, 2, 2, 2),  # rnps
    ]
    one = client.get(
        "/api/v1/widget/funnel?survey=rnps&start=2026-11-20T00:00:00Z&end=2026-11-21", headers=acme.headers
    )
    assert one.json() == [got["rnps"]]
    later = client.get("/api/v1/widget/funnel?survey=rnps&start=2026-11-21T00:00:00Z", headers=acme.headers).json()
    assert later == [
        {
            "survey": "rnps",
            "shown": 0,
            "started": 0,
            "completed": 0,
            "partial": 0,
            "dismissed": 0,
            "response_rate": {"value": None, "ci_low": None, "ci_high": None},
        }
    ]


def expected_from_raw_rows(client: TestClient, acme: Tenant) -> dict[str, Any]:
    """The funnel counted independently: pandas over the raw events, responses and response fields."""
    wh = runtime_of(client).warehouse
    ev = wh.table("events", acme.workspace_id).execute()
    ev["survey"] = [orjson.loads(p)["survey"] for p in ev["properties"]]
    ev["display"] = [orjson.loads(p)["display_id"] for p in ev["properties"]]
    resp = wh.table("responses", acme.workspace_id).execute()
    partial_ids = set(wh.table("response_fields", acme.workspace_id).execute().query("name == 'partial'").response_id)
    out = {}
    for survey in sorted(set(ev["survey"]) | set(resp["survey_id"])):
        mine = resp[resp["survey_id"] == survey]
        done = set(mine.response_id) - partial_ids
        started = set(mine.response_id)
        closed = set(ev[(ev.survey == survey) & (ev.event == "survey dismissed")].display)
        shown = set(ev[(ev.survey == survey) & (ev.event == "survey shown")].display) | started | closed
        dismissed = closed - done
        rate = wilson(len(done), len(shown))
        out[survey] = {
            "survey": survey,
            "shown": len(shown),
            "started": len(started),
            "completed": len(done),
            "partial": len(started - done),
            "dismissed": len(dismissed),
            "response_rate": {"value": rate.value, "ci_low": rate.ci_low, "ci_high": rate.ci_high},
        }
    return out


def test_the_funnel_refuses_bad_queries(client: TestClient, acme: Tenant) -> None:
    url = "/api/v1/widget/funnel"
    problem(client.get(url), 401, "not_authenticated")
    problem(client.get(f"{url}?survey=nope", headers=acme.headers), 404, "not_found")
    problem(client.get(f"{url}?survey=Bad%20Key", headers=acme.headers), 422, "validation_failed")
    problem(client.get(f"{url}?start=yesterday", headers=acme.headers), 422, "validation_failed")
    wrong_way = problem(
        client.get(f"{url}?start=2026-11-21&end=2026-11-20", headers=acme.headers), 422, "validation_failed"
    )
    assert wrong_way["errors"][0]["pointer"] == "/end"


def test_the_cli_prints_the_funnel_the_api_answers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Runtime.open(Settings(data_dir=data)) as rt:
        with rt.app.session() as s:
            ws = create_workspace(s, "acme", "Acme").id
            WorkspaceRepo(s, ws).save_survey("rnps", "Relational NPS", survey_definition())
            key, _ = create_widget_key(s, ws, "shop", [], [])
            for did, event in (("c-000001", "shown"), ("c-000002", "shown"), ("c-000002", "dismissed")):
                doc = display_document(s, key, WidgetDisplay.model_validate(display(did, event)))
                rt.ingestor.ingest("events", ws, [doc])
            done = response_document(s, key, WidgetResponse.model_validate(answer("c-000001", 10)))
        rt.ingestor.ingest("responses", ws, [done])
        expected = [f.model_dump(mode="json") for f in widget_funnel(rt.warehouse, ws)]
    runner = CliRunner()
    got = runner.invoke(app, ["--data-dir", str(data), "widget", "funnel", "--format", "json"])
    assert got.exit_code == 0, got.output
    assert json.loads(got.output) == expected
    assert [(f["shown"], f["completed"], f["dismissed"]) for f in expected] == [(2, 1, 1)]
    table = runner.invoke(app, ["--data-dir", str(data), "widget", "funnel", "--survey", "rnps"])
    assert table.exit_code == 0 and "rnps" in table.output and "50.0%" in table.output


def test_the_page_shows_each_survey_funnel(client: TestClient, acme: Tenant, headers: dict[str, str]) -> None:
    r = client.get("/surveys/widget/funnel", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/surveys/widget/funnel"
    signed_in(client, acme)
    assert "has not shown a survey yet" in client.get("/surveys/widget/funnel").text
    for did in ("p-000001", "p-000002", "p-000003"):
        assert client.post(DISPLAYS, headers=headers, json=display(did)).status_code == 201
    assert client.post(RESPONSES, headers=headers, json=answer("p-000001", 9)).status_code == 201
    page = client.get("/surveys/widget/funnel")
    assert page.status_code == 200
    row = page.text.split('<tr data-survey="rnps">')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0].strip() for c in row.split("<td>")[1:]]
    rate = wilson(1, 3)
    assert cells[1:] == ["3", "1", "1", "0", "0", f"{rate.value:.1f} % ({rate.ci_low:.1f}–{rate.ci_high:.1f})"]
    assert 'href="/surveys/widget/funnel"' in client.get("/surveys").text
