"""Key drivers against the published swiss decomposition (exact LMG enumeration and Johnson's relative weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from suara.errors import ValidationFailed
from suara.models.drivers import KeyDrivers

SWISS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "stats" / "swiss.csv"
DRIVERS = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]


@pytest.fixture(scope="module")
def swiss() -> pd.DataFrame:
    return pd.read_csv(SWISS)


@pytest.fixture(scope="module")
def fitted(swiss: pd.DataFrame) -> KeyDrivers:
    return KeyDrivers().fit(swiss[DRIVERS], swiss["Fertility"])


def test_r2_matches(fitted: KeyDrivers) -> None:
    assert fitted.r2_ == pytest.approx(0.706735, abs=1e-6)
    assert fitted.n_ == 47


def test_shapley_matches_the_lmg_reference(fitted: KeyDrivers) -> None:
    published = [0.0571, 0.1712, 0.2601, 0.1056, 0.1128]
    np.testing.assert_allclose(fitted.shapley_[DRIVERS].to_numpy(), published, atol=5e-5)
    assert fitted.shapley_.sum() == pytest.approx(fitted.r2_)


def test_relative_weights_match_johnson(fitted: KeyDrivers) -> None:
    published = [0.0484, 0.1547, 0.2720, 0.1147, 0.1170]
    np.testing.assert_allclose(fitted.relative_weights_[DRIVERS].to_numpy(), published, atol=5e-5)
    assert fitted.relative_weights_.sum() == pytest.approx(fitted.r2_)


def test_summary_ranks_drivers(fitted: KeyDrivers) -> None:
    table = fitted.summary
    assert table.index[0] == "Education" and table.index[-1] == "Agriculture"
    assert table["shapley_pct"].sum() == pytest.approx(100)


def test_a_constant_driver_gets_zero(swiss: pd.DataFrame) -> None:
    got = KeyDrivers().fit(swiss[DRIVERS].assign(constant=3.0), swiss["Fertility"])
    assert got.shapley_["constant"] == 0 and got.relative_weights_["constant"] == 0
    assert got.r2_ == pytest.approx(0.706735, abs=1e-6)
    assert got.shapley_["Education"] == pytest.approx(0.2601, abs=5e-5)


def test_perfectly_collinear_drivers_share_their_part(swiss: pd.DataFrame) -> None:
    X = swiss[DRIVERS].assign(education_twice=2 * swiss["Education"] + 1)
    got = KeyDrivers().fit(X, swiss["Fertility"])
    assert got.r2_ == pytest.approx(0.706735, abs=1e-6)
    assert got.shapley_["education_twice"] == pytest.approx(got.shapley_["Education"])
    assert got.shapley_.sum() == pytest.approx(got.r2_)
    assert got.relative_weights_.sum() == pytest.approx(got.r2_)
    assert np.isfinite(got.relative_weights_).all()


def test_rows_with_missing_values_are_dropped(swiss: pd.DataFrame) -> None:
    X = swiss[DRIVERS].copy()
    X.loc[0, "Catholic"] = np.nan
    assert KeyDrivers().fit(X, swiss["Fertility"]).n_ == 46


def test_too_few_rows(swiss: pd.DataFrame) -> None:
    with pytest.raises(ValidationFailed, match="at least 7"):
        KeyDrivers().fit(swiss[DRIVERS].head(6), swiss["Fertility"].head(6))


def test_too_many_drivers() -> None:
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 16)), columns=[f"x{i}" for i in range(16)])
    with pytest.raises(ValidationFailed, match="more than the 15"):
        KeyDrivers().fit(X, X.sum(axis=1))


def test_text_drivers_and_constant_outcome_are_refused(swiss: pd.DataFrame) -> None:
    with pytest.raises(ValidationFailed, match="rownames"):
        KeyDrivers().fit(swiss[["rownames", *DRIVERS]], swiss["Fertility"])
    with pytest.raises(ValidationFailed, match="constant"):
        KeyDrivers().fit(swiss[DRIVERS], np.ones(47))
    with pytest.raises(ValidationFailed, match="rows"):
        KeyDrivers().fit(swiss[DRIVERS], swiss["Fertility"].head(40))
