"""Per-customer lifetime value from a workspace's orders: the RFM summary up to a cut-off, BG/NBD for purchases
(+ Gamma-Gamma for spend when there are repeat buyers), and a calibration/holdout check of the forecast.

Orders are the paid ones (not cancelled, refunded or failed) in one currency; purchases on one calendar day count
as one, as in `summary_from_transactions`. Times are in `freq` units (weeks by default), money in the currency.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import minimize
from scipy.special import gammaln

from suara.errors import ModelNotConverged, ValidationFailed
from suara.models.clv import (
    _PER_MONTH,
    BetaGeo,
    ConvergenceWarning,
    GammaGamma,
    calibration_and_holdout,
    compare_holdout,
    summary_from_transactions,
)
from suara.store.warehouse import Warehouse

Freq = Literal["D", "W", "M"]
# Gamma-Gamma has three parameters: it needs more repeat buyers than that to be identified.
MIN_REPEAT_BUYERS = 4


class CustomerValueSpec(BaseModel):
    """Which orders (before `cutoff`, in `currency`), the time unit, and the CLV horizon and discounting."""

    model_config = ConfigDict(extra="forbid")

    cutoff: datetime | None = Field(None, description="Use orders before this instant (default: all).")
    currency: str | None = Field(None, description="Orders in this currency (default: the most common one).")
    freq: Freq = Field("W", description="Time unit of recency, T and the forecast: D, W or M.")
    horizon_months: int = Field(12, ge=1, le=120, description="CLV horizon in months.")
    discount_rate: float = Field(0.01, ge=0, le=1, description="Monthly discount rate (0.01 = 1% a month).")
    penalizer: float = Field(0.0, ge=0, description="L2 penalty on the model parameters (0 = none).")


class CustomerValue(BaseModel):
    customer_id: str
    frequency: int = Field(description="Repeat purchase days before the cut-off.")
    recency: float = Field(description="First to last purchase, in freq units.")
    T: float = Field(description="First purchase to the cut-off, in freq units.")
    monetary_value: float = Field(description="Mean value of the repeat purchase days (0 without).")
    p_alive: float = Field(description="Probability the customer is still active, 0..1.")
    expected_purchases: float = Field(description="Expected purchase days over the horizon.")
    p_no_purchase: float = Field(description="Probability of no purchase over the horizon, 0..1: the churn risk.")
    clv: float = Field(description="Discounted value of the expected purchases over the horizon, in currency.")


class CustomerValueResult(BaseModel):
    cutoff: datetime = Field(description="The last day used is the one before this instant.")
    currency: str
    freq: str
    horizon_months: int
    discount_rate: float
    customers: list[CustomerValue] = Field(description="Highest CLV first.")
    repeat_buyers: int
    params: dict[str, float] = Field(description="BG/NBD parameters (alpha in freq units).")
    spend_params: dict[str, float] | None = Field(description="Gamma-Gamma parameters; None when not fitted.")
    spend_model: str = Field(description="gamma-gamma, or mean: the mean repeat purchase value for everyone.")
    model: str = Field(description="bgnbd, or nbd when the data show no sign of customers dropping out.")


class HoldoutRow(BaseModel):
    frequency: int = Field(description="Repeat purchases in calibration (the last row: this many or more).")
    customers: int
    actual: float = Field(description="Mean purchase days per customer in the holdout.")
    predicted: float


class HoldoutResult(BaseModel):
    model: str = Field(description="bgnbd, or nbd when the data show no sign of customers dropping out.")
    calibration_end: datetime
    observation_end: datetime
    customers: int
    actual: float = Field(description="Purchase days in the holdout, all customers.")
    predicted: float
    relative_error: float = Field(description="(predicted - actual) / actual.")
    mean_absolute_error: float = Field(description="Mean |predicted - actual| per customer.")
    by_frequency: list[HoldoutRow]


# -- orders ---------------------------------------------------------------------------------------------------------
def paid_orders(
    wh: Warehouse, workspace_id: str, currency: str | None, before: datetime | None = None
) -> tuple[pd.DataFrame, str]:
    """(customer_id, ordered_at, amount) of paid orders in `currency` (default: the most common), and the currency."""
    o = wh.table("orders", workspace_id)
    o = o.filter(~o.status.isin(["cancelled", "refunded", "failed"]) & o.customer_id.notnull())
    if before is not None:
        o = o.filter(o.ordered_at < before.replace(tzinfo=None))
    if currency is None:
        top = o.group_by("currency").aggregate(n=o.count()).order_by([ibis.desc("n"), "currency"]).limit(1).execute()
        if top.empty:
            raise ValidationFailed("this workspace has no paid orders yet; import orders first")
        currency = str(top["currency"].iloc[0])
    o = o.filter(o.currency == currency.upper())
    df = o.select("customer_id", "ordered_at", "amount").execute()
    if df.empty:
        raise ValidationFailed(f"no paid orders in {currency.upper()}")
    return df, currency.upper()


def _last_day(df: pd.DataFrame, cutoff: datetime | None) -> tuple[pd.Timestamp, datetime]:
    """The last day observed (orders before `cutoff`, or the last order's day) and the exclusive cut-off."""
    if cutoff is None:
        day = pd.Timestamp(df["ordered_at"].max()).normalize()
        return day, (day + pd.Timedelta(days=1)).to_pydatetime()
    cut = cutoff.replace(tzinfo=None)
    try:
        return pd.Timestamp(cut - timedelta(microseconds=1)).normalize(), cut
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise ValidationFailed(f"{cutoff:%Y-%m-%d} is out of range: use a date between 1678 and 2261") from None


def rfm_summary(wh: Warehouse, workspace_id: str, spec: CustomerValueSpec) -> tuple[pd.DataFrame, str, datetime]:
    """The RFM summary (frequency, recency, T, monetary_value) by customer_id, its currency and exclusive cut-off."""
    df, currency = paid_orders(wh, workspace_id, spec.currency, spec.cutoff)
    last, cut = _last_day(df, spec.cutoff)
    summary = summary_from_transactions(df, "customer_id", "ordered_at", "amount", spec.freq, observation_end=last)
    return summary, currency, cut


def _fit(fit: Any) -> Any:
    """Run a fit; a convergence warning becomes ModelNotConverged, so no caller shows unreliable numbers."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = fit()
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            raise ModelNotConverged(str(w.message))
    return result


def _check(summary: pd.DataFrame) -> None:
    if len(summary) < 5:
        raise ValidationFailed(
            f"CLV needs the orders of more customers: {len(summary)} bought before the cut-off, at least 5 are needed"
        )
    if not (summary["frequency"] > 0).any():
        raise ValidationFailed(
            "no customer bought again after their first purchase day, so repeat buying cannot be modelled; "
            "use a later cut-off or import more order history"
        )


class NBD:
    """The NBD model (Ehrenberg): purchases are Poisson at a gamma(r, alpha) rate and nobody drops out, so
    P(alive) = 1 and a customer expects (r + x) / (alpha + T) purchases per time unit. BG/NBD's limit as a -> 0."""

    def __init__(self) -> None:
        self.params_: dict[str, float] = {}

    def fit(self, frequency: pd.Series, T: pd.Series) -> NBD:
        x, big_t = frequency.to_numpy(dtype=float), T.to_numpy(dtype=float)
        # A customer first seen at the cut-off (T = 0) carries no information about the rate.
        x, big_t = x[big_t > 0], big_t[big_t > 0]

        def nll(theta: np.ndarray) -> float:
            r, alpha = np.exp(theta)
            ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha / (alpha + big_t)) + x * np.log(big_t / (alpha + big_t))
            return float(-np.sum(ll))

        opt = minimize(nll, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10})
        if not opt.success:
            raise ModelNotConverged(f"the NBD purchase model did not converge: {opt.message}")
        r, alpha = np.exp(opt.x)
        self.params_ = {"r": float(r), "alpha": float(alpha)}
        return self

    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        return np.ones(len(frequency))

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: Any, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        r, alpha = self.params_["r"], self.params_["alpha"]
        return np.asarray((r + np.asarray(frequency, dtype=float)) / (alpha + np.asarray(T, dtype=float)) * t)


def purchase_model(f: pd.Series, r: pd.Series, t: pd.Series, penalizer: float = 0.0) -> BetaGeo | NBD:
    """BG/NBD, or NBD when BG/NBD's dropout probability runs off to 0 (its NBD limit: nobody seems to drop out)."""
    try:
        return _fit(lambda: BetaGeo(penalizer_coef=penalizer).fit(f, r, t))  # type: ignore[no-any-return]
    except ModelNotConverged as exc:
        if "a = " not in str(exc):
            raise
        return NBD().fit(f, t)


def customer_values(wh: Warehouse, workspace_id: str, spec: CustomerValueSpec) -> CustomerValueResult:
    """Fit BG/NBD (and Gamma-Gamma) on the orders before the cut-off; every customer's P(alive), purchases, CLV."""
    summary, currency, cut = rfm_summary(wh, workspace_id, spec)
    _check(summary)
    f, r, t, m = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
    bg = purchase_model(f, r, t, spec.penalizer)
    horizon = spec.horizon_months * _PER_MONTH[spec.freq]
    # The BG/NBD formulas take a log that is unused (and NaN) for customers without a repeat purchase.
    with np.errstate(invalid="ignore"):
        p_alive = bg.conditional_probability_alive(f, r, t)
        expected = bg.conditional_expected_number_of_purchases_up_to_time(horizon, f, r, t)
    pr, palpha = bg.params_["r"], bg.params_["alpha"]
    # No purchase in (T, T + h]: gone, or alive with a gamma(r + x, alpha + T) rate that gives none.
    silent = np.exp((pr + f.to_numpy()) * np.log((palpha + t.to_numpy()) / (palpha + t.to_numpy() + horizon)))
    p_none = (1 - p_alive) + p_alive * silent
    repeat = int((f > 0).sum())
    gg = None
    if repeat >= MIN_REPEAT_BUYERS and m[f > 0].nunique() > 1:
        gg = _fit(lambda: GammaGamma(penalizer_coef=spec.penalizer).fit(f[f > 0], m[f > 0]))
    terms = {"time": spec.horizon_months, "discount_rate": spec.discount_rate, "freq": spec.freq}
    with np.errstate(invalid="ignore"):
        if gg is not None:
            clv = gg.customer_lifetime_value(bg, f, r, t, m, **terms)
        else:
            clv = _flat_clv(bg, summary, float(m[f > 0].mean()), spec)
    rows = [
        CustomerValue(
            customer_id=str(cid),
            frequency=int(f.iloc[i]),
            recency=float(r.iloc[i]),
            T=float(t.iloc[i]),
            monetary_value=float(m.iloc[i]),
            p_alive=float(p_alive[i]),
            expected_purchases=float(expected[i]),
            p_no_purchase=float(p_none[i]),
            clv=float(clv[i]),
        )
        for i, cid in enumerate(summary.index)
    ]
    rows.sort(key=lambda c: (-c.clv, c.customer_id))
    return CustomerValueResult(
        cutoff=cut,
        currency=currency,
        freq=spec.freq,
        horizon_months=spec.horizon_months,
        discount_rate=spec.discount_rate,
        customers=rows,
        repeat_buyers=repeat,
        params=bg.params_,
        spend_params=None if gg is None else gg.params_,
        spend_model="mean" if gg is None else "gamma-gamma",
        model="nbd" if isinstance(bg, NBD) else "bgnbd",
    )


def _flat_clv(bg: BetaGeo | NBD, summary: pd.DataFrame, spend: float, spec: CustomerValueSpec) -> np.ndarray:
    """Discounted month by month as Gamma-Gamma's CLV is, with one mean spend per purchase for everyone."""
    f, r, t = summary["frequency"], summary["recency"], summary["T"]
    clv, previous = np.zeros(len(summary)), np.zeros(len(summary))
    for month in range(1, spec.horizon_months + 1):
        cumulative = bg.conditional_expected_number_of_purchases_up_to_time(month * _PER_MONTH[spec.freq], f, r, t)
        clv += spend * (cumulative - previous) / (1 + spec.discount_rate) ** month
        previous = cumulative
    return clv


def holdout_check(
    wh: Warehouse,
    workspace_id: str,
    calibration_end: datetime,
    observation_end: datetime | None = None,
    currency: str | None = None,
    freq: Freq = "W",
    max_frequency: int = 7,
) -> HoldoutResult:
    """Fit BG/NBD on orders before `calibration_end`; compare its forecast with the purchases from then until
    `observation_end` (default: the last order), by calibration frequency and overall."""
    df, currency = paid_orders(wh, workspace_id, currency, observation_end)
    cal_last, cal_cut = _last_day(df, calibration_end)
    obs_last, obs_cut = _last_day(df, observation_end)
    if obs_last <= cal_last:
        raise ValidationFailed("the holdout is empty: orders must go on after the calibration end")
    data = calibration_and_holdout(df, "customer_id", "ordered_at", cal_last, obs_last, freq=freq)
    _check(data.rename(columns={"frequency_cal": "frequency"}))
    bg = purchase_model(data["frequency_cal"], data["recency_cal"], data["T_cal"])
    with np.errstate(invalid="ignore"):
        check = compare_holdout(bg, data, max_frequency)
        predicted = bg.conditional_expected_number_of_purchases_up_to_time(
            data["duration_holdout"], data["frequency_cal"], data["recency_cal"], data["T_cal"]
        )
    mae = float(np.mean(np.abs(predicted - data["frequency_holdout"].to_numpy(dtype=float))))
    table = check.by_frequency
    return HoldoutResult(
        model="nbd" if isinstance(bg, NBD) else "bgnbd",
        calibration_end=cal_cut,
        observation_end=obs_cut,
        customers=len(data),
        actual=check.actual,
        predicted=check.predicted,
        relative_error=check.relative_error,
        mean_absolute_error=mae,
        by_frequency=[
            HoldoutRow(
                frequency=int(k),
                customers=int(row["customers"]),
                actual=float(row["actual"]),
                predicted=float(row["predicted"]),
            )
            for k, row in table.iterrows()
        ],
    )
