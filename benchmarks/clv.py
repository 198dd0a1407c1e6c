"""BG/NBD fit on 1 million customers (`--quick`: 100,000): suara's BetaGeo against lifetimes' BetaGeoFitter.

The customers are simulated from the BG/NBD fitted to CDNOW (r, alpha, a, b from suara's own fit on the
2,357-customer summary), with observation lengths T resampled from CDNOW's, so the data look like CDNOW scaled up.
Both libraries fit the same arrays in the same run, alternating; each fit starts from its library's defaults.
lifetimes is timed on the full set unless one fit of it would take more than 5 minutes (then on 100,000 customers,
as the table says).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine, median, table, write_section

from suara.models.clv import BetaGeo, simulate_bgnbd

CDNOW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clv" / "cdnow" / "cdnow_customers_summary.csv"
PACKAGES = ["numpy", "scipy", "pandas", "lifetimes", "autograd"]
TARGET_S = 30.0
LIFETIMES_CAP_S = 300.0


def _lifetimes_fit(data: pd.DataFrame) -> tuple[float, dict[str, float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter

        start = time.perf_counter()
        fitted = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
        elapsed = time.perf_counter() - start
    return elapsed, {k: float(v) for k, v in fitted.params_.items()}


def _suara_fit(data: pd.DataFrame) -> tuple[float, dict[str, float], float]:
    start = time.perf_counter()
    fitted = BetaGeo().fit(data["frequency"], data["recency"], data["T"])
    elapsed = time.perf_counter() - start
    assert fitted.converged_
    return elapsed, fitted.params_, fitted.log_likelihood_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 customers instead of 1,000,000")
    parser.add_argument("--runs", type=int, default=3, help="timed fits per library (median reported)")
    opts = parser.parse_args()
    n = 100_000 if opts.quick else 1_000_000
    measured = machine(PACKAGES)

    cdnow = pd.read_csv(CDNOW)
    truth = BetaGeo().fit(cdnow).params_
    rng = np.random.default_rng(7)
    data = simulate_bgnbd(truth, rng.choice(cdnow["T"].to_numpy(), n), seed=11)
    print(f"{n:,} customers, {np.mean(data['frequency'] > 0):.1%} repeat buyers; truth {truth}")

    # one untimed warm-up each (imports, first-call costs), which also sizes lifetimes' run
    _suara_fit(data.head(10_000))
    probe_s, _ = _lifetimes_fit(data.head(100_000))
    lifetimes_n = n if probe_s * n / 100_000 < LIFETIMES_CAP_S else 100_000
    lifetimes_data = data.head(lifetimes_n)

    ours, theirs = [], []
    for _ in range(opts.runs):
        s, params, ll = _suara_fit(data)
        ours.append(s)
        t, ref = _lifetimes_fit(lifetimes_data)
        theirs.append(t)
        print(f"suara {s:.2f} s, lifetimes {t:.2f} s")
    ours_s, theirs_s = median(ours), median(theirs)
    same_n = lifetimes_n == n
    gap = max(abs(params[k] - ref[k]) / abs(ref[k]) for k in params) if same_n else float("nan")

    head = ["library", "customers", "median fit", "r", "alpha", "a", "b"]
    rows = [
        ["truth (CDNOW fit)", "", "", *(f"{truth[k]:.4f}" for k in ("r", "alpha", "a", "b"))],
        ["suara BetaGeo", f"{n:,}", f"{ours_s:.2f} s", *(f"{params[k]:.4f}" for k in ("r", "alpha", "a", "b"))],
        [
            "lifetimes BetaGeoFitter",
            f"{lifetimes_n:,}",
            f"{theirs_s:.2f} s",
            *(f"{ref[k]:.4f}" for k in ("r", "alpha", "a", "b")),
        ],
    ]
    ratio = theirs_s / ours_s if same_n else float("nan")
    compare = (
        f"lifetimes takes {ratio:.1f}x as long on the same data; the two fits agree to {gap:.1e} (largest relative "
        "difference of a parameter)"
        if same_n
        else f"lifetimes was timed on {lifetimes_n:,} customers only (a full fit would exceed {LIFETIMES_CAP_S:.0f} s)"
    )
    verdict = (
        f"suara fits {n:,} customers in {ours_s:.1f} s ({'meets' if ours_s < TARGET_S else 'misses'} the "
        f"{TARGET_S:.0f} s target); {compare}."
    )
    text = "\n\n".join(
        [
            "## CLV: BG/NBD fit (`benchmarks/clv.py`)" + (" - QUICK RUN" if opts.quick else ""),
            f"Measured {measured}.",
            f"{n:,} customers simulated from the BG/NBD fitted to CDNOW, T resampled from CDNOW's 39-week summary "
            f"({np.mean(data['frequency'] > 0):.0%} repeat buyers, {int(data['frequency'].sum()):,} repeat purchases). "
            f"Median of {opts.runs} fits per library, alternating, after an untimed warm-up; suara's log-likelihood "
            f"at its optimum is {ll:,.1f}. Fit time covers input checks, optimisation and the final log-likelihood.",
            table(head, rows),
            f"Verdict: {verdict}",
        ]
    )
    print(text)
    write_section("clv", text)


if __name__ == "__main__":
    main()
