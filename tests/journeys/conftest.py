"""Journey fixtures: declarative event histories (`journeys_for`) and the ecom clickstream from ../shared/data."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from suara.store.warehouse import Warehouse, to_arrow
from tests.conftest import SHARED_DATA, identify, need_service
from tests.parity import duckdb_warehouse, fact_tables, spark_available

WS = "ws_journeys"
ECOM = SHARED_DATA / "clickstream" / "ecom" / "ecom.csv.gz"
ECOM_STEPS = ["catalog", "product_view", "add_to_cart", "payment_details", "purchase"]
# A step: (event, "YYYY-MM-DD HH:MM:SS") or (event, time, {properties}).
Step = tuple[str, str] | tuple[str, str, dict[str, Any]]


def journeys_for(
    people: Mapping[str, Sequence[Step]], traits: Mapping[str, Mapping[str, str]] | None = None, ws: str = WS
) -> dict[str, pa.Table]:
    """Fact tables from `{"ana": [("catalog", "2026-01-05 10:00:00"), ...]}`, through the collect layer."""
    events: list[dict[str, Any]] = []
    for person, steps in people.items():
        for i, step in enumerate(steps):
            name, at = step[0], step[1]
            props = step[2] if len(step) > 2 else {}  # type: ignore[misc]
            events.append(
                {
                    "type": "track",
                    "event": name,
                    "userId": person,
                    "timestamp": at.replace(" ", "T") + "Z",
                    "messageId": f"{person}-{i}",
                    "properties": props,
                }
            )
    for person, values in (traits or {}).items():
        events.append(identify(person, "2026-01-01", **values))
    return fact_tables(ws, events=events)


@cache
def ecom_frame() -> pd.DataFrame:
    df = pd.read_csv(ECOM, parse_dates=["timestamp"])
    return df.rename(columns={"user_id": "customer_id"})


def ecom_events(ws: str = WS) -> pa.Table:
    """The ecom clickstream as an events table; columns other than user, event and time become properties."""
    df = ecom_frame()
    extra = ["session_id", "platform", "acquisition_channel", "user_cohort", "user_lifecycle"]
    props = [
        json.dumps(dict(zip(extra, row, strict=True)), separators=(",", ":")) for row in df[extra].itertuples(False)
    ]
    return to_arrow(
        "events",
        {
            "workspace_id": [ws] * len(df),
            "event_id": [f"e{i}" for i in range(len(df))],
            "type": ["track"] * len(df),
            "event": df["event"].tolist(),
            "customer_id": df["customer_id"].tolist(),
            "anonymous_id": [None] * len(df),
            "timestamp": df["timestamp"].tolist(),
            "properties": props,
            "ingested_at": df["timestamp"].tolist(),
        },
    )


@pytest.fixture(scope="session")
def ecom() -> Warehouse:
    return duckdb_warehouse({"events": ecom_events()})


@pytest.fixture
def spark() -> None:
    need_service(spark_available(), "Java and PySpark")
