"""Measures as spec, runner, result: `run_metric(warehouse, workspace_id, MetricSpec(metric="nps", ...))`."""

from suara.metrics.measures import MEASURES
from suara.metrics.runner import run_metric
from suara.metrics.spec import MetricResult, MetricSpec

__all__ = ["MEASURES", "MetricResult", "MetricSpec", "run_metric"]
