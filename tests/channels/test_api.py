"""The channels' HTTP endpoints: signed provider receipts, publishable widget keys, and the widget's survey and
response endpoints with CORS (errors included), origin checks and exactly-once responses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suara.channels import ProviderSettings, messaging_channel, receipts
from suara.notify import Worker
from suara.notify.signing import sign
from suara.runtime import Runtime
from suara.settings import Settings
from suara.web.app import create_app
from tests.channels.conftest import Provider, invitation, queue, save_survey
from tests.conftest import Tenant

CALLBACK_SECRET = "cbsec_test"
SITE = "https://shop.example"


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient]:
    with Runtime.open(Settings(data_dir=tmp_path / "data")) as rt, TestClient(create_app(runtime=rt)) as c:
        yield c


@pytest.fixture
def acme(client: TestClient) -> Tenant:
    tenant = Tenant(client.app.state.runtime, "acme")  # type: ignore[attr-defined]
    save_survey(client.app.state.runtime.app, tenant.workspace_id)  # type: ignore[attr-defined]
    return tenant


def runtime_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["detail"]
    return body


# -- receipts -----------------------------------------------------------------------------------------------------
def signed(body: dict[str, Any], secret: str = CALLBACK_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {"Suara-Signature": sign(secret, raw), "Content-Type": "application/json"}


def test_a_signed_receipt_marks_the_sms_delivered_once(
    client: TestClient, acme: Tenant, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUARA_SMS_CALLBACK_SECRET", CALLBACK_SECRET)
    app = runtime_of(client).app
    message = queue(app, acme.workspace_id, "sms", "+6281234567", invitation(acme.workspace_id), "inv-1")
    sms = messaging_channel("sms", app, ProviderSettings(url=provider.url, id_field="data.message_id"))
    assert sms is not None and Worker(app, [sms]).run_once().sent == 1
    raw, headers = signed({"id": "prov-1", "status": "DELIVERED", "at": "2026-11-24T10:00:00Z"})
    for _ in range(2):  # providers repeat callbacks: the second adds nothing
        r = client.post("/api/v1/channels/sms/receipts", content=raw, headers=headers)
        assert r.status_code == 200 and r.json()["status"] == "delivered" and r.json()["message_id"] == message
    with app.session() as s:
        rows = receipts(s, message_id=message)
    assert [(x.status, x.provider_id) for x in rows] == [("sent", "prov-1"), ("delivered", "prov-1")]
    assert rows[1].at.isoformat() == "2026-11-24T10:00:00"
    by_reference, headers = signed({"reference": rows[0].delivery_id, "status": "failed"})
    assert (
        client.post("/api/v1/channels/sms/receipts", content=by_reference, headers=headers).json()["status"] == "failed"
    )


def test_receipts_refuse_bad_signatures_unknown_messages_and_statuses(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "/api/v1/channels/sms/receipts"
    raw, headers = signed({"id": "prov-9", "status": "delivered"})
    problem(client.post(url, content=raw, headers=headers), 404, "not_found")  # callbacks off: no secret set
    monkeypatch.setenv("SUARA_SMS_CALLBACK_SECRET", CALLBACK_SECRET)
    forged, forged_headers = signed({"id": "prov-9", "status": "delivered"}, secret="wrong")
    problem(client.post(url, content=forged, headers=forged_headers), 401, "not_authenticated")
    problem(client.post(url, content=raw + b" ", headers=headers), 401, "not_authenticated")  # body changed
    assert "prov-9" in problem(client.post(url, content=raw, headers=headers), 404, "not_found")["detail"]
    odd, odd_headers = signed({"id": "prov-9", "status": "teleported"})
    problem(client.post(url, content=odd, headers=odd_headers), 422, "validation_failed")
    junk = b"{nope"
    problem(
        client.post(url, content=junk, headers={"Suara-Signature": sign(CALLBACK_SECRET, junk)}), 400, "bad_request"
    )
    problem(client.post("/api/v1/channels/fax/receipts", content=raw, headers=headers), 422, "validation_failed")


# -- widget keys and endpoints ------------------------------------------------------------------------------------
def widget_key(client: TestClient, acme: Tenant, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/widget/keys", headers=acme.headers, json={"name": "shop", **body})
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    assert created["key"].startswith("pk_") and created["key"].startswith(created["prefix"])
    return created


def answer(response_id: str = "r-000000001", nps: int = 9, **extra: Any) -> dict[str, Any]:
    return {
        "response_id": response_id,
        "survey_id": "rnps",
        "survey_version": 1,
        "customer_id": "anon_1",
        "locale": "en",
        "answers": [{"question_id": "nps", "kind": "nps", "number": nps}],
        **extra,
    }


def test_the_widget_reads_its_survey_cross_origin(client: TestClient, acme: Tenant) -> None:
    key = widget_key(client, acme, surveys=["rnps"], origins=[SITE])["key"]
    pre = client.options(
        "/api/v1/widget/surveys/rnps", headers={"Origin": SITE, "Access-Control-Request-Method": "GET"}
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == SITE
    assert "X-Suara-Key" in pre.headers["access-control-allow-headers"]
    r = client.get("/api/v1/widget/surveys/rnps?locale=ms-MY", headers={"X-Suara-Key": key, "Origin": SITE})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == SITE
    body = r.json()
    # Malay falls back on Indonesian, as on the hosted page.
    assert (body["survey_id"], body["version"], body["survey"]["locale"]) == ("rnps", 1, "id")
    nps = body["survey"]["questions"][0]
    assert [p["value"] for p in nps["points"]] == list(range(11)) and nps["text"].startswith("Seberapa")
    assert body["survey"]["questions"][1]["show_if"] == {"question": "nps", "op": "lte", "value": 6.0}


def test_a_widget_key_is_limited_to_its_surveys_origins_and_lifetime(client: TestClient, acme: Tenant) -> None:
    created = widget_key(client, acme, surveys=["rnps"], origins=[SITE])
    key = {"X-Suara-Key": created["key"]}
    elsewhere = client.get("/api/v1/widget/surveys/rnps", headers={**key, "Origin": "https://evil.example"})
    assert problem(elsewhere, 403, "permission_denied") and elsewhere.headers["access-control-allow-origin"]
    problem(client.get("/api/v1/widget/surveys/other", headers={**key, "Origin": SITE}), 404, "not_found")
    mine = client.get("/api/v1/widget/surveys/rnps?workspace=acme", headers={**key, "Origin": SITE})
    assert mine.status_code == 200
    theirs = client.get("/api/v1/widget/surveys/rnps?workspace=globex", headers={**key, "Origin": SITE})
    problem(theirs, 403, "permission_denied")
    problem(client.get("/api/v1/widget/surveys/rnps", headers={"Origin": SITE}), 401, "not_authenticated")
    # A publishable key is not an API key: it reads nothing else.
    problem(
        client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {created['key']}"}), 401, "not_authenticated"
    )
    r = client.delete(f"/api/v1/widget/keys/{created['id']}", headers=acme.headers)
    assert r.status_code == 200 and r.json()["revoked"] is True and "key" not in r.json()
    problem(client.get("/api/v1/widget/surveys/rnps", headers={**key, "Origin": SITE}), 401, "not_authenticated")
    problem(client.delete("/api/v1/widget/keys/999", headers=acme.headers), 404, "not_found")
    problem(client.post("/api/v1/widget/keys", json={"name": "x"}), 401, "not_authenticated")
    bad = client.post("/api/v1/widget/keys", headers=acme.headers, json={"name": "x", "origins": ["shop.example/"]})
    problem(bad, 422, "validation_failed")


def test_a_widget_response_is_stored_once_and_checked_against_its_version(client: TestClient, acme: Tenant) -> None:
    headers = {"X-Suara-Key": widget_key(client, acme)["key"], "Origin": SITE}
    first = client.post("/api/v1/widget/responses", headers=headers, json=answer(touchpoint="/checkout"))
    assert first.status_code == 201 and first.json()["accepted"] == 1
    again = client.post("/api/v1/widget/responses", headers=headers, json=answer(touchpoint="/checkout"))
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 1, "ids": []}
    wh = runtime_of(client).warehouse
    rows = wh.table("responses", acme.workspace_id).execute()
    assert rows[["response_id", "channel", "customer_id", "touchpoint"]].values.tolist() == [
        ["w_r-000000001", "widget", "anon_1", "/checkout"]
    ]
    # A detractor's reason is shown by branching; answering a question the branching hides is refused.
    hidden = answer("r-000000002", 9)
    hidden["answers"].append({"question_id": "reason", "kind": "text", "text": "late"})
    refused = client.post("/api/v1/widget/responses", headers=headers, json=hidden)
    assert problem(refused, 422, "validation_failed")["errors"][0]["type"] == "not_shown"
    assert refused.headers["access-control-allow-origin"] == SITE  # the widget can read why, and drop the answer
    problem(
        client.post("/api/v1/widget/responses", headers=headers, json=answer("r-000000003", 11)),
        422,
        "validation_failed",
    )
    problem(client.post("/api/v1/widget/responses", headers=headers, json=answer("short")), 422, "validation_failed")
    problem(
        client.post("/api/v1/widget/responses", headers=headers, json=answer("r-000000004", survey_version=7)),
        404,
        "not_found",
    )
    assert len(wh.table("responses", acme.workspace_id).execute()) == 1
