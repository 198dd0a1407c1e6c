"""Churn risk of a workspace's customers: train `ChurnModel` on past cut-offs, check it forward in time, score today.

A customer active in the `active_days` before a cut-off is labelled churned when they show no activity (no event,
order or survey response, as the `churned` measure counts it) in the `horizon_days` after it. Training uses cut-offs
whose label windows are fully observed; the backtest trains on cut-offs whose label windows end before its test
cut-off, so it measures what scoring does: predict a later period from earlier ones. Deterministic: no sampling,
rows sorted by cut-off and customer.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sklearn.metrics import brier_score_loss, roc_auc_score

from suara.errors import ValidationFailed
from suara.models.churn import ChurnModel
from suara.models.churn_features import churn_features, churn_labels, data_end, main_currency, naive_utc
from suara.store.warehouse import Warehouse

# Fewer customers than this give a model that mostly reflects noise.
MIN_CUSTOMERS = 30
# Cut-offs reach back years from `as_of`; instants outside this range are typing mistakes.
EARLIEST, LATEST = datetime(1980, 1, 1), datetime(2200, 1, 1)
# Calibration fits a sigmoid out of fold: each class needs a few customers per fold.
MIN_PER_CLASS = 5


class ChurnRiskSpec(BaseModel):
    """The churn definition (horizon, who counts as active), the training cut-offs and the extra traits."""

    model_config = ConfigDict(extra="forbid")

    horizon_days: int = Field(90, ge=7, le=730, description="Churned: no activity in this many days after a cut-off.")
    active_days: int | None = Field(
        None, ge=1, le=730, description="Scored: customers active in this many days before (default: the horizon)."
    )
    recent_days: int = Field(90, ge=1, le=730, description="Window of the recent orders and visit days features.")
    cutoffs: int = Field(3, ge=1, le=24, description="Training cut-offs, the latest with a fully observed horizon.")
    step_days: int = Field(30, ge=1, le=365, description="Days between training cut-offs.")
    as_of: datetime | None = Field(None, description="Score at this instant (default: midnight after the last day).")
    traits: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20, description="Customer traits to use as features."
    )
    currency: str | None = Field(None, description="Currency of the spend feature (default: the most common).")

    @field_validator("as_of")
    @classmethod
    def _plausible(cls, v: datetime | None) -> datetime | None:
        if v is not None and not EARLIEST <= naive_utc(v) <= LATEST:
            raise ValueError(f"as_of must be between {EARLIEST:%Y} and {LATEST:%Y}")
        return v

    @property
    def window(self) -> int:
        return self.active_days or self.horizon_days


class Factor(BaseModel):
    factor: str = Field(description="Feature name (a churn feature or a trait).")
    value: float | str | None = Field(description="The customer's value; null when missing.")
    contribution: float = Field(description="Log-odds added against an average customer; positive raises risk.")
    phrase: str = Field(description='Short text for people, like "no order in 74 days".')


class CustomerRisk(BaseModel):
    customer_id: str
    risk: float = Field(description="Calibrated probability of no activity over the horizon, 0..1.")
    factors: list[Factor] = Field(description="Up to the top 3 reasons, biggest first.")


class ChurnScores(BaseModel):
    as_of: datetime = Field(description="Features use facts before this instant.")
    horizon_days: int
    currency: str | None = Field(description="Currency of spend_total.")
    training_cutoffs: list[datetime]
    training_rows: int = Field(description="Labelled customer-cut-offs the model was fitted on.")
    base_rate: float = Field(description="Share churned in training, 0..1.")
    customers: list[CustomerRisk] = Field(description="Highest risk first.")


class CalibrationRow(BaseModel):
    decile: int = Field(description="1 = lowest predicted risk.")
    customers: int
    predicted: float = Field(description="Mean predicted risk, 0..1.")
    actual: float = Field(description="Share who churned, 0..1.")


class ChurnBacktest(BaseModel):
    horizon_days: int
    training_cutoffs: list[datetime]
    test_cutoff: datetime = Field(description="Scored at this instant; labels from the horizon after it.")
    training_rows: int
    test_customers: int
    base_rate: float = Field(description="Share churned in training, 0..1.")
    test_rate: float = Field(description="Share churned at the test cut-off, 0..1.")
    roc_auc: float = Field(description="0.5 = chance, 1 = perfect ranking.")
    brier: float = Field(description="Mean squared error of the predicted risks; lower is better.")
    base_rate_brier: float = Field(description="Brier score of predicting the training base rate for everyone.")
    calibration: list[CalibrationRow]
    factor_weights: dict[str, float] = Field(
        description="Mean log-odds each factor adds to the test customers' risk (where it raises it), largest first."
    )


def _features(wh: Warehouse, ws: str, spec: ChurnRiskSpec, cut: datetime, currency: str | None) -> pd.DataFrame:
    return churn_features(
        wh,
        ws,
        cut,
        active_days=spec.window,
        recent_days=spec.recent_days,
        traits=spec.traits,
        currency=currency,
    )


def training_set(
    wh: Warehouse, ws: str, spec: ChurnRiskSpec, last_cutoff: datetime, currency: str | None
) -> tuple[pd.DataFrame, pd.Series, list[datetime]]:
    """Features and labels at `last_cutoff` and the `cutoffs - 1` earlier ones, oldest first; cut-offs with
    nobody active are skipped."""
    frames, labels, used = [], [], []
    for j in reversed(range(spec.cutoffs)):
        cut = last_cutoff - timedelta(days=j * spec.step_days)
        X = _features(wh, ws, spec, cut, currency)
        if X.empty:
            continue
        frames.append(X)
        labels.append(churn_labels(wh, ws, X.index, cut, spec.horizon_days))
        used.append(cut)
    if not frames:
        raise ValidationFailed(
            f"nobody was active in the {spec.window} days before any training cut-off "
            f"(the latest {last_cutoff:%Y-%m-%d}); churn needs history longer than the horizon "
            f"({spec.horizon_days} days): import more, or use a shorter --horizon-days"
        )
    # index: customer_id, repeated once per cut-off the customer was active at
    return pd.concat(frames), pd.concat(labels), used


def _fit(X: pd.DataFrame, y: pd.Series, used: list[datetime], horizon: int) -> ChurnModel:
    if X.index.nunique() < MIN_CUSTOMERS:
        raise ValidationFailed(
            f"churn risk needs at least {MIN_CUSTOMERS} customers active at the training cut-offs; "
            f"got {X.index.nunique()}: import more history or customers"
        )
    counts = np.bincount(y.to_numpy(), minlength=2)
    when = ", ".join(f"{c:%Y-%m-%d}" for c in used)
    if counts.min() == 0:
        what = "came back" if counts[1] == 0 else "went quiet"
        raise ValidationFailed(
            f"every customer active at the training cut-offs ({when}) {what} within {horizon} days, so there is "
            "nothing to tell apart; use another --horizon-days or more history"
        )
    if counts.min() < MIN_PER_CLASS:
        raise ValidationFailed(
            f"too few examples of one outcome at the training cut-offs ({when}): {int(counts[0])} stayed, "
            f"{int(counts[1])} churned; each needs at least {MIN_PER_CLASS}"
        )
    return ChurnModel().fit(X, y)


def _num(value: Any) -> float | str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)


def _plural(n: float, one: str, many: str) -> str:
    k = int(round(n))
    return f"{k} {one if k == 1 else many}"


def describe(factor: str, value: Any, currency: str | None = None, recent_days: int = 90) -> str:
    """A short phrase for one factor and value: "no order in 74 days", "NPS 3", "2 unresolved tickets"."""
    v = _num(value)
    if v is None:
        missing = {
            "days_since_order": "no order yet",
            "nps_last": "never answered NPS",
            "nps_mean": "never answered NPS",
            "csat_last": "never answered CSAT",
            "csat_mean": "never answered CSAT",
            "negative_share": "no feedback",
            "resolution_hours_mean": "no resolved ticket",
        }
        return missing.get(factor, f"{factor} unknown")
    if isinstance(v, str):
        return f"{factor}: {v}"
    phrases = {
        "recency_days": lambda x: f"no activity in {round(x)} days",
        "days_since_order": lambda x: f"no order in {round(x)} days",
        "tenure_days": lambda x: f"customer for {round(x)} days",
        "orders_total": lambda x: "no order yet" if x == 0 else _plural(x, "order", "orders"),
        "orders_recent": lambda x: (
            f"no order in {recent_days} days" if x == 0 else f"{_plural(x, 'order', 'orders')} in {recent_days} days"
        ),
        "visit_days_recent": lambda x: (
            f"no visit in {recent_days} days" if x == 0 else f"visited on {_plural(x, 'day', 'days')} in {recent_days}"
        ),
        "spend_total": lambda x: f"spent {x:,.0f} {currency or ''}".rstrip(),
        "nps_last": lambda x: f"NPS {round(x)}",
        "nps_mean": lambda x: f"mean NPS {x:.1f}",
        "nps_asked": lambda x: "answered NPS" if x else "never answered NPS",
        "csat_last": lambda x: f"CSAT {round(x)}",
        "csat_mean": lambda x: f"mean CSAT {x:.1f}",
        "csat_asked": lambda x: "answered CSAT" if x else "never answered CSAT",
        "negative_share": lambda x: f"{x * 100:.0f}% negative feedback",
        "tickets": lambda x: "no ticket" if x == 0 else _plural(x, "ticket", "tickets"),
        "tickets_unresolved": lambda x: (
            "no unresolved ticket" if x == 0 else _plural(x, "unresolved ticket", "unresolved tickets")
        ),
        "tickets_reopened": lambda x: (
            "no reopened ticket" if x == 0 else _plural(x, "reopened ticket", "reopened tickets")
        ),
        "resolution_hours_mean": lambda x: f"tickets took {x:.0f} h to resolve",
    }
    phrase = phrases.get(factor)
    return phrase(v) if phrase else f"{factor} {v:g}"


def _factors(model: ChurnModel, X: pd.DataFrame, currency: str | None, recent_days: int) -> dict[str, list[Factor]]:
    out: dict[str, list[Factor]] = {str(c): [] for c in X.index}
    top = model.top_factors(X, k=3)
    for cid, row in top.iterrows():
        out[str(cid)].append(
            Factor(
                factor=str(row["factor"]),
                value=_num(row["value"]),
                contribution=float(row["contribution"]),
                phrase=describe(str(row["factor"]), row["value"], currency, recent_days),
            )
        )
    return out


def score(wh: Warehouse, ws: str, spec: ChurnRiskSpec) -> ChurnScores:
    """Fit on the latest fully observed cut-offs; every customer active before `as_of` with a calibrated risk
    and top 3 factors, highest risk first."""
    as_of = naive_utc(spec.as_of) if spec.as_of else data_end(wh, ws)
    currency = spec.currency.upper() if spec.currency else main_currency(wh, ws, as_of)
    X, y, used = training_set(wh, ws, spec, as_of - timedelta(days=spec.horizon_days), currency)
    model = _fit(X, y, used, spec.horizon_days)
    now = _features(wh, ws, spec, as_of, currency)
    if now.empty:
        raise ValidationFailed(f"nobody was active in the {spec.window} days before {as_of:%Y-%m-%d}; nothing to score")
    risk = model.predict_proba(now)[:, 1]
    reasons = _factors(model, now, currency, spec.recent_days)
    rows = [
        CustomerRisk(customer_id=str(c), risk=float(r), factors=reasons[str(c)])
        for c, r in zip(now.index, risk, strict=True)
    ]
    rows.sort(key=lambda c: (-c.risk, c.customer_id))
    return ChurnScores(
        as_of=as_of,
        horizon_days=spec.horizon_days,
        currency=currency,
        training_cutoffs=used,
        training_rows=len(X),
        base_rate=float(y.mean()),
        customers=rows,
    )


# Fitted scores by (warehouse, workspace, spec, fact counts): paging through customers does not refit the model.
_CACHE: OrderedDict[tuple[int, str, str, tuple[int, ...]], ChurnScores] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()
_FACTS = ("events", "orders", "responses", "answers", "tickets", "enrichments", "identities")


def cached_score(wh: Warehouse, ws: str, spec: ChurnRiskSpec) -> ChurnScores:
    """`score`, reused while the workspace's facts are unchanged (facts are append-only: counts tell)."""
    key = (id(wh), ws, spec.model_dump_json(), tuple(wh.count(name, ws) for name in _FACTS))
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    result = score(wh, ws, spec)
    with _LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[CalibrationRow]:
    """Customers in `bins` equal-count groups by predicted risk (ties split by order): mean prediction and outcome."""
    order = np.argsort(p, kind="stable")
    rows = []
    for i, part in enumerate(np.array_split(order, min(bins, len(p))), start=1):
        rows.append(
            CalibrationRow(
                decile=i, customers=int(part.size), predicted=float(p[part].mean()), actual=float(y[part].mean())
            )
        )
    return rows


def backtest(wh: Warehouse, ws: str, spec: ChurnRiskSpec) -> ChurnBacktest:
    """Train with label windows that end by the test cut-off (`as_of` minus the horizon); score the customers active
    then and compare with what they did: ROC-AUC, Brier score against the base rate, calibration by decile."""
    end = naive_utc(spec.as_of) if spec.as_of else data_end(wh, ws)
    test_cut = end - timedelta(days=spec.horizon_days)
    currency = spec.currency.upper() if spec.currency else main_currency(wh, ws, test_cut)
    X, y, used = training_set(wh, ws, spec, test_cut - timedelta(days=spec.horizon_days), currency)
    model = _fit(X, y, used, spec.horizon_days)
    Xt = _features(wh, ws, spec, test_cut, currency)
    yt = churn_labels(wh, ws, Xt.index, test_cut, spec.horizon_days).to_numpy()
    if Xt.empty or yt.min() == yt.max():
        raise ValidationFailed(
            f"the test cut-off {test_cut:%Y-%m-%d} has {len(Xt)} active customers and only one outcome; "
            "a backtest needs both churned and retained customers: use another --horizon-days or more history"
        )
    p = model.predict_proba(Xt)[:, 1]
    base = float(y.mean())
    raised = model.top_factors(Xt, k=Xt.shape[1])
    weights = (raised.groupby("factor")["contribution"].sum() / len(Xt)).sort_values(ascending=False)
    return ChurnBacktest(
        horizon_days=spec.horizon_days,
        training_cutoffs=used,
        test_cutoff=test_cut,
        training_rows=len(X),
        test_customers=len(Xt),
        base_rate=base,
        test_rate=float(yt.mean()),
        roc_auc=float(roc_auc_score(yt, p)),
        brier=float(brier_score_loss(yt, p)),
        base_rate_brier=float(brier_score_loss(yt, np.full(len(yt), base))),
        calibration=calibration_table(yt, p),
        factor_weights={str(k): float(v) for k, v in weights.items()},
    )


__all__ = [
    "ChurnBacktest",
    "ChurnRiskSpec",
    "ChurnScores",
    "CustomerRisk",
    "Factor",
    "backtest",
    "cached_score",
    "calibration_table",
    "describe",
    "score",
    "training_set",
]
