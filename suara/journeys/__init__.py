"""Journeys: funnels, paths and loops, retention cohorts over the behavioural events (Ibis, any warehouse)."""

from suara.journeys.funnel import FunnelResult, FunnelSpec, funnel_customers, run_funnel
from suara.journeys.paths import LoopResult, LoopSpec, PathResult, PathSpec, run_loops, run_paths
from suara.journeys.retention import RetentionResult, RetentionSpec, run_retention

__all__ = [
    "FunnelResult",
    "FunnelSpec",
    "LoopResult",
    "LoopSpec",
    "PathResult",
    "PathSpec",
    "RetentionResult",
    "RetentionSpec",
    "funnel_customers",
    "run_funnel",
    "run_loops",
    "run_paths",
    "run_retention",
]
