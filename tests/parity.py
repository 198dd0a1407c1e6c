"""The parity harness: the same facts on DuckDB and on PySpark (local mode), the same analysis, equal results."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Sequence
from typing import Any

import ibis
import pyarrow as pa

from suara.collect.ingest import event_units, response_units
from suara.domain.records import EventIn, ResponseIn
from suara.store.warehouse import FACTS, Warehouse, arrow_schema, to_arrow

ENGINES = ("duckdb", "spark")


def fact_tables(
    workspace_id: str, responses: Sequence[dict[str, Any]] = (), events: Sequence[dict[str, Any]] = ()
) -> dict[str, pa.Table]:
    """Fact tables built through the collect layer from declarative documents."""
    units = response_units([ResponseIn.model_validate(r) for r in responses], workspace_id)
    units += event_units([EventIn.model_validate(e) for e in events], workspace_id)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in FACTS}
    for unit in units:
        for table, part in unit.rows.items():
            rows[table].extend(part)
    return {name: to_arrow(name, r) for name, r in rows.items()}


def duckdb_warehouse(tables: dict[str, pa.Table]) -> Warehouse:
    wh = Warehouse.open_duckdb()
    for name, data in tables.items():
        wh.load(name, data)
    return wh


def spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


_SESSION: Any = None


def spark_session() -> Any:
    """One local Spark session for the whole test run (it takes seconds to start)."""
    global _SESSION
    if _SESSION is None:
        from pyspark.sql import SparkSession

        _SESSION = (
            SparkSession.builder.master("local[2]")
            .appName("suara-parity")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", "2g")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def spark_warehouse(tables: dict[str, pa.Table]) -> Warehouse:
    """Fact tables as Spark temp views (Arrow in, so nulls stay nulls rather than NaN)."""
    session = spark_session()
    for name in FACTS:
        data = tables.get(name, arrow_schema(name).empty_table())
        session.createDataFrame(data).createOrReplaceTempView(name)
    return Warehouse(ibis.pyspark.connect(session))


def warehouse_on(engine: str, tables: dict[str, pa.Table]) -> Warehouse:
    return duckdb_warehouse(tables) if engine == "duckdb" else spark_warehouse(tables)


def assert_close(a: Any, b: Any, tol: float = 1e-9, path: str = "") -> None:
    """Deep equality with floats equal to `tol` (relative and absolute)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_close(a[k], b[k], tol, f"{path}.{k}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, tol, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=tol, abs_tol=tol), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def same_on_every_engine(tables: dict[str, pa.Table], analysis: Callable[[Warehouse], Any]) -> Any:
    """Run `analysis` on DuckDB and Spark; assert equal results; return DuckDB's."""
    results = [analysis(warehouse_on(e, tables)) for e in ENGINES]
    dumps = [r.model_dump(mode="json") if hasattr(r, "model_dump") else r for r in results]
    assert_close(dumps[0], dumps[1])
    return results[0]
