"""Predictive models with an estimator API (configure in __init__, `fit()` returns self, fitted attributes end in
`_`): customer lifetime value (`clv`), churn risk (`churn`) and key drivers (`drivers`)."""

from suara.models.churn import ChurnModel, CrossValidation
from suara.models.clv import (
    BetaGeo,
    ConvergenceWarning,
    GammaGamma,
    HoldoutComparison,
    ParetoNBD,
    calibration_and_holdout,
    compare_holdout,
    simulate_bgnbd,
    summary_from_transactions,
)
from suara.models.drivers import KeyDrivers

__all__ = [
    "BetaGeo",
    "ChurnModel",
    "ConvergenceWarning",
    "CrossValidation",
    "GammaGamma",
    "HoldoutComparison",
    "KeyDrivers",
    "ParetoNBD",
    "calibration_and_holdout",
    "compare_holdout",
    "simulate_bgnbd",
    "summary_from_transactions",
]
