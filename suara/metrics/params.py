"""Metric parameters as people type them (`field:value`, `key=value`, `trait:value=share`), and saved segments."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from pydantic import ValidationError

from suara.errors import ValidationFailed
from suara.metrics.segments import SegmentDefinition
from suara.metrics.spec import MetricResult
from suara.store.app import WorkspaceRepo


def _bad(param: str, index: int, item: str, expected: str) -> ValidationFailed:
    return ValidationFailed(
        f"{param} {item!r} is not `{expected}`",
        errors=[{"loc": ["query", param, index], "pointer": f"/{param}/{index}", "message": f"expected {expected}"}],
    )


def parse_filters(raw: Sequence[str]) -> dict[str, list[str]]:
    """`field:value` pairs; repeating a field means any of its values."""
    out: dict[str, list[str]] = {}
    for i, item in enumerate(raw):
        field, sep, value = item.partition(":")
        if not sep or not field:
            raise _bad("filter", i, item, "field:value")
        out.setdefault(field, []).append(value)
    return out


def parse_options(raw: Sequence[str]) -> dict[str, str]:
    """`key=value` pairs of a measure's options (the measure casts and checks them)."""
    out: dict[str, str] = {}
    for i, item in enumerate(raw):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _bad("option", i, item, "key=value")
        out[key.strip()] = value.strip()
    return out


def parse_rake(raw: Sequence[str]) -> dict[str, dict[str, float]]:
    """`trait:value=share` population shares; repeat for each value and trait."""
    out: dict[str, dict[str, float]] = {}
    for i, item in enumerate(raw):
        trait, sep, rest = item.partition(":")
        value, eq, share = rest.rpartition("=")
        if not sep or not eq or not trait:
            raise _bad("rake", i, item, "trait:value=share")
        try:
            out.setdefault(trait, {})[value] = float(share)
        except ValueError:
            raise _bad("rake", i, item, "trait:value=share with a number as share") from None
    return out


def saved_segments(repo: WorkspaceRepo) -> dict[str, SegmentDefinition]:
    """The workspace's saved segments, parsed; one saved by an older version that no longer parses is skipped."""
    out = {}
    for seg in repo.segments():
        try:
            out[seg.name] = SegmentDefinition.model_validate(seg.definition)
        except ValidationError:
            continue
    return out


def result_csv(result: MetricResult) -> str:
    """The result as CSV: one row per group (or per period, or one row), with interval, n and tests."""
    rows = result.groups or result.series
    keys = list(rows[0].key) if rows else []
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", *keys, "value", "ci_low", "ci_high", "n", "low_n", "change", "change_p", "vs_rest",
                "vs_rest_q"])  # fmt: skip
    if not rows:
        w.writerow([result.metric, result.value, result.ci_low, result.ci_high, result.n, result.low_n, "", "", "", ""])
    for g in rows:
        c, r = g.change, g.vs_rest
        w.writerow(
            [result.metric, *(g.key.get(k) for k in keys), g.value, g.ci_low, g.ci_high, g.n, g.low_n,
             c.delta if c else "", c.p_value if c else "", r.delta if r else "", r.q_value if r else ""]
        )  # fmt: skip
    return buf.getvalue()
