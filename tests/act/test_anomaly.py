"""The detector on synthetic series whose answer is known: seasonal noise, steps, new series, low volume, rates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from suara.act.anomaly import DetectorConfig, detect_counts, detect_rates, detect_values

START = date(2026, 1, 5)  # a Monday
WEEKLY = np.array([1.0, 1.1, 1.05, 1.0, 0.9, 0.45, 0.4])  # busy weekdays, quiet weekends


def _days(n: int) -> list[date]:
    return [START + timedelta(days=i) for i in range(n)]


def _seasonal(n: int, level: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    means = level * WEEKLY[np.arange(n) % 7]
    return rng.poisson(means).astype(float)


@pytest.mark.parametrize("seed", range(8))
def test_seasonal_series_without_anomalies_raises_nothing(seed: int) -> None:
    counts = _seasonal(140, 200, seed)
    detection = detect_counts(counts, _days(140))
    assert detection.incidents == ()


def test_a_weekday_at_weekend_level_is_normal_but_a_sunday_at_weekday_level_is_not() -> None:
    counts = _seasonal(84, 300, seed=1)
    sunday = 83
    assert date.weekday(_days(84)[sunday]) == 6
    counts[sunday] = 300 * WEEKLY[0]  # a Monday's volume on a Sunday: 2.5 times the usual Sunday
    detection = detect_counts(counts, _days(84))
    assert [i.started_on for i in detection.incidents] == [_days(84)[sunday]]
    # Without weekday factors the same value would be ordinary: the mean day is about as busy.
    assert counts[sunday] < counts[:sunday].mean() * 1.5


def test_a_step_alerts_on_the_step_day_once_and_recovers_when_it_ends() -> None:
    counts = _seasonal(120, 100, seed=3)
    counts[70:80] *= 3
    days = _days(120)
    detection = detect_counts(pd.Series(counts, index=pd.to_datetime(days)))
    assert len(detection.incidents) == 1
    incident = detection.incidents[0]
    assert incident.started_on == days[70]
    assert incident.last_flagged_on == days[79]
    # Recovery needs three calm days in a row; a mildly high day after the step can put it off a little.
    assert incident.recovered_on is not None and days[80] <= incident.recovered_on <= days[83]
    assert incident.peak.observed > 2 * incident.peak.expected
    assert "ongoing" not in incident.reason and incident.recovered_on.isoformat() in incident.reason


def test_an_ongoing_incident_says_so() -> None:
    counts = _seasonal(90, 100, seed=4)
    counts[85:] *= 4
    incident = detect_counts(counts, _days(90)).incidents[-1]
    assert incident.started_on == _days(90)[85] and incident.recovered_on is None
    assert "ongoing since" in incident.reason


def test_a_drop_alerts_only_when_drops_are_watched() -> None:
    counts = _seasonal(100, 150, seed=5)
    counts[80:] = np.round(counts[80:] * 0.2)
    days = _days(100)
    assert detect_counts(counts, days).incidents == ()
    down = detect_counts(counts, days, DetectorConfig(direction="down")).incidents
    assert [i.started_on for i in down] == [days[80]]
    assert down[0].first.direction == "down"


def test_a_new_series_is_an_anomaly_from_its_first_event() -> None:
    counts = np.zeros(60)
    counts[45], counts[46], counts[48] = 1, 3, 2  # one quiet day inside: still one incident
    days = _days(60)
    detection = detect_counts(counts, days)
    assert len(detection.incidents) == 1
    assert detection.incidents[0].started_on == days[45] and detection.incidents[0].first.emerging
    assert detect_counts(counts, days, DetectorConfig(emergence=False)).incidents == ()


def test_a_new_series_is_not_new_when_its_reference_had_it() -> None:
    counts, reference = np.zeros(60), np.ones(60)
    counts[45] = 2
    assert detect_counts(counts, _days(60), reference=reference).incidents == ()


def test_low_volume_noise_does_not_alert() -> None:
    rng = np.random.default_rng(6)
    counts = rng.poisson(0.3, 120).astype(float)
    counts[100] = 4  # improbable at a mean of 0.3, but only four events
    assert detect_counts(counts, _days(120)).incidents == ()


def test_a_jump_in_a_share_alerts_on_its_day() -> None:
    rng = np.random.default_rng(7)
    trials = rng.poisson(2000 * WEEKLY[np.arange(100) % 7])
    share = np.full(100, 0.02)
    share[90:] = 0.08
    hits = rng.binomial(trials, share)
    days = _days(100)
    detection = detect_rates(hits, trials, days, label="error share")
    assert [i.started_on for i in detection.incidents] == [days[90]]
    assert detection.incidents[0].first.expected == pytest.approx(0.02, abs=0.01)
    assert "error share" in detection.incidents[0].reason


def test_values_with_standard_errors_alert_on_a_real_drop_only() -> None:
    rng = np.random.default_rng(8)
    se = np.full(80, 4.0)
    values = 40 + rng.normal(0, 4, 80)
    values[70] = 10
    days = _days(80)
    detection = detect_values(values, se, days, DetectorConfig(direction="down"), label="NPS")
    assert [i.started_on for i in detection.incidents] == [days[70]]
    noisy = detect_values(values, np.full(80, 20.0), days, DetectorConfig(direction="down"))
    assert noisy.incidents == ()


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="3 values for 2 days"):
        detect_counts([1, 2, 3], _days(2))
    with pytest.raises(ValueError, match="between 0 and trials"):
        detect_rates([5], [3], _days(1))
    with pytest.raises(ValueError, match="alpha"):
        DetectorConfig(alpha=2)
