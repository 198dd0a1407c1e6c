"""The warehouse: append-only fact tables behind Ibis, a DuckDB file by default, any Ibis backend for analysis."""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

S, F, T, INT, B = "string", "float64", "timestamp", "int32", "boolean"

# Fact tables. Every row carries workspace_id; instants are naive UTC. Survey answers are long: one row per answer.
FACTS: dict[str, dict[str, str]] = {
    "responses": {
        "workspace_id": S,
        "response_id": S,
        "survey_id": S,
        "survey_version": INT,
        "customer_id": S,
        "channel": S,
        "touchpoint": S,
        "locale": S,
        "submitted_at": T,
        "ingested_at": T,
    },
    "answers": {
        "workspace_id": S,
        "response_id": S,
        "question_id": S,
        "kind": S,
        "number": F,
        "text": S,
        "choice": S,
    },
    # Extra fields of a response (one row per field), usable in breakdowns like traits.
    "response_fields": {"workspace_id": S, "response_id": S, "name": S, "value": S},
    "events": {
        "workspace_id": S,
        "event_id": S,
        "type": S,
        "event": S,
        "customer_id": S,
        "anonymous_id": S,
        "timestamp": T,
        "properties": S,
        "ingested_at": T,
    },
    # Customer traits, one row per trait per identify call; read through `traits()`.
    "identities": {"workspace_id": S, "customer_id": S, "trait": S, "value": S, "observed_at": T, "ingested_at": T},
    # Reviews, social posts and ticket texts; `likes` is a social post's like count (null elsewhere and on rows
    # written before it existed).
    "feedback": {
        "workspace_id": S,
        "feedback_id": S,
        "source": S,
        "customer_id": S,
        "text": S,
        "rating": F,
        "url": S,
        "author": S,
        "title": S,
        "locale": S,
        "touchpoint": S,
        "created_at": T,
        "ingested_at": T,
        "likes": INT,
    },
    "orders": {
        "workspace_id": S,
        "order_id": S,
        "customer_id": S,
        "ordered_at": T,
        "amount": F,
        "currency": S,
        "status": S,
        "ingested_at": T,
    },
    # Support tickets from a help desk: when opened, first answered, resolved; customer contacts until resolution;
    # the agent assigned (null on rows written before it existed).
    "tickets": {
        "workspace_id": S,
        "ticket_id": S,
        "customer_id": S,
        "channel": S,
        "touchpoint": S,
        "subject": S,
        "status": S,
        "created_at": T,
        "first_response_at": T,
        "resolved_at": T,
        "contacts": INT,
        "reopened": B,
        "csat": F,
        "ingested_at": T,
        "agent": S,
    },
    # Text enrichments (language, sentiment, themes) of feedback and comments, appended after ingestion; the item's
    # instant, customer and source are copied so metrics read one table. `themes` holds the aspects mentioned and
    # `aspect_sentiments` each one's own polarity ("delivery:1;price:-1"; null on rows enriched before it existed).
    "enrichments": {
        "workspace_id": S,
        "item_kind": S,
        "item_id": S,
        "customer_id": S,
        "source": S,
        "touchpoint": S,
        "at": T,
        "language": S,
        "sentiment": INT,
        "sentiment_score": F,
        "themes": S,
        "model": S,
        "enriched_at": T,
        "aspect_sentiments": S,
    },
}

CHECKPOINT_THRESHOLD = "256MB"
_DUCKDB_TYPES = {S: "VARCHAR", F: "DOUBLE", T: "TIMESTAMP", INT: "INTEGER", B: "BOOLEAN"}  # for added columns

# Columns of `responses` a metric can break down or filter by directly.
RESPONSE_COLUMNS = ("survey_id", "channel", "touchpoint", "locale", "customer_id")


def schema(table: str) -> ibis.Schema:
    return ibis.schema(FACTS[table])


@functools.cache
def arrow_schema(table: str) -> pa.Schema:
    return schema(table).to_pyarrow()


def to_arrow(table: str, rows: list[dict[str, Any]] | Mapping[str, Any]) -> pa.Table:
    """Rows (a list of dicts, or a dict of columns) as an Arrow table with the fact table's exact schema."""
    sch = arrow_schema(table)
    if isinstance(rows, Mapping):
        return pa.table({f.name: pa.array(rows[f.name], type=f.type) for f in sch}, schema=sch)
    return pa.Table.from_pylist(rows, schema=sch)


class Warehouse:
    """Fact tables on an Ibis backend. Reads go through `table()`; the embedded DuckDB file also takes writes."""

    def __init__(self, backend: ibis.BaseBackend, duckdb_con: Any | None = None) -> None:
        self.backend = backend
        self._duckdb = duckdb_con
        self._local = threading.local()

    # -- opening -------------------------------------------------------------------------------------------
    @classmethod
    def open_duckdb(cls, path: Path | str | None = None, memory_limit: str | None = None) -> Warehouse:
        """Open (creating if needed) a DuckDB warehouse file; `None` gives an in-memory one.

        `memory_limit` (e.g. "3GB") caps DuckDB's memory; beyond it large joins and sorts spill to disk.
        """
        import duckdb

        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": memory_limit} if memory_limit else {}
        con = duckdb.connect(str(path) if path is not None else ":memory:", config=config)
        con.execute("SET TimeZone = 'UTC'")
        # The writer checkpoints whenever ingestion pauses; a high automatic threshold keeps the stall of a
        # checkpoint out of a burst of writes (DuckDB's default is 16 MB of WAL).
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        wh = cls(ibis.duckdb.from_connection(con), con)
        wh.ensure_schema()
        return wh

    @classmethod
    def on_backend(cls, backend: ibis.BaseBackend) -> Warehouse:
        """A warehouse on any Ibis backend (Spark in the parity tests), with the fact tables created empty."""
        wh = cls(backend)
        wh.ensure_schema()
        return wh

    def ensure_schema(self) -> None:
        existing = set(self.backend.list_tables())
        for name in FACTS:
            if name not in existing:
                self.backend.create_table(name, schema=schema(name))
            elif self._duckdb is not None:
                _add_columns(self._duckdb, name)
        if self._duckdb is not None:
            # Idempotency keys: the primary key makes a retried write count once.
            self._duckdb.execute(
                "CREATE TABLE IF NOT EXISTS ingest_keys (workspace_id VARCHAR, kind VARCHAR, key VARCHAR, "
                "PRIMARY KEY (workspace_id, kind, key))"
            )

    def close(self) -> None:
        if self._duckdb is not None:
            self._duckdb.close()

    # -- reading -------------------------------------------------------------------------------------------
    @property
    def reader(self) -> ibis.BaseBackend:
        """A backend safe to use from the calling thread (DuckDB connections are per thread)."""
        if self._duckdb is None:
            return self.backend
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = ibis.duckdb.from_connection(self._duckdb.cursor())
            self._local.backend = backend
        return backend

    def table(self, name: str, workspace_id: str | None = None) -> ir.Table:
        t = self.reader.table(name)
        return t if workspace_id is None else t.filter(t.workspace_id == workspace_id)

    def traits(self, workspace_id: str | None = None) -> ir.Table:
        """Latest value of each trait per customer: (workspace_id, customer_id, trait, value)."""
        ident = self.table("identities", workspace_id)
        return ident.group_by(["workspace_id", "customer_id", "trait"]).aggregate(
            value=ident.value.argmax(ident.observed_at)
        )

    def count(self, name: str, workspace_id: str | None = None) -> int:
        return int(self.table(name, workspace_id).count().execute())

    # -- writing (bulk) ------------------------------------------------------------------------------------
    def cursor(self) -> Any:
        """A raw DuckDB cursor for the single writer; only the embedded warehouse takes writes."""
        if self._duckdb is None:
            raise RuntimeError("this warehouse backend is read-only for suara; ingest into the DuckDB warehouse")
        return self._duckdb.cursor()

    def load(self, name: str, data: pa.Table, cursor: Any | None = None) -> None:
        """Append an Arrow table with the fact schema in one statement (bulk loads: demo, benchmarks, parity).

        Pass a DuckDB `cursor` to load inside the caller's transaction.
        """
        data = data.select(list(FACTS[name])).cast(arrow_schema(name))
        if self._duckdb is None:
            self.backend.insert(name, data)
            return
        cur = cursor or self._duckdb.cursor()
        cur.register("_load", data)
        try:
            cur.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _load')
        finally:
            cur.unregister("_load")


def _add_columns(con: Any, name: str) -> None:
    """Schema evolution of the DuckDB file: a column added to a fact since its table was created is added as a
    nullable column, so rows written before it read as null. Columns are only ever added, never changed."""
    have = {r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}
    for column, dtype in FACTS[name].items():
        if column not in have:
            con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {_DUCKDB_TYPES[dtype]}')


# -- event properties ----------------------------------------------------------------------------------------
@ibis.udf.scalar.builtin(name="json_extract_string")
def _duckdb_json(doc: str, path: str) -> str:  # type: ignore[empty-body]
    """DuckDB's JSON field as text."""


@ibis.udf.scalar.builtin(name="get_json_object")
def _spark_json(doc: str, path: str) -> str:  # type: ignore[empty-body]
    """Spark's JSON field as text."""


def event_property(wh: Warehouse, properties: ir.StringValue, name: str) -> ir.StringValue:
    """An event property as text (numbers and booleans as their JSON text; null when missing).

    DuckDB and Spark have a native function; elsewhere Ibis' JSON access reads string values only.
    """
    engine, plain = wh.reader.name, name.isidentifier()
    if engine == "duckdb":
        return _duckdb_json(properties, "$." + name if plain else '$."' + name.replace('"', "") + '"')
    if engine == "pyspark":
        return _spark_json(properties, "$." + name if plain else "$['" + name.replace("'", "") + "']")
    return properties.cast("json")[name].str
