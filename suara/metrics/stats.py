"""Intervals and tests from sufficient statistics (counts, sums), so engines aggregate and Python does the maths.

NPS: adjusted Wald (add 3/4 to promoters and to detractors, 3 to n; Rocks 2016, MeasuringU). Shares: Wilson.
Means: Student t. Medians and percentiles: percentile bootstrap with a fixed seed. All intervals are 95% unless `level`
says otherwise; NPS and shares are in percent. Counts may be fractional: weighted samples pass Kish-effective counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri, stdtr, stdtrit  # scipy.special loads far faster than scipy.stats


@dataclass(frozen=True)
class Estimate:
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: float  # fractional for weighted samples (Kish effective size)
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


def nps(promoters: float, detractors: float, n: float, level: float = 0.95) -> Estimate:
    """NPS = %promoters - %detractors; the interval is the adjusted-Wald one, clipped to [-100, 100]."""
    if n <= 0:
        return EMPTY
    value = 100 * (promoters - detractors) / n
    centre, se = nps_adjusted(promoters, detractors, n)
    z = _z(level)
    return Estimate(value, max(-100.0, centre - z * se), min(100.0, centre + z * se), n, se)


def nps_difference(a: tuple[float, float, float], b: tuple[float, float, float]) -> Difference:
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
def wilson(hits: float, n: float, level: float = 0.95) -> Estimate:
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


def share_difference(a: tuple[float, float], b: tuple[float, float]) -> Difference:
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
def _mean_var(n: float, total: float, total_sq: float) -> tuple[float, float]:
    mean = total / n
    var = max(0.0, (total_sq - n * mean**2) / (n - 1)) if n > 1 else 0.0
    return mean, var


def mean_t(n: float, total: float, total_sq: float, level: float = 0.95) -> Estimate:
    """Mean with a Student-t interval, from n, the sum and the sum of squares."""
    if n <= 0:
        return EMPTY
    mean, var = _mean_var(n, total, total_sq)
    if n <= 1:
        return Estimate(mean, None, None, n)
    se = math.sqrt(var / n)
    half = float(stdtrit(n - 1, 0.5 + level / 2)) * se
    return Estimate(mean, mean - half, mean + half, n, se)


def mean_difference(a: tuple[float, float, float], b: tuple[float, float, float]) -> Difference:
    """Welch's t-test of two means from (n, sum, sum of squares): b - a."""
    if a[0] <= 1 or b[0] <= 1:
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


# -- medians and percentiles ---------------------------------------------------------------------------------------
BOOTSTRAP_SEED = 20_261_123
BOOTSTRAP_SAMPLES = 2_000
# Above this many values the resampling matrix gets large; the distribution-free order-statistic interval (which the
# bootstrap converges to) is used instead.
BOOTSTRAP_MAX_N = 20_000


def quantile_bootstrap(values: Sequence[float] | np.ndarray, q: float, level: float = 0.95) -> Estimate:
    """The q-quantile (0.5 = median) with a percentile-bootstrap interval, reproducible by its fixed seed."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return EMPTY
    value = float(np.quantile(x, q))
    if n == 1:
        return Estimate(value, None, None, 1)
    alpha = (1 - level) / 2
    if n > BOOTSTRAP_MAX_N:
        # Order statistics whose ranks bracket q*n by z*sqrt(n q (1-q)) cover the quantile at `level`.
        half = _z(level) * math.sqrt(n * q * (1 - q))
        lo, hi = max(0, math.floor(n * q - half) - 1), min(n - 1, math.ceil(n * q + half))
        return Estimate(value, float(x[lo]), float(x[hi]), n)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    stats = np.empty(BOOTSTRAP_SAMPLES)
    for start in range(0, BOOTSTRAP_SAMPLES, 250):  # chunks bound the resampling matrix's memory
        idx = rng.integers(0, n, size=(min(250, BOOTSTRAP_SAMPLES - start), n))
        stats[start : start + len(idx)] = np.quantile(x[idx], q, axis=1)
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return Estimate(value, float(low), float(high), n, float(stats.std(ddof=1)))


def quantile_difference(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, q: float) -> Difference:
    """b's q-quantile minus a's, with a bootstrap standard error and a normal-approximation p-value."""
    ea, eb = quantile_bootstrap(a, q), quantile_bootstrap(b, q)
    if ea.value is None or eb.value is None or ea.se is None or eb.se is None:
        return NO_DIFFERENCE
    if ea.n > BOOTSTRAP_MAX_N or eb.n > BOOTSTRAP_MAX_N:
        # Large samples: the interval width gives the standard error (z * se on each side).
        z = _z(0.95)
        sa = (float(ea.ci_high or 0) - float(ea.ci_low or 0)) / (2 * z)
        sb = (float(eb.ci_high or 0) - float(eb.ci_low or 0)) / (2 * z)
        se = math.hypot(sa, sb)
    else:
        se = math.hypot(ea.se, eb.se)
    delta = eb.value - ea.value
    if se == 0:
        return Difference(delta, 0.0, 0.0, 1.0 if delta == 0 else 0.0)
    stat = delta / se
    return Difference(delta, se, stat, float(2 * ndtr(-abs(stat))))


# -- many comparisons ----------------------------------------------------------------------------------------------
def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg adjusted p-values (q-values), in input order; None stays None and is not counted."""
    present = [(p, i) for i, p in enumerate(p_values) if p is not None]
    m = len(present)
    out: list[float | None] = [None] * len(p_values)
    running = 1.0
    for rank, (p, i) in reversed(list(enumerate(sorted(present), start=1))):
        running = min(running, p * m / rank)
        out[i] = running
    return out
