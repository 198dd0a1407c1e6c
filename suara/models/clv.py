"""Customer-lifetime-value models fitted by maximum likelihood: BG/NBD, Pareto/NBD and Gamma-Gamma.

Inputs are the usual RFM summary, one row per customer: `frequency` = number of repeat purchases (an integer, the
first purchase excluded), `recency` = time from the first to the last purchase, `T` = time from the first purchase
to the end of observation. Time is in whatever unit the summary uses (weeks in CDNOW); rates and the scale
parameters `alpha`, `beta` are in that unit, and `t` in predictions is too. `monetary_value` is the mean spend of
the repeat purchases, in currency units.

References: Fader, Hardie & Lee (2005) "Counting your customers the easy way", Marketing Science 24(2) (BG/NBD);
Schmittlein, Morrison & Colombo (1987) and Fader & Hardie (2005) "A note on deriving the Pareto/NBD model"
(Pareto/NBD); Fader, Hardie & Lee (2005) "RFM and CLV", JMR 42(4) and Fader & Hardie (2013) "The Gamma-Gamma
model of monetary value" (Gamma-Gamma).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1
from threadpoolctl import threadpool_limits

from suara.errors import BadRequest, ModelNotConverged, ValidationFailed

Array = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

# Log-parameters are searched in [-15, 15]; a fit ending outside 1e-4 .. 1e4 (on the rescaled time and money axes,
# where sensible values are near 1) has run off towards a degenerate model rather than found a maximum.
_LOG_BOUND = 15.0
_LOG_SANE = float(np.log(1e4))
# Time is rescaled so the longest T is 10 units while fitting, as lifetimes does, to keep alpha and beta near 1.
_TIME_SCALE_TARGET = 10.0
# Days per unit of `freq` for summaries built from transactions.
FREQ_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
# Units of `freq` per month, for CLV horizons given in months (the factors lifetimes uses).
_PER_MONTH = {"D": 30.0, "W": 4.345, "M": 1.0}


class ConvergenceWarning(UserWarning):
    """A fit stopped without reaching a maximum of the likelihood; `converged_` is False."""


class TransactionModel(Protocol):
    """Anything that predicts repeat purchases: BetaGeo or ParetoNBD."""

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Array: ...


# -- input checks ---------------------------------------------------------------------------------------------------
def _bad_rows(name: str, mask: npt.NDArray[np.bool_], source: Any, what: str) -> None:
    """Raise ValidationFailed naming the first rows where `mask` holds: index labels of a pandas `source`,
    positions otherwise."""
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return
    labels: Sequence[Any] = source.index if isinstance(source, pd.Series | pd.DataFrame) else range(mask.size)
    shown = ", ".join(str(labels[i]) for i in rows[:5]) + (", ..." if rows.size > 5 else "")
    errors = [{"loc": [name, str(labels[i])], "pointer": f"/{name}/{labels[i]}", "message": what} for i in rows[:20]]
    raise ValidationFailed(f"{name}: {what} in {rows.size} row(s) (rows {shown})", errors=errors)


def _column(values: ArrayLike, name: str) -> Array:
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1) if np.ndim(values) <= 1 else None
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name} must be numeric (one number per customer)") from None
    if arr is None:
        raise ValidationFailed(f"{name} must be one-dimensional (one number per customer)")
    return arr


def check_rfm(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[Array, Array, Array]:
    """Validate an RFM summary and return it as float arrays (frequency, recency, T).

    Rules: same length; finite; frequency a whole number >= 0; 0 <= recency <= T; recency 0 when frequency is 0.
    Errors name the column and the rows (index labels for a pandas Series, positions otherwise)."""
    x, t_x, t = _column(frequency, "frequency"), _column(recency, "recency"), _column(T, "T")
    if not (x.size == t_x.size == t.size):
        raise ValidationFailed(
            f"frequency, recency and T must have the same length (got {x.size}, {t_x.size}, {t.size})"
        )
    labels = frequency
    for name, arr in (("frequency", x), ("recency", t_x), ("T", t)):
        _bad_rows(name, ~np.isfinite(arr), labels, "missing or not finite")
        _bad_rows(name, arr < 0, labels, "negative")
    _bad_rows("frequency", x != np.round(x), labels, "not a whole number of repeat purchases")
    # a little slack for summaries rounded to 2 decimals
    _bad_rows("recency", t_x > t * (1 + 1e-9) + 1e-9, labels, "recency is greater than T")
    _bad_rows("recency", (x == 0) & (t_x > 0), labels, "recency > 0 but frequency is 0 (no repeat purchase)")
    return x, t_x, t


def _check_fit_size(x: Array, n_params: int, model: str) -> None:
    if x.size <= n_params:
        raise ValidationFailed(
            f"{model} has {n_params} parameters and needs more customers than that; got {x.size}. "
            "Fit on the whole customer base, not a handful of customers."
        )
    if not np.any(x > 0):
        raise ValidationFailed(
            f"no customer made a repeat purchase (every frequency is 0), so {model} cannot be fitted; "
            "use a longer observation period"
        )


def _unpack_summary(
    frequency: ArrayLike | pd.DataFrame, recency: ArrayLike | None, T: ArrayLike | None
) -> tuple[ArrayLike, ArrayLike, ArrayLike]:
    """Accept either three columns or one summary DataFrame with frequency, recency and T."""
    if isinstance(frequency, pd.DataFrame) and recency is None and T is None:
        missing = [c for c in ("frequency", "recency", "T") if c not in frequency.columns]
        if missing:
            raise ValidationFailed(
                f"summary is missing column(s) {', '.join(missing)}; it has {', '.join(map(str, frequency.columns))}"
            )
        return frequency["frequency"], frequency["recency"], frequency["T"]
    if recency is None or T is None:
        raise ValidationFailed("pass frequency, recency and T, or one summary DataFrame with those columns")
    return frequency, recency, T  # type: ignore[return-value]


# -- optimisation ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Optimum:
    params: Array
    converged: bool
    message: str


def _maximise(objective: Any, start: Array, names: Sequence[str], gradient: bool, max_iter: int) -> _Optimum:
    """Minimise a mean negative log-likelihood over log-parameters with L-BFGS-B; report convergence honestly."""

    def safe(theta: Array) -> Any:
        with np.errstate(all="ignore"):
            out = objective(theta)
        value = out[0] if gradient else out
        if not np.isfinite(value):
            return (1e10, np.zeros_like(theta)) if gradient else 1e10
        return out

    # vector dot products: extra BLAS threads only fight other processes for the cores (10x slower when busy)
    with threadpool_limits(1, user_api="blas"):
        res = minimize(
            safe,
            np.log(start),
            jac=True if gradient else "3-point",
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(start),
            options={"maxiter": max_iter, "ftol": 1e-14, "gtol": 1e-9, "maxls": 50},
        )
    theta = np.asarray(res.x, dtype=np.float64)
    off = [f"{n} = {np.exp(v):.2g}" for n, v in zip(names, theta, strict=True) if abs(v) > _LOG_SANE]
    if off:
        return _Optimum(
            np.exp(theta),
            False,
            f"{', '.join(off)} ran off to an extreme value (on a time axis rescaled to max T = 10), so the data do "
            "not pin the model down: too few customers, too few repeat buyers, or no sign of anyone dropping out",
        )
    # L-BFGS-B stops on a relative-reduction test that can trip near a flat optimum; a small gradient is what counts
    grad_ok = res.success or (gradient and float(np.max(np.abs(safe(theta)[1]))) < 1e-5)
    if not grad_ok:
        return _Optimum(np.exp(theta), False, f"the optimiser stopped early ({res.message}); raise max_iter")
    return _Optimum(np.exp(theta), True, "")


def _hessian(f: Callable[[Array], float], theta: Array, h: float = 1e-4) -> Array:
    """Central-difference Hessian of a scalar function."""
    k = theta.size
    out = np.empty((k, k))
    f0 = f(theta)
    eye = np.eye(k) * h
    for i in range(k):
        out[i, i] = (f(theta + eye[i]) - 2 * f0 + f(theta - eye[i])) / h**2
        for j in range(i):
            out[i, j] = out[j, i] = (
                f(theta + eye[i] + eye[j])
                - f(theta + eye[i] - eye[j])
                - f(theta - eye[i] + eye[j])
                + f(theta - eye[i] - eye[j])
            ) / (4 * h**2)
    return out


class _Fitter:
    """Shared estimator plumbing: parameters, convergence bookkeeping, the summary table."""

    _names: tuple[str, ...] = ()
    label = ""

    def __init__(self, penalizer_coef: float = 0.0, max_iter: int = 1000) -> None:
        if penalizer_coef < 0:
            raise ValidationFailed(f"penalizer_coef must be >= 0, got {penalizer_coef}")
        self.penalizer_coef = penalizer_coef
        self.max_iter = max_iter
        self.params_: dict[str, float] = {}
        self.log_likelihood_: float = float("nan")
        self.converged_: bool = False
        self.n_: int = 0
        self._summary: pd.DataFrame | None = None

    def _total_nll(self, params: Array) -> float:
        """Negative log-likelihood of the fitted data at natural parameters, in the data's own units."""
        raise NotImplementedError

    def _finish(self, params: Array, opt: _Optimum, n: int) -> None:
        self.params_ = {k: float(v) for k, v in zip(self._names, params, strict=True)}
        self.n_ = n
        self._summary = None
        with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
            ll = -self._total_nll(params)
        if not np.isfinite(ll) or not np.all(np.isfinite(params)):
            self.converged_ = False
            raise ModelNotConverged(
                f"{self.label} fit gave a non-finite log-likelihood; {opt.message or 'check the data'}"
            )
        self.log_likelihood_ = float(ll)
        self.converged_ = opt.converged
        if not opt.converged:
            warnings.warn(f"{self.label} did not converge: {opt.message}", ConvergenceWarning, stacklevel=3)

    def _require_fit(self) -> dict[str, float]:
        if not self.params_:
            raise BadRequest(f"{type(self).__name__} is not fitted yet; call fit() first")
        return self.params_

    @property
    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors from the observed information and 95% intervals on the log scale."""
        params = np.array(list(self._require_fit().values()))
        if self._summary is None:
            with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
                h = _hessian(lambda th: self._total_nll(np.exp(th)), np.log(params))
                try:
                    se_log = np.sqrt(np.diag(np.linalg.inv(h)))
                except np.linalg.LinAlgError:
                    se_log = np.full(params.size, np.nan)
            self._summary = pd.DataFrame(
                {
                    "coef": params,
                    "se(coef)": params * se_log,
                    "lower 95% bound": params * np.exp(-1.96 * se_log),
                    "upper 95% bound": params * np.exp(1.96 * se_log),
                },
                index=pd.Index(self._names, name="param"),
            )
        return self._summary

    def __repr__(self) -> str:
        if not self.params_:
            return f"<{type(self).__name__}: not fitted>"
        ps = ", ".join(f"{k}: {v:.3f}" for k, v in self.params_.items())
        return f"<{type(self).__name__}: fitted with {self.n_} customers, {ps}>"


# -- BG/NBD ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _RFM:
    """Summary arranged for fast likelihoods: terms that depend on x alone are summed over its distinct values."""

    x: Array
    t_x: Array
    T: Array
    ux: Array  # distinct frequencies
    cx: Array  # customers per distinct frequency
    pos: npt.NDArray[np.intp]  # rows with x > 0
    inv_pos: npt.NDArray[np.intp]  # index into ux for those rows

    @classmethod
    def build(cls, x: Array, t_x: Array, T: Array) -> _RFM:
        ux, inv, cx = np.unique(x, return_inverse=True, return_counts=True)
        pos = np.flatnonzero(x > 0)
        return cls(x, t_x, T, ux, cx.astype(np.float64), pos, inv[pos])


def _bgnbd_nll(theta: Array, d: _RFM, penalizer: float) -> tuple[float, Array]:
    """Mean negative BG/NBD log-likelihood and its gradient, over log-parameters (log r, log alpha, log a, log b)."""
    r, alpha, a, b = np.exp(theta)
    n = d.x.size
    ux, cx = d.ux, d.cx
    # terms in x alone, weighted by how many customers share that x
    ll = cx @ (gammaln(r + ux) + gammaln(b + ux) - gammaln(a + b + ux)) + n * (
        -gammaln(r) + r * np.log(alpha) + gammaln(a + b) - gammaln(b)
    )
    log_aT = np.log(alpha + d.T)
    a3 = -(r + d.x) * log_aT
    pi3 = np.ones(n)
    xp = d.x[d.pos]
    log_atx = np.log(alpha + d.t_x[d.pos])
    lbx = np.log(b + np.maximum(ux, 1.0) - 1.0)  # only read for x > 0
    a4 = np.log(a) - lbx[d.inv_pos] - (r + xp) * log_atx
    a3p = a3[d.pos]
    pi4 = expit(a4 - a3p)
    pi3[d.pos] = 1.0 - pi4
    ll += a3.sum() - a3p.sum() + np.logaddexp(a3p, a4).sum()

    g_r = cx @ (digamma(r + ux) - digamma(r)) + n * np.log(alpha) - pi3 @ log_aT - pi4 @ log_atx
    g_alpha = n * r / alpha - pi3 @ ((r + d.x) / (alpha + d.T)) - pi4 @ ((r + xp) / (alpha + d.t_x[d.pos]))
    g_a = cx @ (digamma(a + b) - digamma(a + b + ux)) + pi4.sum() / a
    g_b = cx @ (digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux)) - pi4 @ (1.0 / (b + xp - 1.0))
    params = np.array([r, alpha, a, b])
    grad = -np.array([g_r, g_alpha, g_a, g_b]) * params / n + 2 * penalizer * params**2
    return float(-ll / n + penalizer * np.sum(params**2)), grad


class BetaGeo(_Fitter):
    """BG/NBD (Fader, Hardie & Lee 2005): purchases are Poisson at a gamma(r, alpha) rate while alive; after each
    purchase a customer drops out with a beta(a, b) probability.

    `params_` = {r, alpha, a, b}; alpha is in the time unit of recency and T. `penalizer_coef` adds
    penalizer_coef * sum(params**2) to the mean negative log-likelihood (on the rescaled time axis, as lifetimes)."""

    _names = ("r", "alpha", "a", "b")
    label = "BG/NBD"

    def fit(
        self, frequency: ArrayLike | pd.DataFrame, recency: ArrayLike | None = None, T: ArrayLike | None = None
    ) -> BetaGeo:
        """Fit on an RFM summary (three columns, or a DataFrame with frequency, recency, T); returns self."""
        x, t_x, t = check_rfm(*_unpack_summary(frequency, recency, T))
        _check_fit_size(x, 4, self.label)
        scale = _TIME_SCALE_TARGET / max(float(t.max()), 1e-12)
        data = _RFM.build(x, t_x * scale, t * scale)
        opt = _maximise(
            lambda th: _bgnbd_nll(th, data, self.penalizer_coef), np.ones(4), self._names, True, self.max_iter
        )
        self._data = _RFM.build(x, t_x, t)
        self._finish(opt.params * np.array([1.0, 1.0 / scale, 1.0, 1.0]), opt, x.size)
        return self

    def _total_nll(self, params: Array) -> float:
        value, _ = _bgnbd_nll(np.log(params), self._data, 0.0)
        return value * self._data.x.size

    def conditional_probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Array:
        """P(still a customer at T | x, t_x, T), in 0..1; 1 for customers without a repeat purchase."""
        r, alpha, a, b = self._require_fit().values()
        x, t_x, t = check_rfm(frequency, recency, T)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + t) - np.log(alpha + t_x))
        return np.where(x > 0, expit(-log_ratio), 1.0)

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Array:
        """Expected purchases in (T, T + t] for a customer with history (x, t_x, T); t in the summary's time unit."""
        r, alpha, a, b = self._require_fit().values()
        x, t_x, big_t = check_rfm(frequency, recency, T)
        h = _horizon(t)
        with np.errstate(divide="ignore", over="ignore"):
            z = h / (alpha + big_t + h)
            tail = np.exp((r + x) * np.log((alpha + big_t) / (alpha + big_t + h))) * hyp2f1(
                r + x, b + x, a + b + x - 1, z
            )
            out = (a + b + x - 1) / (a - 1) * (1 - tail) * self.conditional_probability_alive(x, t_x, big_t)
        return _finite(out, "expected purchases")

    predict = conditional_expected_number_of_purchases_up_to_time  # the short name lifetimes also offers


# -- Pareto/NBD -----------------------------------------------------------------------------------------------------
def _log_hyp2f1_a1(a: Array, b: Array | float, z: Array) -> Array:
    """log 2F1(a, b; a + 1; z) for 0 <= z < 1, via Euler's transform so the large prefactor stays in log space."""
    return (1.0 - b) * np.log1p(-z) + np.log(hyp2f1(1.0, a + 1.0 - b, a + 1.0, z))


def _log1mexp(d: Array) -> Array:
    """log(1 - exp(d)) for d <= 0, accurate at both ends."""
    d = np.minimum(d, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(d > -0.6931, np.log(-np.expm1(d)), np.log1p(-np.exp(d)))


def _pareto_log_a0(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """log A0 of Fader & Hardie's Pareto/NBD note, eqs. (19)-(20); -inf when t_x == T."""
    r, alpha, s, beta = params
    rsx = r + s + x
    hi, lo = max(alpha, beta), min(alpha, beta)
    second = r + x if alpha < beta else s + 1.0
    l1 = _log_hyp2f1_a1(rsx, second, (hi - lo) / (hi + t_x)) - rsx * np.log(hi + t_x)
    l2 = _log_hyp2f1_a1(rsx, second, (hi - lo) / (hi + T)) - rsx * np.log(hi + T)
    return l1 + _log1mexp(l2 - l1)


def _pareto_parts(params: Array, x: Array, t_x: Array, T: Array) -> tuple[Array, Array]:
    """Per customer: the log-likelihood, and the log odds of having dropped out (for P(alive))."""
    r, alpha, s, beta = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dead = np.log(s) - np.log(r + s + x) + _pareto_log_a0(params, x, t_x, T)
    return a1 + np.logaddexp(alive, dead), dead - alive


def _pareto_nll(theta: Array, d: _RFM, penalizer: float) -> float:
    params = np.exp(theta)
    ll, _ = _pareto_parts(params, d.x, d.t_x, d.T)
    return float(-ll.mean() + penalizer * np.sum(params**2))


class ParetoNBD(_Fitter):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases at a gamma(r, alpha) rate and an
    exponential lifetime with a gamma(s, beta) dropout rate. `params_` = {r, alpha, s, beta}; alpha and beta are in
    the time unit of recency and T. The likelihood uses the stable A0 form of Fader & Hardie's note."""

    _names = ("r", "alpha", "s", "beta")
    label = "Pareto/NBD"

    def fit(
        self, frequency: ArrayLike | pd.DataFrame, recency: ArrayLike | None = None, T: ArrayLike | None = None
    ) -> ParetoNBD:
        """Fit on an RFM summary (three columns, or a DataFrame with frequency, recency, T); returns self."""
        x, t_x, t = check_rfm(*_unpack_summary(frequency, recency, T))
        _check_fit_size(x, 4, self.label)
        scale = _TIME_SCALE_TARGET / max(float(t.max()), 1e-12)
        data = _RFM.build(x, t_x * scale, t * scale)
        opt = _maximise(
            lambda th: _pareto_nll(th, data, self.penalizer_coef), np.ones(4), self._names, False, self.max_iter
        )
        self._data = _RFM.build(x, t_x, t)
        self._finish(opt.params * np.array([1.0, 1.0 / scale, 1.0, 1.0 / scale]), opt, x.size)
        return self

    def _total_nll(self, params: Array) -> float:
        return _pareto_nll(np.log(params), self._data, 0.0) * self._data.x.size

    def conditional_probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Array:
        """P(still a customer at T | x, t_x, T), in 0..1."""
        params = np.array(list(self._require_fit().values()))
        x, t_x, t = check_rfm(frequency, recency, T)
        with np.errstate(divide="ignore"):
            _, log_odds_dead = _pareto_parts(params, x, t_x, t)
        return _finite(expit(-log_odds_dead), "P(alive)")

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Array:
        """Expected purchases in (T, T + t] for a customer with history (x, t_x, T); t in the summary's time unit."""
        r, alpha, s, beta = self._require_fit().values()
        x, t_x, big_t = check_rfm(frequency, recency, T)
        h = _horizon(t)
        # (1 - ((beta+T)/(beta+T+t))^(s-1)) / (s-1), with its limit log(1 + t/(beta+T)) at s == 1
        log_growth = np.log1p(h / (beta + big_t))
        decay = log_growth if s == 1 else -np.expm1(-(s - 1) * log_growth) / (s - 1)
        out = (r + x) * (beta + big_t) / (alpha + big_t) * decay * self.conditional_probability_alive(x, t_x, big_t)
        return _finite(out, "expected purchases")

    predict = conditional_expected_number_of_purchases_up_to_time  # the short name lifetimes also offers


# -- Gamma-Gamma ----------------------------------------------------------------------------------------------------
def _gg_ll(params: Array, x: Array, m: Array) -> Array:
    """Per-customer log-density of the mean spend m over x repeat purchases (Fader & Hardie 2013, eq. 6)."""
    p, q, g = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + x * m)
    )


class GammaGamma(_Fitter):
    """Gamma-Gamma spend model: each purchase is gamma(p, nu) and nu ~ gamma(q, gamma) across customers, independent of
    the purchase process. `params_` = {p, q, gamma}; gamma is in currency units. Fitted on customers with at least
    one repeat purchase; others carry no spend information and are left out (`n_` counts those used)."""

    _names = ("p", "q", "gamma")
    label = "Gamma-Gamma"

    def fit(self, frequency: ArrayLike | pd.DataFrame, monetary_value: ArrayLike | None = None) -> GammaGamma:
        """Fit on frequency and mean repeat spend (or a DataFrame with those columns); returns self."""
        if isinstance(frequency, pd.DataFrame) and monetary_value is None:
            missing = [c for c in ("frequency", "monetary_value") if c not in frequency.columns]
            if missing:
                raise ValidationFailed(f"summary is missing column(s) {', '.join(missing)}")
            frequency, monetary_value = frequency["frequency"], frequency["monetary_value"]
        if monetary_value is None:
            raise ValidationFailed("pass frequency and monetary_value, or one DataFrame with those columns")
        x, m = _check_spend(frequency, monetary_value)
        keep = x > 0
        if keep.sum() <= 3:
            raise ValidationFailed(
                f"Gamma-Gamma needs more than 3 customers with a repeat purchase (frequency > 0); got {keep.sum()}"
            )
        x, m = x[keep], m[keep]
        scale = 1.0 / float(m.mean())
        ms = m * scale

        def nll(theta: Array) -> float:
            params = np.exp(theta)
            return float(-_gg_ll(params, x, ms).mean() + self.penalizer_coef * np.sum(params**2))

        opt = _maximise(nll, np.ones(3), self._names, False, self.max_iter)
        self._x, self._m = x, m
        self._finish(opt.params * np.array([1.0, 1.0, 1.0 / scale]), opt, int(x.size))
        return self

    def _total_nll(self, params: Array) -> float:
        return float(-_gg_ll(params, self._x, self._m).sum())

    def conditional_expected_average_profit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> Array:
        """Expected mean spend per future purchase, in currency units; the population mean p*gamma/(q-1) when x = 0."""
        p, q, g = self._require_fit().values()
        if q <= 1:
            raise ModelNotConverged(f"q = {q:.3f} <= 1: the fitted spend distribution has no finite mean")
        x, m = _check_spend(frequency, monetary_value)
        return p * (g + x * m) / (p * x + q - 1)

    def customer_lifetime_value(
        self,
        transaction_model: TransactionModel,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary_value: ArrayLike,
        time: int = 12,
        discount_rate: float = 0.01,
        freq: str = "W",
    ) -> Array:
        """Discounted value of each customer's purchases over the next `time` months, in currency units.

        `freq` is the time unit of recency and T ("D", "W" or "M"); `discount_rate` is monthly (0.01 = 1%/month).
        Month k's expected purchases are discounted by (1 + discount_rate)**k, as in lifetimes."""
        if freq not in _PER_MONTH:
            raise ValidationFailed(f"freq must be one of {', '.join(_PER_MONTH)}, got {freq!r}")
        if time < 1 or discount_rate < 0:
            raise ValidationFailed("time must be >= 1 month and discount_rate >= 0")
        spend = self.conditional_expected_average_profit(frequency, monetary_value)
        factor = _PER_MONTH[freq]
        clv = np.zeros_like(spend)
        previous = np.zeros_like(spend)
        for month in range(1, time + 1):
            cumulative = transaction_model.conditional_expected_number_of_purchases_up_to_time(
                month * factor, frequency, recency, T
            )
            clv += spend * (cumulative - previous) / (1 + discount_rate) ** month
            previous = cumulative
        return clv


def _check_spend(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[Array, Array]:
    x, m = _column(frequency, "frequency"), _column(monetary_value, "monetary_value")
    if x.size != m.size:
        raise ValidationFailed(f"frequency and monetary_value must have the same length (got {x.size}, {m.size})")
    labels = frequency
    _bad_rows("frequency", ~np.isfinite(x) | (x < 0) | (x != np.round(x)), labels, "not a whole number >= 0")
    _bad_rows("monetary_value", ~np.isfinite(m), labels, "missing or not finite")
    _bad_rows(
        "monetary_value",
        (x > 0) & (m <= 0),
        labels,
        "not positive for a customer with repeat purchases (drop refunds or zero-value orders first)",
    )
    return x, m


def _horizon(t: ArrayLike) -> Array:
    h = np.asarray(t, dtype=np.float64)
    if np.any(~np.isfinite(h)) or np.any(h < 0):
        raise ValidationFailed(f"t must be a finite time >= 0 (in the summary's unit), got {t!r}")
    return h


def _finite(values: Array, what: str) -> Array:
    if not np.all(np.isfinite(values)):
        raise ModelNotConverged(
            f"{what} overflowed for {int(np.sum(~np.isfinite(values)))} customer(s); the fitted parameters are extreme"
        )
    return values


def simulate_bgnbd(params: dict[str, float], T: ArrayLike, seed: int = 0) -> pd.DataFrame:
    """Draw an RFM summary from a BG/NBD population: one customer per entry of T (observation lengths).

    Each customer buys at a gamma(r, alpha) Poisson rate and, after each repeat purchase, drops out with a
    beta(a, b) probability. Uses the order-statistics shortcut: given N purchases in (0, T], the x-th is at T times
    a Beta(x, N - x + 1) draw."""
    rng = np.random.default_rng(seed)
    t = _column(T, "T")
    n = t.size
    rate = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    churn = rng.beta(params["a"], params["b"], n)
    purchases = rng.poisson(rate * t)
    # the repeat purchase after which the customer drops out (1, 2, ...)
    last = rng.geometric(churn)
    x = np.minimum(purchases, last)
    recency = np.zeros(n)
    buyers = x > 0
    recency[buyers] = t[buyers] * rng.beta(x[buyers], purchases[buyers] - x[buyers] + 1)
    return pd.DataFrame({"frequency": x, "recency": recency, "T": t})


# -- summaries from transactions ------------------------------------------------------------------------------------
def _days(freq: str) -> float:
    if freq not in FREQ_DAYS:
        raise ValidationFailed(f"freq must be one of {', '.join(FREQ_DAYS)} (days, weeks, months), got {freq!r}")
    return FREQ_DAYS[freq]


def _dates(values: pd.Series) -> pd.Series:
    """Timestamps from datetimes or text; ISO 8601 first (fast), then any format pandas can read."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    when = pd.to_datetime(values, errors="coerce", format="ISO8601")
    retry = when.isna() & values.notna()
    if retry.any():
        when = when.where(~retry, pd.to_datetime(values[retry], errors="coerce", format="mixed"))
    return when


def _purchase_days(df: pd.DataFrame, customer_col: str, datetime_col: str, monetary_col: str | None) -> pd.DataFrame:
    """One row per customer and calendar day with the day's summed spend: same-day purchases count as one."""
    missing = [c for c in (customer_col, datetime_col, monetary_col) if c is not None and c not in df.columns]
    if missing:
        raise ValidationFailed(
            f"transactions have no column(s) {', '.join(missing)}; they have {', '.join(map(str, df.columns))}"
        )
    when = _dates(df[datetime_col])
    bad = when.isna().to_numpy()
    _bad_rows(datetime_col, bad, df, "not a date")
    out = pd.DataFrame({"customer": df[customer_col].to_numpy(), "day": when.dt.tz_localize(None).dt.normalize()})
    if monetary_col is not None:
        value = pd.to_numeric(df[monetary_col], errors="coerce")
        _bad_rows(monetary_col, value.isna().to_numpy(), df, "not a number")
        out["value"] = value.to_numpy()
    else:
        out["value"] = 0.0
    return out.groupby(["customer", "day"], as_index=False, sort=True)["value"].sum()


def _summarise(days: pd.DataFrame, end: pd.Timestamp, unit: float, with_value: bool) -> pd.DataFrame:
    days = days[days["day"] <= end]
    g = days.groupby("customer", sort=True)
    first, last = g["day"].min(), g["day"].max()
    out = pd.DataFrame(
        {
            "frequency": g.size() - 1,
            "recency": (last - first).dt.days / unit,
            "T": (end - first).dt.days / unit,
        }
    )
    if with_value:
        repeat = days[days["day"] != days["customer"].map(first)]
        out["monetary_value"] = repeat.groupby("customer")["value"].mean().reindex(out.index).fillna(0.0)
    return out


def _end(days: pd.DataFrame, observation_end: Any) -> pd.Timestamp:
    if observation_end is None:
        return pd.Timestamp(days["day"].max())
    return pd.Timestamp(observation_end).tz_localize(None).normalize()


def summary_from_transactions(
    df: pd.DataFrame,
    customer_col: str,
    datetime_col: str,
    monetary_col: str | None = None,
    freq: str = "W",
    observation_end: Any = None,
) -> pd.DataFrame:
    """RFM summary (frequency, recency, T and, with monetary_col, monetary_value) indexed by customer.

    Purchases on the same calendar day count as one transaction (their values summed); recency and T are measured
    in days and expressed in `freq` units (D = 1 day, W = 7 days, M = 365.25/12 days), so freq="W" reproduces the
    CDNOW summary. monetary_value is the mean value of the repeat days (0 without repeats). Transactions after
    `observation_end` (default: the last transaction's day) are ignored."""
    unit = _days(freq)
    days = _purchase_days(df, customer_col, datetime_col, monetary_col)
    out = _summarise(days, _end(days, observation_end), unit, monetary_col is not None)
    out.index.name = customer_col
    return out


def calibration_and_holdout(
    df: pd.DataFrame,
    customer_col: str,
    datetime_col: str,
    calibration_end: Any,
    observation_end: Any = None,
    monetary_col: str | None = None,
    freq: str = "W",
) -> pd.DataFrame:
    """Split transactions at `calibration_end` into a calibration summary and holdout counts.

    Columns: frequency_cal, recency_cal, T_cal (and monetary_value_cal), frequency_holdout (purchase days in
    (calibration_end, observation_end]) and duration_holdout (length of that window in `freq` units). Only customers
    whose first purchase is on or before calibration_end appear."""
    unit = _days(freq)
    days = _purchase_days(df, customer_col, datetime_col, monetary_col)
    cal_end, obs_end = _end(days, calibration_end), _end(days, observation_end)
    if obs_end <= cal_end:
        raise ValidationFailed(f"observation_end ({obs_end.date()}) must be after calibration_end ({cal_end.date()})")
    out = _summarise(days, cal_end, unit, monetary_col is not None).add_suffix("_cal")
    hold = days[(days["day"] > cal_end) & (days["day"] <= obs_end)]
    out["frequency_holdout"] = hold.groupby("customer").size().reindex(out.index).fillna(0).astype(np.int64)
    out["duration_holdout"] = (obs_end - cal_end).days / unit
    out.index.name = customer_col
    return out


@dataclass(frozen=True)
class HoldoutComparison:
    """Predicted against actual holdout purchases: `by_frequency` has one row per calibration frequency (the last
    row pools that frequency and above) with customers, actual and predicted mean purchases per customer."""

    by_frequency: pd.DataFrame
    actual: float
    predicted: float

    @property
    def relative_error(self) -> float:
        """(predicted - actual) / actual for the total number of holdout purchases."""
        return (self.predicted - self.actual) / self.actual if self.actual else float("inf")


def compare_holdout(model: TransactionModel, data: pd.DataFrame, max_frequency: int = 7) -> HoldoutComparison:
    """Check a model fitted on the calibration columns of `calibration_and_holdout` output against the holdout."""
    need = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise ValidationFailed(
            f"holdout data is missing column(s) {', '.join(missing)}; build it with calibration_and_holdout"
        )
    predicted = model.conditional_expected_number_of_purchases_up_to_time(
        data["duration_holdout"], data["frequency_cal"], data["recency_cal"], data["T_cal"]
    )
    frame = pd.DataFrame(
        {
            "frequency_cal": np.minimum(data["frequency_cal"].to_numpy(), max_frequency).astype(np.int64),
            "actual": data["frequency_holdout"].to_numpy(dtype=np.float64),
            "predicted": predicted,
        }
    )
    table = frame.groupby("frequency_cal").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    return HoldoutComparison(table, float(frame["actual"].sum()), float(frame["predicted"].sum()))
