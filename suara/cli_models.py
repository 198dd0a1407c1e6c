"""`suara models ...`: fit CLV models, evaluate a churn model and rank key drivers from CSV files.

Registered by suara/cli.py as `app.add_typer(models_app, name="models")`; errors are SuaraErrors, which the main
CLI prints as one line and exits 2.
"""

from __future__ import annotations

import csv
import json
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from suara.errors import ModelNotConverged, NotFound, ValidationFailed

models_app = typer.Typer(
    help="Predictive models: customer lifetime value, churn risk, key drivers.", no_args_is_help=True
)
clv_app = typer.Typer(help="Customer-lifetime-value models (BG/NBD, Pareto/NBD, Gamma-Gamma).", no_args_is_help=True)
churn_app = typer.Typer(help="Churn-risk model.", no_args_is_help=True)
models_app.add_typer(clv_app, name="clv")
models_app.add_typer(churn_app, name="churn")

out = Console()
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class Format(StrEnum):
    json = "json"
    table = "table"


class ClvModel(StrEnum):
    bgnbd = "bgnbd"
    pareto_nbd = "pareto-nbd"
    gamma_gamma = "gamma-gamma"


def _read_csv(path: Path) -> Any:
    import pandas as pd

    if not path.is_file():
        raise NotFound(f"no file {path}")
    try:
        return pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"cannot read {path} as CSV: {exc}") from None


def _require(df: Any, columns: list[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValidationFailed(
            f"{path} has no column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}"
        )


@contextmanager
def _working(what: str) -> Iterator[None]:
    """A spinner on stderr while a fit runs (shown only on a terminal)."""
    with err.status(what, spinner="dots"):
        yield


def _emit(payload: dict[str, Any], fmt: Format, render: Callable[[dict[str, Any]], None]) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        render(payload)


def _fit_quietly(fit: Callable[[], T]) -> T:
    """Run a fit, turning a convergence warning into ModelNotConverged so the CLI never prints unreliable numbers."""
    from suara.models.clv import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = fit()
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            raise ModelNotConverged(str(w.message))
    return result


# -- clv ------------------------------------------------------------------------------------------------------------
@clv_app.command("fit")
def clv_fit(
    summary: Annotated[
        Path, typer.Option("--summary", help="CSV, one row per customer: frequency, recency, T (+ monetary_value).")
    ],
    model: Annotated[ClvModel, typer.Option("--model", help="bgnbd, pareto-nbd or gamma-gamma.")] = ClvModel.bgnbd,
    penalizer: Annotated[float, typer.Option("--penalizer", help="L2 penalty on the parameters (0 = none).")] = 0.0,
    fmt: Annotated[Format, typer.Option("--format", help="json or table.")] = Format.table,
) -> None:
    """Fit a CLV model by maximum likelihood and print its parameters (time in the summary's unit)."""
    from suara.models.clv import BetaGeo, GammaGamma, ParetoNBD

    df = _read_csv(summary)
    if model is ClvModel.gamma_gamma:
        _require(df, ["frequency", "monetary_value"], summary)
        gg = GammaGamma(penalizer_coef=penalizer)
        with _working("fitting Gamma-Gamma"):
            fitted: Any = _fit_quietly(lambda: gg.fit(df["frequency"], df["monetary_value"]))
    else:
        _require(df, ["frequency", "recency", "T"], summary)
        est = BetaGeo(penalizer_coef=penalizer) if model is ClvModel.bgnbd else ParetoNBD(penalizer_coef=penalizer)
        with _working(f"fitting {est.label} on {len(df):,} customers"):
            fitted = _fit_quietly(lambda: est.fit(df["frequency"], df["recency"], df["T"]))
    payload = {
        "model": model.value,
        "params": fitted.params_,
        "log_likelihood": fitted.log_likelihood_,
        "converged": fitted.converged_,
        "customers": fitted.n_,
    }
    _emit(payload, fmt, lambda p: _print_clv(p, fitted.summary))


def _print_clv(payload: dict[str, Any], summary: Any) -> None:
    table = Table(
        "param",
        "estimate",
        "std. error",
        "95% interval",
        title=f"{payload['model']} ({payload['customers']:,} customers)",
    )
    for name, row in summary.iterrows():
        table.add_row(
            str(name),
            f"{row['coef']:.4f}",
            f"{row['se(coef)']:.4f}",
            f"{row['lower 95% bound']:.4f} to {row['upper 95% bound']:.4f}",
        )
    out.print(table)
    out.print(f"log-likelihood {payload['log_likelihood']:.2f}")


# -- churn ----------------------------------------------------------------------------------------------------------
@churn_app.command("evaluate")
def churn_evaluate(
    data: Annotated[Path, typer.Option("--data", help="CSV, one row per customer with the target column.")],
    target: Annotated[str, typer.Option("--target", help="Churn column: Yes/No, True/False or 1/0.")],
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Customer id column, left out of the features.")
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fold split.")] = 0,
    fmt: Annotated[Format, typer.Option("--format", help="json or table.")] = Format.table,
) -> None:
    """Cross-validate the calibrated churn model: ROC-AUC (0.5 chance, 1 perfect) and Brier score per fold."""
    from suara.models.churn import ChurnModel

    df = _read_csv(data)
    _require(df, [target] + ([id_column] if id_column else []), data)
    X = df.drop(columns=[target] + ([id_column] if id_column else []))
    with _working(f"cross-validating on {len(df):,} customers ({folds} folds)"):
        cv = ChurnModel().cross_validate(X, df[target], folds=folds, seed=seed)
    payload = {
        "roc_auc": round(cv.mean_roc_auc, 6),
        "folds": cv.folds,
        "roc_auc_by_fold": [round(v, 6) for v in cv.roc_auc],
        "brier": round(cv.mean_brier, 6),
        "base_rate_brier": round(cv.mean_base_rate_brier, 6),
        "customers": len(df),
    }
    _emit(payload, fmt, _print_churn)


def _print_churn(payload: dict[str, Any]) -> None:
    table = Table("fold", "ROC-AUC", title=f"churn model, {payload['folds']}-fold cross-validation")
    for i, auc in enumerate(payload["roc_auc_by_fold"], start=1):
        table.add_row(str(i), f"{auc:.3f}")
    table.add_row("mean", f"{payload['roc_auc']:.3f}", style="bold")
    out.print(table)
    out.print(f"Brier score {payload['brier']:.4f} (always predicting the base rate: {payload['base_rate_brier']:.4f})")


class ScoreFormat(StrEnum):
    json = "json"
    table = "table"
    csv = "csv"


Horizon = Annotated[int, typer.Option("--horizon-days", help="Churned: no activity in this many days after a cut-off.")]
Traits = Annotated[list[str] | None, typer.Option("--trait", help="A customer trait to use as a feature; repeat.")]
AsOf = Annotated[
    datetime | None, typer.Option("--as-of", help="Score at this instant (default: the day after the last data).")
]


def _churn_spec(horizon_days: int, trait: list[str] | None, as_of: datetime | None) -> Any:
    from suara.cli_journeys import _spec
    from suara.models.churn_risk import ChurnRiskSpec

    return _spec(ChurnRiskSpec, horizon_days=horizon_days, traits=trait or [], as_of=as_of)


@churn_app.command("score")
def churn_score(
    horizon_days: Horizon = 90,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Only the N riskiest customers.")] = None,
    trait: Traits = None,
    as_of: AsOf = None,
    fmt: Annotated[ScoreFormat, typer.Option("--format", help="json, table or csv.")] = ScoreFormat.table,
) -> None:
    """Churn risk of every active customer from the workspace's behaviour and feedback, with the top 3 reasons."""
    from suara.cli_journeys import _session
    from suara.models.churn_risk import score

    spec = _churn_spec(horizon_days, trait, as_of)
    with _session() as (rt, ws), _working("fitting the churn model"):
        result = score(rt.warehouse, ws, spec)
    payload = result.model_dump(mode="json")
    payload["total_customers"] = len(result.customers)
    payload["customers"] = payload["customers"][:top]
    if fmt is ScoreFormat.csv:
        rows = [["customer_id", "risk", "factor_1", "factor_2", "factor_3"]]
        for c in payload["customers"]:
            phrases = [f["phrase"] for f in c["factors"]]
            rows.append([c["customer_id"], c["risk"], *phrases, *[""] * (3 - len(phrases))])
        csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
        return
    _emit(payload, Format(fmt.value), _print_churn_scores)


def _print_churn_scores(p: dict[str, Any]) -> None:
    title = (
        f"churn risk over {p['horizon_days']} days as of {p['as_of'][:10]} ({p['total_customers']:,} active "
        f"customers; {100 * p['base_rate']:.1f}% churned in training)"
    )
    table = Table("customer", "risk", "top factors", title=title)
    for c in p["customers"]:
        table.add_row(c["customer_id"], f"{100 * c['risk']:.1f}%", "; ".join(f["phrase"] for f in c["factors"]))
    out.print(table)


@churn_app.command("backtest")
def churn_backtest(
    horizon_days: Horizon = 90,
    trait: Traits = None,
    as_of: AsOf = None,
    fmt: Annotated[Format, typer.Option("--format", help="json or table.")] = Format.table,
) -> None:
    """Train on earlier cut-offs, predict the one a horizon before the end: ROC-AUC, Brier score, calibration."""
    from suara.cli_journeys import _session
    from suara.models.churn_risk import backtest

    spec = _churn_spec(horizon_days, trait, as_of)
    with _session() as (rt, ws), _working("backtesting the churn model"):
        result = backtest(rt.warehouse, ws, spec)
    _emit(result.model_dump(mode="json"), fmt, _print_backtest)


def _print_backtest(p: dict[str, Any]) -> None:
    title = (
        f"trained at {', '.join(c[:10] for c in p['training_cutoffs'])}; tested at {p['test_cutoff'][:10]} "
        f"({p['test_customers']:,} customers, {100 * p['test_rate']:.1f}% churned)"
    )
    table = Table("decile", "customers", "predicted", "actual", title=title)
    for r in p["calibration"]:
        table.add_row(
            str(r["decile"]), str(r["customers"]), f"{100 * r['predicted']:.1f}%", f"{100 * r['actual']:.1f}%"
        )
    out.print(table)
    out.print(
        f"ROC-AUC {p['roc_auc']:.3f}; Brier score {p['brier']:.4f} "
        f"(always predicting the base rate: {p['base_rate_brier']:.4f})"
    )


# -- drivers --------------------------------------------------------------------------------------------------------
@models_app.command("drivers")
def drivers(
    data: Annotated[Path, typer.Option("--data", help="CSV with the outcome and numeric driver columns.")],
    target: Annotated[str, typer.Option("--target", help="Outcome column (numeric).")],
    driver: Annotated[
        list[str] | None, typer.Option("--driver", help="A driver column; repeat for several (default: all numeric).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json or table.")] = Format.table,
) -> None:
    """Key drivers of an outcome: R^2 and each driver's share of it by Johnson's weights and Shapley (LMG)."""
    import pandas as pd

    from suara.models.drivers import KeyDrivers

    df = _read_csv(data)
    _require(df, [target, *(driver or [])], data)
    if driver:
        columns = list(driver)
    else:
        candidates = [c for c in df.columns if c != target]
        columns = [c for c in candidates if pd.api.types.is_numeric_dtype(df[c])]
        skipped = [str(c) for c in candidates if c not in columns]
        if skipped:
            err.print(f"skipped non-numeric column(s): {', '.join(skipped)}", markup=False, highlight=False)
    y = pd.to_numeric(df[target], errors="coerce")
    if y.isna().all():
        raise ValidationFailed(f"target column {target!r} has no numbers")
    kd = KeyDrivers().fit(df[columns], y)
    payload = {
        "r2": kd.r2_,
        "rows": kd.n_,
        "drivers": [
            {"name": name, "relative_weight": float(row["relative_weight"]), "shapley": float(row["shapley"])}
            for name, row in kd.summary.iterrows()
        ],
    }
    _emit(payload, fmt, _print_drivers)


def _print_drivers(payload: dict[str, Any]) -> None:
    r2 = payload["r2"] or 1.0
    table = Table(
        "driver",
        "Shapley (LMG)",
        "relative weight",
        "share of R²",
        title=f"R² = {payload['r2']:.4f}, n = {payload['rows']}",
    )
    for d in payload["drivers"]:
        table.add_row(
            d["name"], f"{d['shapley']:.4f}", f"{d['relative_weight']:.4f}", f"{100 * d['shapley'] / r2:.1f}%"
        )
    out.print(table)
