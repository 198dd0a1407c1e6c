"""suara: an open-source, self-hosted customer-experience platform.

The library API: open a data folder, ingest, measure.

    >>> import suara
    >>> with suara.open("data") as rt:                                     # doctest: +SKIP
    ...     suara.metric(rt, "acme", "nps", by=["segment"], period="week")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def open(data_dir: str | Path = "data", **settings: Any) -> Any:  # noqa: A001
    """Open (creating if needed) the stores in `data_dir`; use as a context manager."""
    from suara.runtime import Runtime
    from suara.settings import load_settings

    return Runtime.open(load_settings(data_dir=Path(data_dir), **settings))


def metric(runtime: Any, workspace: str, name: str, **spec: Any) -> Any:
    """Run a metric for a workspace (given by slug or id): `metric(rt, "acme", "nps", by=["segment"])`."""
    from suara.metrics import MetricSpec, run_metric
    from suara.metrics.params import saved_segments
    from suara.store.app import WorkspaceRepo, workspace_by_slug

    with runtime.app.session() as s:
        ws = workspace_by_slug(s, workspace)
        workspace_id = ws.id if ws is not None else workspace
        segments = saved_segments(WorkspaceRepo(s, workspace_id))
    return run_metric(runtime.warehouse, workspace_id, MetricSpec(metric=name, **spec), segments)


__all__ = ["__version__", "metric", "open"]
