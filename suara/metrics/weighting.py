"""Post-stratification by raking: weights that make the sample's trait shares match known population shares.

Raking (iterative proportional fitting; Deming and Stephan 1940) adjusts cell weights one trait at a time until every
trait's weighted shares match its targets. Weights depend only on the cell (the combination of raked trait values),
so the engine aggregates per cell and the weights are applied to the cells' sufficient statistics. Intervals use the
Kish effective sample size n_eff = (sum w)^2 / sum w^2, the usual design-effect approximation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from suara.errors import ValidationFailed

MISSING = "(missing)"
MAX_ITERATIONS = 200
TOLERANCE = 1e-10


def validate_targets(targets: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Targets as shares summing to 1 per trait (percentages are accepted and rescaled)."""
    out: dict[str, dict[str, float]] = {}
    for trait, shares in targets.items():
        total = sum(shares.values())
        if not shares or any(v < 0 for v in shares.values()) or total <= 0:
            raise _bad(trait, "population shares must be non-negative and not all zero")
        if abs(total - 1) > 0.01 and abs(total - 100) > 1:
            raise _bad(trait, f"population shares add up to {total:g}; give shares summing to 1 (or 100)")
        out[trait] = {str(k): v / total for k, v in shares.items()}
    return out


def rake(cells: pd.DataFrame, targets: Mapping[str, Mapping[str, float]]) -> np.ndarray:
    """Weight per row of `cells` (one row per cell: a column per trait and its count `n`) so weighted shares match.

    Weights average 1 over the sample's units. A cell whose trait value has no target is an error, not a silent drop.
    """
    counts = cells["n"].to_numpy(dtype=float)
    weights = np.ones(len(cells))
    total = counts.sum()
    if total == 0:
        return weights
    for trait, shares in targets.items():
        unknown = sorted(set(cells[trait].fillna(MISSING).astype(str)) - set(shares))
        if unknown:
            raise _bad(trait, f"the sample has values without a population share: {', '.join(unknown)}")
    columns = {trait: cells[trait].fillna(MISSING).astype(str).to_numpy() for trait in targets}
    for _ in range(MAX_ITERATIONS):
        worst = 0.0
        for trait, shares in targets.items():
            for value, share in shares.items():
                mask = columns[trait] == value
                current = float((weights[mask] * counts[mask]).sum())
                if current == 0:
                    if share > 0:
                        raise _bad(trait, f"no one in the sample has {value!r}, whose population share is {share:g}")
                    continue
                factor = share * total / current
                worst = max(worst, abs(factor - 1))
                weights[mask] *= factor
        if worst < TOLERANCE:
            break
    return weights


def weighted_stats(stats: pd.DataFrame, weights: np.ndarray, stat_cols: Sequence[str]) -> dict[str, Any]:
    """Cells' sufficient statistics combined with their weights, rescaled to the Kish effective sample size.

    Every ratio of the result (share, mean) is the weighted one, and `n` is n_eff, so the unweighted formulas give
    weighted values with design-effect-corrected intervals.
    """
    n = stats["n"].to_numpy(dtype=float)
    sum_w, sum_w2 = float((weights * n).sum()), float((weights**2 * n).sum())
    if sum_w == 0:
        return {c: 0.0 for c in stat_cols}
    scale = (sum_w / sum_w2) if sum_w2 else 0.0  # n_eff / sum_w
    return {c: float((weights * stats[c].to_numpy(dtype=float)).sum()) * scale for c in stat_cols}


def _bad(trait: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"cannot weight by {trait!r}: {message}",
        errors=[{"loc": ["rake", trait], "pointer": f"/rake/{trait}", "message": message}],
    )
