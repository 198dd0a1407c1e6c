"""Golden tests of the interval and test maths against published figures and independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from suara.metrics import stats


def test_nps_golden_rocks_2016() -> None:
    # 200 promoters, 150 passives, 150 detractors (MeasuringU's worked example).
    est = stats.nps(200, 150, 500)
    assert est.value == pytest.approx(10.00, abs=1e-9)
    assert stats.nps_wald_se(200, 150, 500) == pytest.approx(3.7148, abs=5e-5)
    adjusted, se = stats.nps_adjusted(200, 150, 500)
    assert adjusted == pytest.approx(9.9404, abs=5e-5)
    assert se == pytest.approx(3.7009, abs=5e-5)
    assert est.ci_low == pytest.approx(adjusted - 1.959964 * se, abs=1e-4)
    assert est.ci_high == pytest.approx(adjusted + 1.959964 * se, abs=1e-4)


def test_nps_difference_golden() -> None:
    diff = stats.nps_difference((200, 150, 500), (260, 120, 500))
    assert diff.delta == pytest.approx(17.893, abs=5e-4)
    assert diff.statistic == pytest.approx(3.4286, abs=5e-5)
    assert diff.p_value == pytest.approx(0.000607, abs=5e-7)


def test_nps_interval_clipped_and_empty() -> None:
    est = stats.nps(30, 0, 30)
    assert est.value == 100 and est.ci_high is not None and est.ci_high <= 100
    assert stats.nps(0, 0, 0).value is None


def test_wilson_against_published_example() -> None:
    # Newcombe (1998), method 3: 81/263 gives 0.2553 to 0.3662.
    est = stats.wilson(81, 263)
    assert est.ci_low == pytest.approx(25.53, abs=0.01)
    assert est.ci_high == pytest.approx(36.62, abs=0.01)
    assert est.value == pytest.approx(100 * 81 / 263)


def test_share_difference_matches_chi_square() -> None:
    table = np.array([[45, 55], [60, 40]])
    chi2, p, _, _ = st.chi2_contingency(table, correction=False)
    diff = stats.share_difference((45, 100), (60, 100))
    assert diff.statistic is not None and diff.statistic**2 == pytest.approx(chi2, rel=1e-9)
    assert diff.p_value == pytest.approx(p, rel=1e-9)
    assert diff.delta == pytest.approx(15.0)


def test_mean_t_matches_scipy_on_raw_data() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 8, size=57).astype(float)
    est = stats.mean_t(len(x), float(x.sum()), float((x * x).sum()))
    lo, hi = st.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=st.sem(x))
    assert est.value == pytest.approx(x.mean(), rel=1e-12)
    assert (est.ci_low, est.ci_high) == pytest.approx((lo, hi), rel=1e-9)


def test_welch_matches_scipy_on_raw_data() -> None:
    rng = np.random.default_rng(4)
    a = rng.integers(1, 8, size=40).astype(float)
    b = rng.integers(2, 8, size=65).astype(float)
    res = st.ttest_ind(b, a, equal_var=False)
    diff = stats.mean_difference((len(a), a.sum(), (a * a).sum()), (len(b), b.sum(), (b * b).sum()))
    assert diff.statistic == pytest.approx(res.statistic, rel=1e-9)
    assert diff.p_value == pytest.approx(res.pvalue, rel=1e-9)
