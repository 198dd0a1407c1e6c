"""The churn model on IBM's Telco data: discrimination (ROC-AUC), calibration (Brier) and per-customer reasons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from suara.errors import BadRequest, ValidationFailed
from suara.models.churn import ChurnModel, encode_target

TELCO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "churn" / "telco" / "Telco-Customer-Churn.csv"


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    return pd.read_csv(TELCO).set_index("customerID")


@pytest.fixture(scope="module")
def model(telco: pd.DataFrame) -> ChurnModel:
    return ChurnModel().fit(telco.drop(columns="Churn"), telco["Churn"])


def test_five_fold_auc_and_calibration(telco: pd.DataFrame) -> None:
    cv = ChurnModel().cross_validate(telco.drop(columns="Churn"), telco["Churn"], folds=5, seed=0)
    assert cv.folds == 5
    assert cv.mean_roc_auc >= 0.84, cv.roc_auc
    # calibrated probabilities beat always predicting the base rate (26.5% churn) in every fold
    assert cv.mean_brier < cv.mean_base_rate_brier
    assert all(b < base for b, base in zip(cv.brier, cv.base_rate_brier, strict=True))


def test_probabilities_are_calibrated_on_average(telco: pd.DataFrame, model: ChurnModel) -> None:
    p = model.predict_proba(telco.drop(columns="Churn"))
    assert p.shape == (7043, 2) and np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[:, 1].mean() == pytest.approx(model.base_rate_, abs=0.01)
    assert model.base_rate_ == pytest.approx(1869 / 7043)


def test_blank_total_charges_are_handled(telco: pd.DataFrame, model: ChurnModel) -> None:
    blanks = telco[telco["TotalCharges"].str.strip() == ""]
    assert len(blanks) == 11
    assert np.isfinite(model.predict_proba(blanks.drop(columns="Churn"))).all()


def test_top_factors_explain_the_log_odds(telco: pd.DataFrame, model: ChurnModel) -> None:
    X = telco.drop(columns="Churn").head(50)
    factors = model.top_factors(X, k=3)
    assert list(factors.columns) == ["rank", "factor", "value", "contribution"]
    assert set(factors.index) <= set(X.index) and factors.groupby(level=0).size().max() == 3
    assert (factors["contribution"] > 0).all()
    assert set(factors["factor"]) <= set(X.columns)
    first = factors.loc["7590-VHVEG"]  # a month-to-month customer in their first month
    assert list(first["rank"]) == [1, 2, 3] and first["contribution"].is_monotonic_decreasing
    assert "Contract" in set(first["factor"]) or "tenure" in set(first["factor"])


def test_targets_in_several_spellings() -> None:
    assert encode_target(["Yes", "no", "YES"]).tolist() == [1, 0, 1]
    assert encode_target([1, 0, 1.0]).tolist() == [1, 0, 1]
    assert encode_target([True, False]).tolist() == [1, 0]
    with pytest.raises(ValidationFailed, match="not churn labels"):
        encode_target(["gold", "silver"])
    with pytest.raises(ValidationFailed, match="one class"):
        encode_target(["No", "No"])
    with pytest.raises(ValidationFailed, match="missing"):
        encode_target(["No", None])


def test_an_identifier_column_is_refused(telco: pd.DataFrame) -> None:
    with pytest.raises(ValidationFailed, match="customerID"):
        ChurnModel().fit(telco.reset_index().drop(columns="Churn"), telco["Churn"])


def test_unfitted_model_and_missing_columns(telco: pd.DataFrame, model: ChurnModel) -> None:
    with pytest.raises(BadRequest, match="fit"):
        ChurnModel().predict_proba(telco.drop(columns="Churn"))
    with pytest.raises(ValidationFailed, match="tenure"):
        model.predict_proba(telco.drop(columns=["Churn", "tenure"]))
