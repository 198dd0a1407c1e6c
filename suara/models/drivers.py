"""Key-driver analysis: how much of an outcome's explained variance (R^2 of a linear regression) each driver carries.

Two decompositions, both summing to R^2 (on 0..1):
- `shapley_`: LMG / Shapley value of R^2 (Lindeman, Merenda & Gold 1980), exact over all 2^p subsets of drivers;
- `relative_weights_`: Johnson's (2000) relative weights, from the drivers' orthogonal counterparts.
"""

from __future__ import annotations

from math import factorial

import numpy as np
import numpy.typing as npt
import pandas as pd

from suara.errors import BadRequest, ValidationFailed

Array = npt.NDArray[np.float64]

# Exact Shapley needs R^2 of every subset: 2^15 = 32,768 small regressions is about a second; 2^20 is not.
MAX_DRIVERS = 15


def _r2(corr: Array, r_xy: Array, subset: npt.NDArray[np.intp]) -> float:
    """R^2 of y on the drivers in `subset`, from correlations; the pseudo-inverse keeps collinear sets defined."""
    if subset.size == 0:
        return 0.0
    r = r_xy[subset]
    return float(r @ np.linalg.pinv(corr[np.ix_(subset, subset)]) @ r)


def shapley_r2(corr: Array, r_xy: Array) -> Array:
    """LMG shares of R^2 per driver: the average gain in R^2 from adding it, over all orders of entry."""
    p = r_xy.size
    masks = np.arange(1 << p)
    bits = (masks[:, None] >> np.arange(p)) & 1
    r2 = np.array([_r2(corr, r_xy, np.flatnonzero(b)) for b in bits])
    size = bits.sum(axis=1)
    # weight of a subset S not containing j: |S|! (p - |S| - 1)! / p!
    weight = np.array([factorial(k) * factorial(p - k - 1) / factorial(p) if k < p else 0.0 for k in range(p + 1)])
    out = np.empty(p)
    for j in range(p):
        without = masks[bits[:, j] == 0]
        out[j] = np.sum(weight[size[without]] * (r2[without | (1 << j)] - r2[without]))
    return out


def johnson_weights(corr: Array, r_xy: Array) -> Array:
    """Johnson's relative weights: squared loadings on the closest orthogonal drivers times their squared betas."""
    values, vectors = np.linalg.eigh(corr)
    values = np.clip(values, 0.0, None)
    # corr^(1/2): correlations between the drivers and their orthogonal counterparts Z
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.pinv(lam) @ r_xy
    return np.asarray((lam**2) @ (beta**2), dtype=np.float64)


class KeyDrivers:
    """Relative importance of drivers for an outcome, by LMG (Shapley) and Johnson's relative weights.

    `fit(X, y)`: X is a numeric DataFrame (one column per driver, at most 15), y the outcome. Rows with a missing
    value are dropped (`n_` counts those used). A constant driver explains nothing and gets 0 in both; perfectly
    collinear drivers share their variance (pseudo-inverse), so results stay defined.

    Fitted: `r2_` (0..1), `shapley_` and `relative_weights_` (Series of R^2 shares summing to r2_), `summary`."""

    def __init__(self) -> None:
        self.r2_: float = float("nan")
        self.n_: int = 0
        self.shapley_: pd.Series = pd.Series(dtype=np.float64)
        self.relative_weights_: pd.Series = pd.Series(dtype=np.float64)

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike | pd.Series) -> KeyDrivers:
        """Fit on drivers X and outcome y (same number of rows); returns self."""
        if not isinstance(X, pd.DataFrame):
            raise ValidationFailed("X must be a pandas DataFrame with one named column per driver")
        if X.shape[1] == 0:
            raise ValidationFailed("X has no driver columns")
        if X.shape[1] > MAX_DRIVERS:
            raise ValidationFailed(
                f"{X.shape[1]} drivers is more than the {MAX_DRIVERS} an exact Shapley decomposition can handle "
                f"(2^{X.shape[1]} regressions); pick the {MAX_DRIVERS} most relevant or group related ones"
            )
        text = [
            str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
        ]
        if text:
            raise ValidationFailed(f"driver column(s) {', '.join(text)} are not numeric; encode or drop them")
        target = pd.Series(np.asarray(y, dtype=np.float64).reshape(-1) if not isinstance(y, pd.Series) else y)
        if not pd.api.types.is_numeric_dtype(target):
            raise ValidationFailed("the outcome y must be numeric")
        if target.size != len(X):
            raise ValidationFailed(f"X has {len(X)} rows but y has {target.size}")
        data = X.astype(np.float64).reset_index(drop=True).assign(__y=target.astype(np.float64).to_numpy())
        data = data.replace([np.inf, -np.inf], np.nan).dropna()
        p = X.shape[1]
        if len(data) < p + 2:
            raise ValidationFailed(
                f"{len(data)} complete rows for {p} drivers; a regression needs at least {p + 2} (more is better)"
            )
        yv = data.pop("__y").to_numpy()
        if np.std(yv) == 0:
            raise ValidationFailed("the outcome is constant, so there is no variance to explain")
        xv = data.to_numpy()
        varies = np.std(xv, axis=0) > 0
        corr = np.corrcoef(np.column_stack([xv[:, varies], yv]), rowvar=False)
        r_xx, r_xy = corr[:-1, :-1], corr[:-1, -1]
        names = [str(c) for c in X.columns]
        shap, rw = np.zeros(p), np.zeros(p)
        if varies.any():
            shap[varies] = shapley_r2(r_xx, r_xy)
            rw[varies] = johnson_weights(r_xx, r_xy)
        self.n_ = len(data)
        self.r2_ = float(_r2(r_xx, r_xy, np.arange(r_xy.size))) if varies.any() else 0.0
        self.shapley_ = pd.Series(shap, index=names, name="shapley")
        self.relative_weights_ = pd.Series(rw, index=names, name="relative_weight")
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """One row per driver, most important first: relative_weight and shapley (R^2 units, summing to r2_) and
        each as a percentage of R^2."""
        if not self.n_:
            raise BadRequest("KeyDrivers is not fitted yet; call fit() first")
        total = self.r2_ or 1.0
        out = pd.DataFrame(
            {
                "relative_weight": self.relative_weights_,
                "relative_weight_pct": 100 * self.relative_weights_ / total,
                "shapley": self.shapley_,
                "shapley_pct": 100 * self.shapley_ / total,
            }
        )
        out.index.name = "driver"
        return out.sort_values("shapley", ascending=False)
