"""Intervals and tests from sufficient statistics (counts, sums), so engines aggregate and Python does the maths.

NPS: adjusted Wald (add 3/4 to promoters and to detractors, 3 to n; Rocks 2016, MeasuringU). Shares: Wilson.
Means: Student t. All intervals are 95% unless `level` says otherwise; NPS and shares are in percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.special import ndtr, ndtri, stdtr, stdtrit  # scipy.special loads far faster than scipy.stats


@dataclass(frozen=True)
class Estimate:
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    se: float | None = None


@dataclass(frozen=True)
class Difference:
    """b minus a, with its standard error, z (or t) statistic and two-sided p-value."""

    delta: float | None
    se: float | None
    statistic: float | None
    p_value: float | None


EMPTY = Estimate(None, None, None, 0)
NO_DIFFERENCE = Difference(None, None, None, None)


def _z(level: float) -> float:
    return float(ndtri(0.5 + level / 2))


# -- NPS ---------------------------------------------------------------------------------------------------------
def nps_wald_se(promoters: float, detractors: float, n: float) -> float:
    """Standard error of NPS (in points, -100..100) by the plain Wald formula."""
    p, d = promoters / n, detractors / n
    return 100 * math.sqrt((p + d - (p - d) ** 2) / n)


def nps_adjusted(promoters: float, detractors: float, n: float) -> tuple[float, float]:
    """Adjusted-Wald NPS and its standard error, both in points."""
    pa, da, na = promoters + 0.75, detractors + 0.75, n + 3
    p, d = pa / na, da / na
    return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / na)


def nps(promoters: int, detractors: int, n: int, level: float = 0.95) -> Estimate:
    """NPS = %promoters - %detractors; the interval is the adjusted-Wald one, clipped to [-100, 100]."""
    if n <= 0:
        return EMPTY
    value = 100 * (promoters - detractors) / n
    centre, se = nps_adjusted(promoters, detractors, n)
    z = _z(level)
    return Estimate(value, max(-100.0, centre - z * se), min(100.0, centre + z * se), n, se)


def nps_difference(a: tuple[int, int, int], b: tuple[int, int, int]) -> Difference:
    """Adjusted-Wald difference of two independent NPS (promoters, detractors, n): b - a, z and two-sided p."""
    if a[2] <= 0 or b[2] <= 0:
        return NO_DIFFERENCE
    na, se_a = nps_adjusted(*a)
    nb, se_b = nps_adjusted(*b)
    se = math.hypot(se_a, se_b)
    delta = nb - na
    z = delta / se if se > 0 else 0.0
    return Difference(delta, se, z, float(2 * ndtr(-abs(z))))


# -- shares ------------------------------------------------------------------------------------------------------
def wilson(hits: int, n: int, level: float = 0.95) -> Estimate:
    """Share of hits in percent with the Wilson score interval."""
    if n <= 0:
        return EMPTY
    z = _z(level)
    p = hits / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return Estimate(
        100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half), n, 100 * math.sqrt(p * (1 - p) / n)
    )


def share_difference(a: tuple[int, int], b: tuple[int, int]) -> Difference:
    """Two-proportion z-test (pooled) of (hits, n) pairs: b - a in percentage points."""
    (ha, na), (hb, nb) = a, b
    if na <= 0 or nb <= 0:
        return NO_DIFFERENCE
    pa, pb = ha / na, hb / nb
    pooled = (ha + hb) / (na + nb)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    z = (pb - pa) / se0 if se0 > 0 else 0.0
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return Difference(100 * (pb - pa), 100 * se, z, float(2 * ndtr(-abs(z))))


# -- means -------------------------------------------------------------------------------------------------------
def _mean_var(n: int, total: float, total_sq: float) -> tuple[float, float]:
    mean = total / n
    var = max(0.0, (total_sq - n * mean**2) / (n - 1)) if n > 1 else 0.0
    return mean, var


def mean_t(n: int, total: float, total_sq: float, level: float = 0.95) -> Estimate:
    """Mean with a Student-t interval, from n, the sum and the sum of squares."""
    if n <= 0:
        return EMPTY
    mean, var = _mean_var(n, total, total_sq)
    if n == 1:
        return Estimate(mean, None, None, n)
    se = math.sqrt(var / n)
    half = float(stdtrit(n - 1, 0.5 + level / 2)) * se
    return Estimate(mean, mean - half, mean + half, n, se)


def mean_difference(a: tuple[int, float, float], b: tuple[int, float, float]) -> Difference:
    """Welch's t-test of two means from (n, sum, sum of squares): b - a."""
    if a[0] < 2 or b[0] < 2:
        return NO_DIFFERENCE
    ma, va = _mean_var(*a)
    mb, vb = _mean_var(*b)
    qa, qb = va / a[0], vb / b[0]
    se = math.sqrt(qa + qb)
    if se == 0:
        return Difference(mb - ma, 0.0, 0.0, 1.0 if mb == ma else 0.0)
    t = (mb - ma) / se
    dof = (qa + qb) ** 2 / (qa**2 / (a[0] - 1) + qb**2 / (b[0] - 1))
    return Difference(mb - ma, se, t, float(2 * stdtr(dof, -abs(t))))
