"""Anomalies in daily series: a seasonal baseline learnt from the recent past, a tail test, one incident per episode.

Three kinds of daily series are judged, each against the days before it (never after, so a verdict never changes
as days are added):

- counts (events, negative feedback): expected = trailing level x weekday factor; negative binomial tails, with the
  overdispersion estimated from the history (Poisson when there is none);
- rates (hits out of trials, such as the share of error events): expected share = trailing share x weekday factor;
  beta-binomial tails, with the intra-day correlation estimated from the history (binomial when there is none);
- values with a standard error (a daily NPS or CES): expected = trailing mean; normal tails on the sampling error plus
  the day-to-day variation seen in the history.

Weekday factors are shrunk towards 1 by a pseudo-count, so sparse series are not given a weekly pattern they do not
show. A day is flagged only when it is both improbable (tail probability under `alpha`) and large (at least
`min_delta` above or below, and `min_ratio` times, the expectation), so low-volume noise does not alert. A series
silent through its whole history that turns non-zero (a new error event) is flagged as emerging.

Flagged days in a row, with fewer than `recovery_days` calm days between them, make one incident. While an incident
is open its days are kept out of the baseline, so the incident does not become the new normal; it recovers on the
first of `recovery_days` calm days in a row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

Direction = Literal["up", "down", "both"]
Kind = Literal["count", "rate", "value"]

# Pseudo-count (events for counts, hits for rates) that pulls each weekday factor towards 1.
_SEASON_PRIOR = 20.0
# Largest score reported: -log10 of the tail probability, capped so that near-certain days still compare.
_MAX_SCORE = 30.0
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class DetectorConfig:
    """How far back the baseline looks and how unusual and how large a day must be to be flagged."""

    history_days: int = 56
    min_history_days: int = 28
    level_days: int = 14
    alpha: float = 1e-5
    min_delta: float = 5.0
    min_ratio: float = 1.5
    min_rate_delta: float = 0.01
    direction: Direction = "up"
    emergence: bool = True
    min_new: float = 1.0
    recovery_days: int = 3
    recovery_alpha: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1 or not 0 < self.recovery_alpha < 1:
            raise ValueError("alpha and recovery_alpha are probabilities strictly between 0 and 1")
        if self.min_history_days < 7 or self.history_days < self.min_history_days:
            raise ValueError("min_history_days must be at least 7 and history_days at least min_history_days")
        if not 1 <= self.level_days <= self.history_days:
            raise ValueError("level_days must be between 1 and history_days")
        if self.recovery_days < 1 or self.min_ratio < 1 or self.min_delta < 0:
            raise ValueError("recovery_days must be at least 1, min_ratio at least 1 and min_delta at least 0")


@dataclass(frozen=True)
class Flag:
    """One unusual day: what was seen, what was expected (shares on 0..1 for rates), and how surprising it was."""

    day: date
    observed: float
    expected: float
    score: float
    direction: Literal["up", "down"]
    emerging: bool
    reason: str


@dataclass(frozen=True)
class Incident:
    """Flagged days that belong together: when it started, its worst day and when it recovered (None: ongoing)."""

    started_on: date
    last_flagged_on: date
    recovered_on: date | None
    flags: tuple[Flag, ...]

    @property
    def first(self) -> Flag:
        return self.flags[0]

    @property
    def peak(self) -> Flag:
        return max(self.flags, key=lambda f: f.score)

    @property
    def reason(self) -> str:
        peak = self.peak
        text = self.first.reason
        if peak.day != self.first.day:
            text += f"; worst on {peak.day.isoformat()}: {peak.reason.split(': ', 1)[-1]}"
        if self.recovered_on is None:
            return f"{text}; ongoing since {self.started_on.isoformat()}"
        return f"{text}; recovered on {self.recovered_on.isoformat()}"


@dataclass(frozen=True)
class Detection:
    """Every flagged day and the incidents they make, in date order."""

    flags: tuple[Flag, ...]
    incidents: tuple[Incident, ...]


@dataclass(frozen=True)
class _Verdict:
    expected: float
    p_up: float
    p_down: float
    big_up: bool
    big_down: bool
    emerging: bool = False
    # At least half the change that alerts: what still keeps an incident open.
    half_up: bool = False
    half_down: bool = False


# Judges one day (by index) against the history (indices of baseline days before it); None: cannot judge it.
_Judge = Callable[[int, np.ndarray], "_Verdict | None"]


@dataclass
class _Open:
    flags: list[Flag] = field(default_factory=list)
    calm_since: int | None = None


# -- entry points --------------------------------------------------------------------------------------------------
def detect_counts(
    counts: pd.Series | Sequence[float],
    days: Sequence[date] | None = None,
    config: DetectorConfig | None = None,
    label: str = "count",
    reference: pd.Series | Sequence[float] | None = None,
) -> Detection:
    """Flag unusual daily counts (events per day). `counts` is a Series indexed by day, or values with `days`.

    `reference` (same days) is a wider series the counts belong to, such as the same event on every platform: a
    count only counts as emerging when the reference was silent too.
    """
    index, y = _daily(counts, days)
    ref = None if reference is None else _aligned(reference, index)
    cfg = config or DetectorConfig()
    return _detect(index, lambda t, h: _judge_count(y, ref, t, h, index, cfg), y, cfg, label, "count")


def detect_rates(
    hits: pd.Series | Sequence[float],
    trials: pd.Series | Sequence[float],
    days: Sequence[date] | None = None,
    config: DetectorConfig | None = None,
    label: str = "share",
) -> Detection:
    """Flag unusual daily shares: `hits` out of `trials` per day (error events out of all events)."""
    index, h = _daily(hits, days)
    n = _aligned(trials, index)
    if np.any(h > n) or np.any(n < 0):
        raise ValueError("hits must lie between 0 and trials on every day")
    cfg = config or DetectorConfig()
    share = np.divide(h, n, out=np.full_like(h, np.nan), where=n > 0)
    return _detect(index, lambda t, hist: _judge_rate(h, n, t, hist, index, cfg), share, cfg, label, "rate")


def detect_values(
    values: pd.Series | Sequence[float],
    standard_errors: pd.Series | Sequence[float],
    days: Sequence[date] | None = None,
    config: DetectorConfig | None = None,
    label: str = "value",
) -> Detection:
    """Flag unusual daily values (a daily NPS, CES, ...) given each day's standard error; missing days are NaN."""
    index, v = _daily(values, days, fill=np.nan)
    se = _aligned(standard_errors, index, fill=np.nan)
    cfg = config or DetectorConfig()
    return _detect(index, lambda t, h: _judge_value(v, se, t, h, cfg), v, cfg, label, "value")


# -- the incident loop ---------------------------------------------------------------------------------------------
def _detect(
    index: pd.DatetimeIndex,
    judge: _Judge,
    observed: np.ndarray,
    cfg: DetectorConfig,
    label: str,
    kind: Kind,
) -> Detection:
    in_baseline = np.ones(len(index), dtype=bool)
    flags: list[Flag] = []
    incidents: list[Incident] = []
    current: _Open | None = None
    for t in range(cfg.min_history_days, len(index)):
        # The last `history_days` baseline days: a long incident pushes the baseline further back, not out.
        history = np.flatnonzero(in_baseline[:t])[-cfg.history_days :]
        verdict = judge(t, history) if len(history) >= cfg.min_history_days else None
        if verdict is None or not math.isfinite(observed[t]):
            if current is not None:
                in_baseline[t] = False  # an unjudged day inside an incident cannot vouch for the baseline
            continue
        flag = _flag(verdict, index[t].date(), float(observed[t]), cfg, label, kind)
        if flag is not None:
            flags.append(flag)
            current = current or _Open()
            current.flags.append(flag)
            current.calm_since = None
            in_baseline[t] = False
            continue
        if current is None:
            continue
        calm = _calm(verdict, cfg)
        if not calm:
            current.calm_since = None
        elif current.calm_since is None:
            current.calm_since = t
        in_baseline[t] = False
        if current.calm_since is not None and t - current.calm_since + 1 >= cfg.recovery_days:
            in_baseline[current.calm_since : t + 1] = True
            incidents.append(_incident(current, index[current.calm_since].date()))
            current = None
    if current is not None:
        incidents.append(_incident(current, None))
    return Detection(tuple(flags), tuple(incidents))


def _incident(current: _Open, recovered_on: date | None) -> Incident:
    return Incident(current.flags[0].day, current.flags[-1].day, recovered_on, tuple(current.flags))


def _flag(v: _Verdict, day: date, observed: float, cfg: DetectorConfig, label: str, kind: Kind) -> Flag | None:
    up = cfg.direction in ("up", "both")
    down = cfg.direction in ("down", "both")
    when = f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"
    if v.emerging and up:
        score = _score(v.p_up)
        reason = f"{label}: {_fmt(observed, kind)} on {when}, none in the baseline before (new)"
        return Flag(day, observed, v.expected, score, "up", True, reason)
    if up and v.big_up and v.p_up < cfg.alpha:
        return Flag(day, observed, v.expected, _score(v.p_up), "up", False, _reason(label, observed, v, when, kind))
    if down and v.big_down and v.p_down < cfg.alpha:
        reason = _reason(label, observed, v, when, kind)
        return Flag(day, observed, v.expected, _score(v.p_down), "down", False, reason)
    return None


def _calm(v: _Verdict, cfg: DetectorConfig) -> bool:
    """Back within the usual range: not even mildly unusual by half the change that alerts."""
    if v.emerging:
        return False
    up = cfg.direction in ("up", "both") and v.half_up and v.p_up < cfg.recovery_alpha
    down = cfg.direction in ("down", "both") and v.half_down and v.p_down < cfg.recovery_alpha
    return not (up or down)


def _reason(label: str, observed: float, v: _Verdict, when: str, kind: Kind) -> str:
    ratio = observed / v.expected if v.expected > 0 else math.inf
    how = "above" if observed >= v.expected else "below"
    times = "" if kind == "value" or not math.isfinite(ratio) else f", {ratio:.1f}x"
    p = min(v.p_up, v.p_down)
    return (
        f"{label}: {_fmt(observed, kind)} on {when}, {how} the {_fmt(v.expected, kind)} expected{times} "
        f"(chance {p:.1g})"
    )


def _fmt(x: float, kind: Kind) -> str:
    if kind == "rate":
        return f"{100 * x:.1f}%"
    if kind == "count":
        return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"
    return f"{x:.2f}"


def _score(p: float) -> float:
    return min(_MAX_SCORE, -math.log10(max(p, 1e-300)))


# -- baselines and tails -------------------------------------------------------------------------------------------
def _weekday_factor(weights: np.ndarray, amounts: np.ndarray, weekdays: np.ndarray, target: int, base: float) -> float:
    """Factor of weekday `target`: its amounts over what the overall rate `base` predicts, shrunk towards 1."""
    mask = weekdays == target
    predicted = base * float(weights[mask].sum())
    return (float(amounts[mask].sum()) + _SEASON_PRIOR) / (predicted + _SEASON_PRIOR)


def _judge_count(
    y: np.ndarray,
    ref: np.ndarray | None,
    t: int,
    h: np.ndarray,
    index: pd.DatetimeIndex,
    cfg: DetectorConfig,
) -> _Verdict:
    weekdays = index.weekday.to_numpy()
    yh, wd = y[h], weekdays[h]
    ones = np.ones(len(h))
    mean = float(yh.mean())
    factors = np.array([_weekday_factor(ones, yh, wd, d, mean) for d in range(7)])
    recent = h[-cfg.level_days :]
    level = float(y[recent].sum() / factors[weekdays[recent]].sum())
    mu = level * factors[weekdays[t]]
    fitted = level * factors[wd]
    # Events come in clusters (one visit makes several), so the variance is phi x mu (Pearson's phi; 1 is Poisson).
    phi = float(np.clip(((yh - fitted) ** 2 / np.maximum(fitted, 1e-9)).mean(), 1.0, 100.0))
    obs = y[t]
    # Silent: nothing in the baseline days (nor in the wider reference on those days), so any count is new.
    if not yh.any() and (ref is None or not ref[h].any()):
        # A rate no higher than the rule of three allows for a history of zeros.
        return _silent_verdict(obs, float(stats.poisson.sf(obs - 1, 3.0 / len(h))), cfg)
    p_up, p_down = _nb_tails(obs, mu, phi)
    big_up, big_down = _big(obs, mu, cfg.min_delta, cfg.min_ratio)
    half_up, half_down = _big(obs, mu, cfg.min_delta / 2, 1 + (cfg.min_ratio - 1) / 2)
    return _Verdict(mu, p_up, p_down, big_up, big_down, half_up=half_up, half_down=half_down)


def _big(obs: float, expected: float, delta: float, ratio: float) -> tuple[bool, bool]:
    """Whether a count is at least `delta` and `ratio` times above, or below, the expectation."""
    up = obs - expected >= delta and obs >= ratio * expected
    down = expected - obs >= delta and obs * ratio <= expected
    return bool(up), bool(down)


def _silent_verdict(obs: float, p_up: float, cfg: DetectorConfig) -> _Verdict:
    """A day after a history of zeros: emerging when allowed, else it must clear the usual minimum change."""
    if cfg.emergence:
        return _Verdict(0.0, p_up, 1.0, obs >= cfg.min_new, False, emerging=bool(obs >= cfg.min_new))
    return _Verdict(0.0, p_up, 1.0, obs >= max(cfg.min_delta, cfg.min_new), False)


def _nb_tails(obs: float, mu: float, phi: float) -> tuple[float, float]:
    """P(Y >= obs) and P(Y <= obs) for a negative binomial of mean mu and variance phi x mu (Poisson when phi = 1)."""
    if mu <= 0:
        return (0.0 if obs > 0 else 1.0), 1.0
    if phi < 1 + 1e-9:
        return float(stats.poisson.sf(obs - 1, mu)), float(stats.poisson.cdf(obs, mu))
    n, p = mu / (phi - 1), 1.0 / phi
    return float(stats.nbinom.sf(obs - 1, n, p)), float(stats.nbinom.cdf(obs, n, p))


def _judge_rate(
    hits: np.ndarray,
    trials: np.ndarray,
    t: int,
    h: np.ndarray,
    index: pd.DatetimeIndex,
    cfg: DetectorConfig,
) -> _Verdict | None:
    n_t = trials[t]
    if n_t <= 0:
        return None
    h = h[trials[h] > 0]
    if len(h) < cfg.min_history_days // 2:
        return None
    weekdays = index.weekday.to_numpy()
    hh, nh, wd = hits[h], trials[h], weekdays[h]
    base = float(hh.sum() / nh.sum())
    factors = np.array([_weekday_factor(nh, hh, wd, d, base) for d in range(7)])
    recent = h[-cfg.level_days :]
    level = float(hits[recent].sum() / (trials[recent] * factors[weekdays[recent]]).sum())
    obs = hits[t]
    if not hh.any():
        return _silent_verdict(obs, float(stats.binom.sf(obs - 1, n_t, min(3.0 / nh.sum(), 1.0))), cfg)
    pi = float(np.clip(level * factors[weekdays[t]], 1e-9, 1 - 1e-9))
    fitted = np.clip(level * factors[wd], 1e-9, 1 - 1e-9)
    # Beta-binomial intra-day correlation by moments (Pearson dispersion phi = 1 + (n - 1) rho); 0 is binomial.
    phi = float(((hh - nh * fitted) ** 2 / (nh * fitted * (1 - fitted))).mean())
    rho = float(np.clip((phi - 1) / max(nh.mean() - 1, 1.0), 0.0, 0.5))
    p_up, p_down = _bb_tails(obs, n_t, pi, rho)
    share = obs / n_t
    big_up, big_down = _big(obs, n_t * pi, cfg.min_delta, cfg.min_ratio)
    half_up, half_down = _big(obs, n_t * pi, cfg.min_delta / 2, 1 + (cfg.min_ratio - 1) / 2)
    wide_up, wide_down = share - pi >= cfg.min_rate_delta, pi - share >= cfg.min_rate_delta
    half_wide_up, half_wide_down = share - pi >= cfg.min_rate_delta / 2, pi - share >= cfg.min_rate_delta / 2
    return _Verdict(
        pi,
        p_up,
        p_down,
        big_up and wide_up,
        big_down and wide_down,
        half_up=half_up and half_wide_up,
        half_down=half_down and half_wide_down,
    )


def _bb_tails(obs: float, n: float, pi: float, rho: float) -> tuple[float, float]:
    n_int = int(round(n))
    if rho < 1e-9:
        return float(stats.binom.sf(obs - 1, n_int, pi)), float(stats.binom.cdf(obs, n_int, pi))
    s = (1 - rho) / rho
    dist = stats.betabinom(n_int, pi * s, (1 - pi) * s)
    return float(dist.sf(obs - 1)), float(dist.cdf(obs))


def _judge_value(v: np.ndarray, se: np.ndarray, t: int, h: np.ndarray, cfg: DetectorConfig) -> _Verdict | None:
    h = h[np.isfinite(v[h]) & np.isfinite(se[h])]
    if len(h) < cfg.min_history_days // 2 or not (math.isfinite(v[t]) and math.isfinite(se[t])):
        return None
    recent = h[-cfg.level_days :]
    w = 1.0 / np.maximum(se[recent], 1e-9) ** 2
    expected = float((w * v[recent]).sum() / w.sum())
    # Day-to-day variation beyond sampling error (between-day variance, by moments).
    tau2 = max(0.0, float(np.var(v[h], ddof=1) - np.mean(se[h] ** 2)))
    z = (v[t] - expected) / math.sqrt(se[t] ** 2 + tau2 + 1e-12)
    gap = float(v[t] - expected)
    return _Verdict(
        expected,
        float(stats.norm.sf(z)),
        float(stats.norm.cdf(z)),
        gap >= cfg.min_delta,
        -gap >= cfg.min_delta,
        half_up=gap >= cfg.min_delta / 2,
        half_down=-gap >= cfg.min_delta / 2,
    )


# -- input ---------------------------------------------------------------------------------------------------------
def _daily(
    data: pd.Series | Sequence[float], days: Sequence[date] | None, fill: float = 0.0
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """A gap-free daily index and the values on it (missing days are `fill`: no events is a count of 0)."""
    series = _as_series(data, days)
    if len(series) == 0:
        return pd.DatetimeIndex([]), np.array([], dtype="float64")
    full = pd.date_range(series.index[0], series.index[-1], freq="D")
    return full, series.reindex(full, fill_value=fill).to_numpy(dtype="float64")


def _aligned(data: pd.Series | Sequence[float], index: pd.DatetimeIndex, fill: float = 0.0) -> np.ndarray:
    """A second input on the first one's days: a Series is matched by day, a plain sequence must have one per day."""
    series = _as_series(data, None if isinstance(data, pd.Series) else list(index))
    return series.reindex(index, fill_value=fill).to_numpy(dtype="float64")


def _as_series(data: pd.Series | Sequence[float], days: Sequence[date] | None) -> pd.Series:
    if isinstance(data, pd.Series) and days is None:
        series = data
    else:
        if days is None:
            raise ValueError("give the days of the values, or a Series indexed by day")
        values = list(data)
        if len(values) != len(days):
            raise ValueError(f"{len(values)} values for {len(days)} days")
        series = pd.Series(values, index=list(days), dtype="float64")
    idx = pd.DatetimeIndex(pd.to_datetime(series.index)).normalize()
    if idx.has_duplicates:
        raise ValueError("each day must appear once")
    return pd.Series(series.to_numpy(dtype="float64"), index=idx).sort_index()
