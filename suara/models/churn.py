"""Churn risk: a calibrated logistic regression over a customer table, with per-customer reasons.

Numeric columns (and text columns that are numbers with a few blanks, like Telco's TotalCharges) are imputed
with the median plus a missing flag; those with more than 5 distinct values enter as cubic splines (so a risk that
falls steeply over the first months of tenure is not forced onto a straight line), the rest linearly. Other
columns are one-hot encoded; constant columns are left out. The logistic model is
wrapped in sklearn's CalibratedClassifierCV (sigmoid, 5-fold), so `predict_proba` gives churn probabilities on 0..1.
`top_factors` explains the base logistic model: each column's contribution to the log-odds is the sum over its
encoded features of coefficient * (value - training mean), i.e. how far this customer's log-odds move because of
that column, compared with an average customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from suara.errors import BadRequest, ValidationFailed

_POSITIVE = {"1", "yes", "y", "true", "t", "churn", "churned"}
_NEGATIVE = {"0", "no", "n", "false", "f", "retained", "stayed"}
# A text column whose non-blank values are at least this share numbers is read as numeric.
_NUMERIC_SHARE = 0.95
# A text column with a distinct value in nearly every row is an identifier, not a feature.
_ID_SHARE = 0.9
# Numeric columns with more distinct values than this get a spline; fewer (flags, small counts) stay linear.
_SPLINE_MIN_DISTINCT = 5


def encode_target(y: Any) -> npt.NDArray[np.int64]:
    """Churn labels as 1/0: accepts 1/0, True/False and Yes/No-style text (case-insensitive)."""
    s = pd.Series(y).reset_index(drop=True)
    if s.isna().any():
        raise ValidationFailed(
            f"the target has {int(s.isna().sum())} missing value(s) (first row {int(s.isna().idxmax())})"
        )
    text = s.astype(str).str.strip().str.lower().str.replace(r"\.0$", "", regex=True)
    unknown = sorted(set(text) - _POSITIVE - _NEGATIVE)
    if unknown:
        raise ValidationFailed(
            f"target values {', '.join(map(repr, unknown[:5]))} are not churn labels; use 1/0, True/False or Yes/No"
        )
    out = text.isin(_POSITIVE).to_numpy(dtype=np.int64)
    if out.min() == out.max():
        raise ValidationFailed("the target has only one class; churn needs both churned and retained customers")
    return out


def _as_text(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().replace("", pd.NA)


def _infer_kind(s: pd.Series) -> str:
    """numeric, categorical, or constant (left out: it cannot tell customers apart)."""
    if s.nunique(dropna=False) <= 1:
        return "constant"
    if pd.api.types.is_bool_dtype(s):
        return "categorical"
    if pd.api.types.is_numeric_dtype(s):
        return "numeric"
    text = _as_text(s)
    filled = int(text.notna().sum())
    parsed = int(pd.to_numeric(text, errors="coerce").notna().sum())
    return "numeric" if filled and parsed >= _NUMERIC_SHARE * filled else "categorical"


def _prepare(X: pd.DataFrame, kinds: dict[Any, str] | None = None) -> tuple[pd.DataFrame, dict[Any, str]]:
    """Coerce each column to numbers (text that is numbers with blanks -> NaN) or to text categories.

    Kinds are inferred when fitting and passed back in when predicting, so a batch of blanks stays numeric."""
    if not isinstance(X, pd.DataFrame) or X.shape[1] == 0:
        raise ValidationFailed("X must be a pandas DataFrame with at least one feature column")
    kinds = kinds or {c: _infer_kind(X[c]) for c in X.columns}
    out: dict[Any, pd.Series] = {}
    for col, kind in kinds.items():
        s = X[col]
        if kind == "numeric":
            numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            out[col] = pd.to_numeric(s if numeric else _as_text(s), errors="coerce").astype(np.float64)
        elif kind == "categorical":
            out[col] = _as_text(s).fillna("(blank)").astype(object)
    return pd.DataFrame(out, index=X.index), kinds


def _check_ids(X: pd.DataFrame, categorical: list[str]) -> None:
    if len(X) < 20:
        return
    for col in categorical:
        distinct = X[col].nunique()
        if distinct > _ID_SHARE * len(X):
            raise ValidationFailed(
                f"column {col!r} has a distinct value in {distinct} of {len(X)} rows, like an identifier; "
                "drop it (CLI: --id-column)"
            )


def _pipeline(X: pd.DataFrame, numeric: list[str], categorical: list[str], C: float) -> Pipeline:
    curved = [c for c in numeric if X[c].nunique() > _SPLINE_MIN_DISTINCT]
    straight = [c for c in numeric if c not in curved]
    impute = SimpleImputer(strategy="median", keep_empty_features=True)
    features = ColumnTransformer(
        [
            (
                "curved",
                Pipeline(
                    [
                        ("impute", impute),
                        ("spline", SplineTransformer(n_knots=5, knots="quantile")),
                        ("scale", StandardScaler()),
                    ]
                ),
                curved,
            ),
            ("straight", Pipeline([("impute", clone(impute)), ("scale", StandardScaler())]), straight),
            ("missing", MissingIndicator(features="missing-only"), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline(
        [("features", features), ("model", LogisticRegression(C=C, solver="newton-cholesky", max_iter=200))]
    )


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold scores: ROC-AUC (0.5 = chance, 1 = perfect) and Brier score (mean squared error of the
    probabilities; lower is better) per fold, with the Brier score of always predicting the training base rate."""

    roc_auc: list[float]
    brier: list[float]
    base_rate_brier: list[float]

    @property
    def folds(self) -> int:
        return len(self.roc_auc)

    @property
    def mean_roc_auc(self) -> float:
        return float(np.mean(self.roc_auc))

    @property
    def mean_brier(self) -> float:
        return float(np.mean(self.brier))

    @property
    def mean_base_rate_brier(self) -> float:
        return float(np.mean(self.base_rate_brier))


class ChurnModel:
    """Calibrated logistic churn model. `C` is the inverse L2 strength on standardised features; `calibration_folds`
    the folds CalibratedClassifierCV uses to fit the sigmoid.

    Fitted: `classes_` ([0, 1]; 1 = churned), `feature_columns_`, `base_rate_` (share churned in training)."""

    def __init__(self, C: float = 1.0, calibration_folds: int = 5) -> None:
        self.C = C
        self.calibration_folds = calibration_folds
        self.feature_columns_: list[str] = []
        self.base_rate_: float = float("nan")
        self.classes_ = np.array([0, 1])
        self._model: CalibratedClassifierCV | None = None
        self._design_mean: npt.NDArray[np.float64] = np.zeros(0)
        self._kinds: dict[Any, str] = {}

    def _estimator(self, X: pd.DataFrame) -> tuple[CalibratedClassifierCV, pd.DataFrame]:
        prepared, kinds = _prepare(X)
        numeric = [c for c, k in kinds.items() if k == "numeric"]
        categorical = [c for c, k in kinds.items() if k == "categorical"]
        if not numeric and not categorical:
            raise ValidationFailed("every feature column is constant; there is nothing to learn from")
        _check_ids(prepared, categorical)
        self._kinds = kinds
        # ensemble=False: one base model on all rows (explained by top_factors) and a sigmoid fitted out of fold
        model = CalibratedClassifierCV(
            _pipeline(prepared, numeric, categorical, self.C),
            method="sigmoid",
            cv=self.calibration_folds,
            ensemble=False,
        )
        return model, prepared

    def fit(self, X: pd.DataFrame, y: Any) -> ChurnModel:
        """Fit on a customer table X (one row per customer) and churn labels y (1/0, True/False or Yes/No)."""
        target = encode_target(y)
        if target.size != len(X):
            raise ValidationFailed(f"X has {len(X)} rows but y has {target.size}")
        model, prepared = self._estimator(X)
        if min(np.bincount(target)) < self.calibration_folds:
            raise ValidationFailed(
                f"each class needs at least {self.calibration_folds} customers for calibration; "
                f"got {np.bincount(target).tolist()} (retained, churned)"
            )
        # small dense products: extra BLAS threads only fight other processes for the cores (10x slower when busy)
        with threadpool_limits(1, user_api="blas"):
            model.fit(prepared, target)
        self._model = model
        features, _ = self._base()
        # the average training customer, the reference point of top_factors
        self._design_mean = _dense(features.transform(prepared)).mean(axis=0)
        self.feature_columns_ = [str(c) for c in X.columns]
        self.base_rate_ = float(target.mean())
        return self

    def _prepared(self, X: pd.DataFrame) -> pd.DataFrame:
        if self._model is None:
            raise BadRequest("ChurnModel is not fitted yet; call fit() first")
        missing = [c for c in self.feature_columns_ if c not in X.columns]
        if missing:
            raise ValidationFailed(f"X is missing column(s) the model was fitted on: {', '.join(missing)}")
        prepared, _ = _prepare(X[self.feature_columns_], self._kinds)
        return prepared

    def predict_proba(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, shape (n, 2): column 0 retained, column 1 churned."""
        prepared = self._prepared(X)
        assert self._model is not None
        return np.asarray(self._model.predict_proba(prepared), dtype=np.float64)

    def _base(self) -> tuple[ColumnTransformer, LogisticRegression]:
        assert self._model is not None
        base: Pipeline = self._model.calibrated_classifiers_[0].estimator
        return base.named_steps["features"], base.named_steps["model"]

    def top_factors(self, X: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        """The k columns that push each customer's churn log-odds up the most, against an average customer.

        Long format, index = X's index: rank (1..k), factor (column name), value (the customer's value), and
        contribution (log-odds units of the base logistic model; positive raises risk). Customers with fewer than
        k risk-raising columns get fewer rows."""
        prepared = self._prepared(X)
        features, logit = self._base()
        per_feature = (_dense(features.transform(prepared)) - self._design_mean) * logit.coef_[0]
        owner = np.array([self._owner(str(n)) for n in features.get_feature_names_out()])
        columns = list(dict.fromkeys(owner))
        per_column = np.column_stack([per_feature[:, owner == c].sum(axis=1) for c in columns])
        order = np.argsort(-per_column, axis=1)[:, :k]
        rows = []
        for i, label in enumerate(X.index):
            for rank, j in enumerate(order[i], start=1):
                if per_column[i, j] <= 0:
                    break
                rows.append((label, rank, columns[j], X.iloc[i][columns[j]], float(per_column[i, j])))
        out = pd.DataFrame(rows, columns=["customer", "rank", "factor", "value", "contribution"]).set_index("customer")
        out.index.name = X.index.name
        return out

    def _owner(self, feature: str) -> str:
        """The input column an encoded feature came from (one-hot levels are named column_level)."""
        for col in sorted(self.feature_columns_, key=len, reverse=True):
            if feature in (col, f"missingindicator_{col}") or feature.startswith(f"{col}_"):
                return col
        return feature

    def cross_validate(self, X: pd.DataFrame, y: Any, folds: int = 5, seed: int = 0) -> CrossValidation:
        """Stratified k-fold estimate of out-of-sample ROC-AUC and Brier score; a fresh model per fold."""
        target = encode_target(y)
        if target.size != len(X):
            raise ValidationFailed(f"X has {len(X)} rows but y has {target.size}")
        if folds < 2 or min(np.bincount(target)) < folds * 2:
            raise ValidationFailed(
                f"{folds}-fold cross-validation needs folds >= 2 and at least {folds * 2} customers in each class; "
                f"got {np.bincount(target).tolist()} (retained, churned)"
            )
        auc, brier, base = [], [], []
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(target.size), target):
            model = clone_model(self).fit(X.iloc[train], target[train])
            p = model.predict_proba(X.iloc[test])[:, 1]
            auc.append(float(roc_auc_score(target[test], p)))
            brier.append(float(brier_score_loss(target[test], p)))
            base.append(float(brier_score_loss(target[test], np.full(test.size, target[train].mean()))))
        return CrossValidation(auc, brier, base)


def _dense(matrix: Any) -> npt.NDArray[np.float64]:
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=np.float64)


def clone_model(model: ChurnModel) -> ChurnModel:
    """An unfitted copy with the same settings."""
    return ChurnModel(C=model.C, calibration_folds=model.calibration_folds)


__all__ = ["ChurnModel", "CrossValidation", "encode_target"]
