"""The warehouse honours the memory limit the settings give it, and keeps DuckDB's default otherwise."""

from __future__ import annotations

from pathlib import Path

from suara.runtime import Runtime
from suara.settings import Settings


def _limit(rt: Runtime) -> str:
    return str(rt.warehouse.cursor().execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[index]


def test_memory_limit_from_the_settings(tmp_path: Path) -> None:
    with Runtime.open(Settings(data_dir=tmp_path / "a", warehouse_memory_limit="1GB")) as rt:
        capped = _limit(rt)
    with Runtime.open(Settings(data_dir=tmp_path / "b")) as rt:
        default = _limit(rt)
    assert capped.endswith("MiB") and 900 < float(capped.split()[0]) <= 1000  # DuckDB reports 1GB as 953.6 MiB
    assert default != capped
