"""The registered measures: what each aggregates in the engine and how its estimate and change are computed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from suara.metrics import stats
from suara.metrics.stats import Difference, Estimate


@dataclass(frozen=True)
class Measure:
    """A measure over the numeric answers of one question kind."""

    name: str
    label: str
    question_kind: str
    unit: str
    definition: str

    def aggregates(self, number: ir.NumericColumn) -> dict[str, ir.Scalar]:
        raise NotImplementedError

    def estimate(self, c: Mapping[str, Any], level: float = 0.95) -> Estimate:
        raise NotImplementedError

    def difference(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> Difference:
        raise NotImplementedError


@dataclass(frozen=True)
class NpsMeasure(Measure):
    def aggregates(self, number: ir.NumericColumn) -> dict[str, ir.Scalar]:
        return {
            "n": number.count(),
            "promoters": number.count(where=number >= 9),
            "detractors": number.count(where=number <= 6),
        }

    def estimate(self, c: Mapping[str, Any], level: float = 0.95) -> Estimate:
        return stats.nps(int(c["promoters"]), int(c["detractors"]), int(c["n"]), level)

    def difference(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> Difference:
        key = ("promoters", "detractors", "n")
        return stats.nps_difference(tuple(int(a[k]) for k in key), tuple(int(b[k]) for k in key))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ShareMeasure(Measure):
    """Share of answers at or above `threshold` (top-box), in percent, with a Wilson interval."""

    threshold: float = 4

    def aggregates(self, number: ir.NumericColumn) -> dict[str, ir.Scalar]:
        return {"n": number.count(), "hits": number.count(where=number >= self.threshold)}

    def estimate(self, c: Mapping[str, Any], level: float = 0.95) -> Estimate:
        return stats.wilson(int(c["hits"]), int(c["n"]), level)

    def difference(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> Difference:
        return stats.share_difference((int(a["hits"]), int(a["n"])), (int(b["hits"]), int(b["n"])))


@dataclass(frozen=True)
class MeanMeasure(Measure):
    """Mean answer on the question's own scale, with a t interval."""

    def aggregates(self, number: ir.NumericColumn) -> dict[str, ir.Scalar]:
        return {"n": number.count(), "total": number.sum(), "total_sq": (number * number).sum()}

    def estimate(self, c: Mapping[str, Any], level: float = 0.95) -> Estimate:
        return stats.mean_t(*_moments(c), level)

    def difference(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> Difference:
        return stats.mean_difference(_moments(a), _moments(b))


def _moments(c: Mapping[str, Any]) -> tuple[int, float, float]:
    return int(c["n"]), float(c["total"] or 0), float(c["total_sq"] or 0)


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in [
        NpsMeasure(
            "nps",
            "NPS",
            "nps",
            "points (-100..100)",
            "Net Promoter Score: % of 9-10 answers minus % of 0-6 answers to 'how likely to recommend'.",
        ),
        ShareMeasure(
            "csat",
            "CSAT",
            "csat",
            "% satisfied",
            "Customer satisfaction: % of 4-5 (top-2-box) answers on the 1-5 satisfaction scale.",
            threshold=4,
        ),
        MeanMeasure(
            "csat_mean", "CSAT mean", "csat", "mean (1..5)", "Customer satisfaction: mean answer on the 1-5 scale."
        ),
        MeanMeasure(
            "ces",
            "CES",
            "ces",
            "mean (1..7)",
            "Customer Effort Score: mean agreement that it was easy, 1-7, higher is easier.",
        ),
    ]
}
