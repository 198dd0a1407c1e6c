"""Paths after and before an event, sessions, and loops: the planted mobile checkout loop stands out in its window."""

from __future__ import annotations

from typing import Any

import pytest

from suara.journeys import LoopSpec, PathSpec, run_loops, run_paths
from suara.store.warehouse import Warehouse
from tests.journeys.conftest import WS, Step, ecom_frame, journeys_for
from tests.parity import duckdb_warehouse, same_on_every_engine

MOBILE = {"device": "mobile"}
PEOPLE: dict[str, list[Step]] = {
    "ana": [("home", "2026-02-02 10:00:00"), ("search", "2026-02-02 10:01:00"), ("cart", "2026-02-02 10:02:00"),
            ("pay", "2026-02-02 10:03:00"), ("error", "2026-02-02 10:03:30"), ("pay", "2026-02-02 10:04:00"),
            ("error", "2026-02-02 10:04:30"), ("pay", "2026-02-02 10:05:00"),
            # a second session an hour later
            ("home", "2026-02-02 11:30:00"), ("cart", "2026-02-02 11:31:00")],
    "bob": [("home", "2026-02-02 10:00:00", MOBILE), ("cart", "2026-02-02 10:00:10", MOBILE),
            ("cart", "2026-02-02 10:00:20", MOBILE), ("pay", "2026-02-02 10:00:30", MOBILE)],
    "cem": [("search", "2026-02-02 09:00:00"), ("cart", "2026-02-02 09:00:05")],
}  # fmt: skip
SMALL = journeys_for(PEOPLE)


def paths(result: Any) -> dict[tuple[str, ...], int]:
    return {tuple(p.path): p.count for p in result.paths}


def test_paths_after_and_before_an_event() -> None:
    wh = duckdb_warehouse(SMALL)
    after = run_paths(wh, WS, PathSpec(event="cart", length=2))
    # One path per session with a cart: ana has two sessions.
    assert after.sequences == 4 and after.other == 0
    assert paths(after) == {
        ("cart", "pay", "error"): 1,
        ("cart", "(end)"): 2,
        ("cart", "cart", "pay"): 1,
    }
    assert after.paths[0].path == ["cart", "(end)"] and after.paths[0].share == 50.0
    before = run_paths(wh, WS, PathSpec(event="pay", direction="before", length=2))
    assert paths(before) == {("search", "cart", "pay"): 1, ("cart", "cart", "pay"): 1}
    collapsed = run_paths(wh, WS, PathSpec(event="home", length=2, collapse=True, session_gap=None))
    assert paths(collapsed) == {("home", "search", "cart"): 1, ("home", "cart", "pay"): 1}
    top1 = run_paths(wh, WS, PathSpec(event="cart", length=2, top=1))
    assert len(top1.paths) == 1 and top1.other == 2


def test_loops_count_returns_after_another_event() -> None:
    wh = duckdb_warehouse(SMALL)
    result = run_loops(wh, WS, LoopSpec(events=["pay", "cart", "error"]))
    rows = {r.event: r for r in result.loops}
    # ana goes pay, error, pay, error, pay: pay comes back twice, error once; bob's cart, cart is no loop.
    assert (rows["pay"].sequences, rows["pay"].looping, rows["pay"].returns) == (2, 1, 2)
    assert (rows["error"].looping, rows["error"].returns) == (1, 1)
    assert (rows["cart"].sequences, rows["cart"].looping) == (4, 0)
    assert rows["pay"].share.value == 50.0 and result.loops[0].event in ("pay", "error")


def test_duckdb_and_spark_agree(spark: None) -> None:
    def analysis(wh: Warehouse) -> list[dict[str, Any]]:
        return [
            run_paths(wh, WS, PathSpec(event="cart", length=2)).model_dump(mode="json"),
            run_loops(wh, WS, LoopSpec(by=["device"])).model_dump(mode="json"),
        ]

    _, loops = same_on_every_engine(SMALL, analysis)
    assert [g["key"] for g in loops["groups"]] == [{"device": "mobile"}, {"device": None}]


WINDOW = ("2024-04-09", "2024-05-10")  # the planted mobile checkout bug, Apr 9 - May 9 2024


def test_mobile_checkout_loop_stands_out_in_its_window(ecom: Warehouse) -> None:
    def shares(start: str | None, end: str | None) -> dict[tuple[str | None, str], Any]:
        spec = LoopSpec(
            events=["add_to_cart", "cart", "payment_details"],
            by=["platform"],
            session_property="session_id",
            start=start,
            end=end,
        )
        return {(g.key["platform"], r.event): r.share for g in run_loops(ecom, WS, spec).groups for r in g.loops}

    inside, before, after = shares(*WINDOW), shares(None, WINDOW[0]), shares(WINDOW[1], None)
    for event in ("add_to_cart", "cart"):
        bug = inside[("mobile", event)]
        # Mobile sessions going round this event: several times the share before, twice the share after, and
        # beyond both intervals (36.7% against 3.6% and 10.0% for add_to_cart).
        for outside, factor in ((before, 3), (after, 2)):
            calm = outside[("mobile", event)]
            assert bug.value > factor * calm.value and bug.ci_low > calm.ci_high, (event, bug, calm)
        # Desktop shows nothing like it.
        assert inside[("desktop", event)].value < 2 * before[("desktop", event)].value + 5
    # The later payment incident (May 19 - Jun 7) shows up the same way, on payment_details and on every platform.
    assert after[("desktop", "payment_details")].ci_low > before[("desktop", "payment_details")].ci_high
    # checkout_bug events themselves: only on mobile, only in the window.
    df = ecom_frame()
    bugs = df[df.event == "checkout_bug"]
    assert set(bugs.platform) == {"mobile"} and bugs.timestamp.between(*WINDOW).all()
    top = run_paths(ecom, WS, PathSpec(event="checkout_bug", length=1, top=3, start=WINDOW[0], end=WINDOW[1]))
    assert top.sequences == 32 and top.paths[0].path[0] == "checkout_bug"


@pytest.mark.parametrize("gap", [None, "30m"])
def test_sessions_by_gap_match_the_session_property(ecom: Warehouse, gap: str | None) -> None:
    by_property = run_paths(ecom, WS, PathSpec(event="purchase", direction="before", session_property="session_id"))
    by_gap = run_paths(ecom, WS, PathSpec(event="purchase", direction="before", session_gap=gap))
    # A 30-minute gap finds the generator's sessions closely; the whole history reads fewer, longer sequences.
    close = sum(min(a.count, b.count) for a, b in zip(by_gap.paths, by_property.paths, strict=False))
    if gap is None:
        assert by_gap.sequences < by_property.sequences
    else:
        assert abs(by_gap.sequences - by_property.sequences) <= 0.05 * by_property.sequences and close > 0
