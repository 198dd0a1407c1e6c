"""Dashboard pages over TestClient: sign-in by password and by key, the session gate, tiles equal to run_metric."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suara.metrics import MetricSpec, run_metric
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import Role, WorkspaceRepo, create_workspace
from suara.web.app import create_app
from tests.conftest import identify, response

EMAIL, PASSWORD = "ana@example.com", "correct horse"
SEGMENTS = ("smb", "enterprise")
PARTNERS = ("NusaCargo", "KilatExpress")


@dataclass(frozen=True)
class Seeded:
    workspace_id: str
    api_key: str
    responses: int


def seed_workspace(rt: Runtime, weeks: int = 10, per_week: int = 40, seed: int = 5) -> Seeded:
    """A workspace with a user, a key, and `weeks` of NPS/CSAT/CES answers from customers in two segments."""
    with rt.app.session() as s:
        ws = create_workspace(s, f"acme{seed}", "Acme")
        repo = WorkspaceRepo(s, ws.id)
        repo.add_user(EMAIL, PASSWORD, Role.analyst, name="Ana Analyst")
        _, key = repo.create_api_key("test")
        workspace_id = ws.id
    rng = random.Random(seed)
    customers = per_week * 2
    first = date(2026, 1, 5)  # a Monday, so weeks are whole
    docs = []
    for w in range(weeks):
        for i in range(per_week):
            cust = f"c{rng.randrange(customers)}"
            # Enterprise customers score a little higher, so the breakdown has something to show.
            lift = 1 if int(cust[1:]) % 2 else 0
            day = (first + timedelta(weeks=w, days=rng.randrange(7))).isoformat()
            docs.append(
                response(
                    cust,
                    day,
                    nps=min(10, rng.randint(3, 10) + lift),
                    csat=rng.randint(2, 5),
                    ces=rng.randint(2, 7),
                    fields={"delivery_partner": PARTNERS[i % 2]},
                )
            )
    traits = [identify(f"c{c}", segment=SEGMENTS[c % 2]) for c in range(customers)]
    rt.ingestor.ingest("responses", workspace_id, docs)
    rt.ingestor.ingest("events", workspace_id, traits)
    return Seeded(workspace_id, key, len(docs))


class _Fields(HTMLParser):
    """Collects `data-metric` > `data-field` elements: {metric: {field: (text, data-raw)}}."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str | None]] = []
        self.open: list[tuple[str, str, str]] = []
        self.found: dict[str, dict[str, tuple[str, str]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        a = dict(attrs)
        self.stack.append(a)
        metric = next((s["data-metric"] for s in reversed(self.stack) if s.get("data-metric")), None)
        if metric and a.get("data-field"):
            self.open.append((metric, str(a["data-field"]), str(a.get("data-raw", ""))))
            self.found.setdefault(metric, {})[str(a["data-field"])] = ("", str(a.get("data-raw", "")))

    def handle_data(self, data: str) -> None:
        if self.open:
            metric, field, raw = self.open[-1]
            text = self.found[metric][field][0] + data
            self.found[metric][field] = (text, raw)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or not self.stack:
            return
        a = self.stack.pop()
        if a.get("data-field") and self.open:
            self.open.pop()


def tile_fields(html: str) -> dict[str, dict[str, tuple[str, str]]]:
    parser = _Fields()
    parser.feed(html)
    return {m: {f: (t.strip(), r) for f, (t, r) in fields.items()} for m, fields in parser.found.items()}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime, Seeded]]:
    app = create_app(Settings(data_dir=tmp_path / "data"))
    with TestClient(app) as client:
        rt: Runtime = app.state.runtime
        yield client, rt, seed_workspace(rt)


def sign_in(client: TestClient, **form: str) -> Any:
    return client.post("/login", data=form, follow_redirects=False)


def test_pages_need_a_session(site: tuple[TestClient, Runtime, Seeded]) -> None:
    client, _, _ = site
    for path in ("/", "/overview"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.text and 'name="api_key"' in page.text


def test_wrong_password_and_unknown_key_are_401(site: tuple[TestClient, Runtime, Seeded]) -> None:
    client, _, _ = site
    r = sign_in(client, email=EMAIL, password="wrong")
    assert r.status_code == 401 and "email or password is not right" in r.text and 'role="alert"' in r.text
    r = sign_in(client, api_key="sk_nope_nothing")
    assert r.status_code == 401 and "API key is unknown" in r.text
    assert client.get("/overview", follow_redirects=False).status_code == 303


def test_sign_in_by_password_then_out(site: tuple[TestClient, Runtime, Seeded]) -> None:
    client, _, seeded = site
    r = sign_in(client, email=EMAIL.upper(), password=PASSWORD, next="/overview?period=month")
    assert r.status_code == 303 and r.headers["location"] == "/overview?period=month"
    page = client.get("/overview")
    assert page.status_code == 200 and "Ana Analyst" in page.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/overview"
    # The session also opens the API.
    assert client.get("/api/v1/metrics/nps").json()["n"] == seeded.responses
    client.get("/logout")
    assert client.get("/overview", follow_redirects=False).status_code == 303


def test_sign_in_by_key_and_no_open_redirect(site: tuple[TestClient, Runtime, Seeded]) -> None:
    client, _, seeded = site
    r = sign_in(client, api_key=seeded.api_key, next="//evil.example/")
    assert r.status_code == 303 and r.headers["location"] == "/overview"
    assert "API key test" in client.get("/overview").text


@pytest.mark.parametrize(("period", "range_key"), [("week", "90"), ("month", "all"), ("week", "365")])
def test_tiles_equal_run_metric_and_the_api(
    site: tuple[TestClient, Runtime, Seeded], period: str, range_key: str
) -> None:
    client, rt, seeded = site
    sign_in(client, email=EMAIL, password=PASSWORD)
    page = client.get("/overview", params={"period": period, "range": range_key})
    assert page.status_code == 200
    start, end = _window(page.text)
    tiles = tile_fields(page.text)
    assert set(tiles) == {"nps", "csat", "ces"}
    for metric, fields in tiles.items():
        spec = MetricSpec(metric=metric, period=period, start=start or None, end=end or None)  # type: ignore[arg-type]
        expected = run_metric(rt.warehouse, seeded.workspace_id, spec)
        api = client.get(
            f"/api/v1/metrics/{metric}",
            params={"period": period, "start": start, "end": end} if start else {"period": period},
            headers={"Authorization": f"Bearer {seeded.api_key}"},
        ).json()
        for name in ("value", "ci_low", "ci_high"):
            text, raw = fields[name]
            assert float(raw) == getattr(expected, name) == api[name]
            assert text == f"{getattr(expected, name):.1f}"
        assert fields["n"] == (str(expected.n), str(expected.n)) and expected.n == api["n"]
        assert expected.change is not None and float(fields["delta"][1]) == expected.change.delta
    if range_key == "all":
        assert tiles["nps"]["n"][0] == str(seeded.responses)


def test_breakdown_lists_segments_and_partner_chart(site: tuple[TestClient, Runtime, Seeded]) -> None:
    client, _, _ = site
    sign_in(client, email=EMAIL, password=PASSWORD)
    page = client.get("/overview", params={"range": "all", "metric": "csat", "by": "nope"})
    body = page.text
    assert body.count("<tr data-group=") == len(SEGMENTS)
    assert all(f'data-group="{s}"' in body for s in SEGMENTS)
    assert 'id="partners-chart"' in body and "NusaCargo" in body
    assert '<option value="delivery_partner"' in body and '<option value="plan"' not in body
    fragment = client.get("/overview", params={"by": "delivery_partner"}, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="content"') and "<html" not in fragment.text
    assert all(f'data-group="{p}"' in fragment.text for p in PARTNERS)


def test_empty_workspace_renders(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data"))
    with TestClient(app) as client:
        with app.state.runtime.app.session() as s:
            WorkspaceRepo(s, create_workspace(s, "empty", "Empty").id).add_user("e@x.io", "pw", Role.viewer)
        sign_in(client, email="e@x.io", password="pw")
        page = client.get("/overview")
        assert page.status_code == 200 and "No survey answers" in page.text
        assert tile_fields(page.text)["nps"]["value"] == ("—", "")


def _window(html: str) -> tuple[str, str]:
    m = re.search(r'id="content"[^>]*data-start="([^"]*)"\s+data-end="([^"]*)"', html, re.S)
    assert m, "the content element names its window"
    return m.group(1), m.group(2)


def test_the_explorer_breaks_support_measures_down_by_agent(site: tuple[TestClient, Runtime, Seeded]) -> None:
    client, _, seeded = site
    tickets = [
        {"ticket_id": f"t{i}", "customer_id": f"c{i}", "created_at": "2026-03-02T08:00:00Z",
         "first_response_at": f"2026-03-02T{9 + i % 3:02d}:00:00Z", "agent": ["Sari", "Budi"][i % 2]}
        for i in range(6)
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {seeded.api_key}"}
    assert client.post("/api/v1/tickets/batch", json={"batch": tickets}, headers=headers).status_code < 300
    sign_in(client, email=EMAIL, password=PASSWORD)
    nps = client.get("/metrics", params={"metric": "nps", "range": "all"}).text
    assert '<option value="agent"' not in nps
    page = client.get("/metrics", params={"metric": "first_response_time", "range": "all", "by": "agent"}).text
    assert '<option value="agent"' in page
    assert "Sari" in page and "Budi" in page  # the table has a row per agent
