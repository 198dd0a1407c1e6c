"""The single warehouse writer: group-commits micro-batches and answers each submitter after its commit."""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from suara.store.warehouse import FACTS, Warehouse, to_arrow

log = logging.getLogger(__name__)

# A table of at most this many rows goes into DuckDB inline, as JSON text that DuckDB parses itself. Scanning an
# Arrow table calls back into Python from DuckDB's threads, so each scan waits for the GIL that the event loop
# holds; in a small commit those waits cost more than the parse, in a large one the parse costs more.
INLINE_MAX_ROWS = 256
IDLE_CHECKPOINT_S = 1.0  # seconds without a write before the writer checkpoints

KEY_COLUMNS = {"workspace_id": "string", "kind": "string", "key": "string"}
_SQL_TYPES = {
    "string": "VARCHAR",
    "float64": "DOUBLE",
    "timestamp": "TIMESTAMP",
    "int32": "INTEGER",
    "boolean": "BOOLEAN",
}
# Python types a column takes inline; anything else (NaN, numpy or pandas scalars, aware instants) goes as Arrow,
# so both ways store the same values and refuse the same ones.
_INLINE_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "float64": frozenset({float, int}),
    "timestamp": frozenset({datetime}),
    "int32": frozenset({int}),
    "boolean": frozenset({bool}),
}


@dataclass
class Unit:
    """One logical item (a response with its answers, an event, ...): written whole or skipped whole."""

    key: str
    rows: dict[str, list[dict[str, Any]]]


@dataclass
class WriteBatch:
    """What one request writes: units of one kind in one workspace, all-or-nothing."""

    workspace_id: str
    kind: str
    units: list[Unit]
    future: Future[WriteResult] = field(default_factory=Future)


@dataclass(frozen=True)
class WriteResult:
    accepted: int
    duplicates: int
    accepted_keys: tuple[str, ...]


_STOP = object()


class Writer:
    """Owns every write to the DuckDB warehouse. Batches queued while one commit runs go into the next commit."""

    def __init__(self, warehouse: Warehouse, max_rows: int = 20_000) -> None:
        self._warehouse = warehouse
        self._max_rows = max_rows
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="suara-writer", daemon=True)
        self._started = False
        self._lock = threading.Lock()
        self._last_stamp = datetime.min
        self._last_commit = -float("inf")  # time.monotonic() of the last commit

    def idle_for(self) -> float:
        """Seconds since the last commit: near 0 while ingestion is busy."""
        return time.monotonic() - self._last_commit

    def start(self) -> Writer:
        with self._lock:
            if not self._started:
                self._thread.start()
                self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)

    def submit(self, batch: WriteBatch) -> Future[WriteResult]:
        if not self._started:
            self.start()
        self._queue.put(batch)
        return batch.future

    def write(self, batch: WriteBatch, timeout: float = 60) -> WriteResult:
        """Submit and wait for the commit (for callers outside an event loop)."""
        return self.submit(batch).result(timeout=timeout)

    # -- the writer thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        cur = self._warehouse.cursor()
        dirty = False
        while True:
            try:
                first = self._queue.get(timeout=IDLE_CHECKPOINT_S if dirty else None)
            except queue.Empty:
                dirty = not self._checkpoint(cur)
                continue
            if first is _STOP:
                return
            dirty = True
            group = [first]
            rows = _row_count(first)
            stop = False
            while rows < self._max_rows:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                group.append(nxt)
                rows += _row_count(nxt)
            self._commit_group(cur, group)
            if stop:
                return

    @staticmethod
    def _checkpoint(cur: Any) -> bool:
        """Fold the WAL into the database file while nothing waits, so a checkpoint seldom stalls a burst."""
        try:
            cur.execute("CHECKPOINT")
        except duckdb.Error:  # e.g. a long read holds the database: try again at the next pause
            log.debug("idle checkpoint skipped", exc_info=True)
            return False
        return True

    def _stamp(self) -> datetime:
        """The commit's `ingested_at`: strictly increasing in commit order, so a feed cursor never skips a commit."""
        now = datetime.now(UTC).replace(tzinfo=None)
        self._last_stamp = max(now, self._last_stamp + timedelta(microseconds=1))
        return self._last_stamp

    def _commit_group(self, cur: Any, group: list[WriteBatch]) -> None:
        self._last_commit = time.monotonic()
        try:
            results = _commit(cur, group, self._stamp())
        except Exception:  # one bad batch must not fail the others: retry each on its own
            log.exception("group commit failed; retrying batches one by one")
            for batch in group:
                try:
                    (result,) = _commit(cur, [batch], self._stamp())
                except Exception as exc:
                    batch.future.set_exception(exc)
                else:
                    batch.future.set_result(result)
            return
        for batch, result in zip(group, results, strict=True):
            batch.future.set_result(result)


def _row_count(batch: WriteBatch) -> int:
    return sum(len(r) for u in batch.units for r in u.rows.values())


def _commit(cur: Any, group: list[WriteBatch], committed_at: datetime | None = None) -> list[WriteResult]:
    """Write a group in one transaction: its keys (the primary key refuses repeats), then the rows of new items."""
    seen: set[tuple[str, str, str]] = set()
    fresh: list[list[Unit]] = []
    for batch in group:  # a key repeated within the group counts once
        keep = []
        for unit in batch.units:
            k = (batch.workspace_id, batch.kind, unit.key)
            if k not in seen:
                seen.add(k)
                keep.append(unit)
        fresh.append(keep)
    keys = sorted(seen)
    try:  # the common case, every key new: one round trip into DuckDB for the whole transaction
        _write(cur, keys, _rows(group, fresh, seen), committed_at=committed_at)
        new = seen
    except duckdb.ConstraintException:  # a retry among them: learn which keys are new, then write only those
        cur.execute("BEGIN TRANSACTION")
        try:
            new = _insert_keys(cur, keys)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        _write(cur, [], _rows(group, fresh, new), begin=False, committed_at=committed_at)
    return [
        WriteResult(accepted=len(acc), duplicates=len(batch.units) - len(acc), accepted_keys=tuple(acc))
        for batch, units in zip(group, fresh, strict=True)
        for acc in [[u.key for u in units if (batch.workspace_id, batch.kind, u.key) in new]]
    ]


def _rows(group: list[WriteBatch], fresh: list[list[Unit]], new: set[tuple[str, str, str]]) -> dict[str, list[Any]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for batch, units in zip(group, fresh, strict=True):
        for unit in units:
            if (batch.workspace_id, batch.kind, unit.key) in new:
                for table, rows in unit.rows.items():
                    tables.setdefault(table, []).extend(rows)
    return tables


def _write(
    cur: Any,
    keys: list[tuple[str, str, str]],
    tables: dict[str, list[dict[str, Any]]],
    begin: bool = True,
    committed_at: datetime | None = None,
) -> None:
    """Keys and rows in one multi-statement call, so the writer crosses into DuckDB (and back for the GIL) once."""
    statements = ["BEGIN TRANSACTION"] if begin else []
    names = []
    if keys:
        key_rows = [{"workspace_id": w, "kind": k, "key": key} for w, k, key in keys]
        inline = _inline_insert("ingest_keys", KEY_COLUMNS, key_rows, None)
        if inline is None:
            cur.register("_keys", _keys_table(keys))
            names.append("_keys")
            inline = "INSERT INTO ingest_keys SELECT workspace_id, kind, key FROM _keys"
        statements.append(inline)
    for i, (table, rows) in enumerate(tables.items()):
        stamp_at = committed_at if "ingested_at" in FACTS[table] else None
        inline = _inline_insert(table, FACTS[table], rows, stamp_at)
        if inline is None:
            cur.register(f"_rows{i}", to_arrow(table, rows))
            names.append(f"_rows{i}")
            stamp = f"REPLACE ({_timestamp(stamp_at)} AS ingested_at)" if stamp_at is not None else ""
            inline = f'INSERT INTO "{table}" BY NAME SELECT * {stamp} FROM _rows{i}'
        statements.append(inline)
    statements.append("COMMIT")
    try:
        cur.execute(";\n".join(statements))
    except BaseException:
        cur.execute("ROLLBACK")  # before unregistering: a view dropped inside the failed transaction would come back
        raise
    finally:
        for name in names:
            cur.unregister(name)


def _timestamp(at: datetime) -> str:
    return f"TIMESTAMP '{at:%Y-%m-%d %H:%M:%S.%f}'"


def _inline_insert(
    table: str, columns: Mapping[str, str], rows: list[dict[str, Any]], stamp_at: datetime | None
) -> str | None:
    """An INSERT carrying `rows` as one JSON literal of columns, or None when they go as Arrow instead (too many
    rows, or a value of a type the JSON way does not take exactly). `stamp_at` replaces every `ingested_at`."""
    if len(rows) > INLINE_MAX_ROWS:
        return None
    data: dict[str, list[Any]] = {}
    for name, dtype in columns.items():
        if stamp_at is not None and name == "ingested_at":
            continue
        values = [r.get(name) for r in rows]
        kinds = set(map(type, values)) - {type(None)}
        if not kinds <= _INLINE_TYPES[dtype]:
            return None
        present = [v for v in values if v is not None] if kinds else []
        if float in kinds and not all(map(math.isfinite, present)):
            return None  # JSON has no NaN or infinity
        if dtype == "int32" and not all(-(2**31) <= v < 2**31 for v in present):
            return None  # out of range: let Arrow refuse it
        if dtype == "timestamp" and any(v.tzinfo is not None for v in present):
            return None
        data[name] = values
    try:
        text = orjson.dumps(data).decode()
    except orjson.JSONEncodeError:  # e.g. a lone surrogate in a string
        return None
    spec = orjson.dumps({name: [_SQL_TYPES[columns[name]]] for name in data}).decode()
    select = [f'unnest(j."{name}") AS "{name}"' for name in data]
    if stamp_at is not None:
        select.append(f"{_timestamp(stamp_at)} AS ingested_at")
    # A JSON text holds no raw control characters and DuckDB reads no escapes in '...': doubling ' is enough.
    literal = text.replace("'", "''")
    return (
        f'INSERT INTO "{table}" BY NAME SELECT {", ".join(select)} '
        f"FROM (SELECT from_json_strict('{literal}', '{spec}') AS j)"
    )


def _insert_keys(cur: Any, keys: list[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    if not keys:
        return set()
    data = pa.table({"workspace_id": [k[0] for k in keys], "kind": [k[1] for k in keys], "key": [k[2] for k in keys]})
    cur.register("_keys", data)
    try:
        got = cur.execute(
            "INSERT OR IGNORE INTO ingest_keys SELECT workspace_id, kind, key FROM _keys "
            "RETURNING workspace_id, kind, key"
        ).fetchall()
    finally:
        cur.unregister("_keys")
    return {tuple(r) for r in got}  # type: ignore[misc]


def _keys_table(keys: list[tuple[str, str, str]]) -> pa.Table:
    return pa.table({"workspace_id": [k[0] for k in keys], "kind": [k[1] for k in keys], "key": [k[2] for k in keys]})


def _append(cur: Any, table: str, data: pa.Table) -> None:
    cur.register("_rows", data)
    try:
        cur.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _rows')
    finally:
        cur.unregister("_rows")
