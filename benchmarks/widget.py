"""The embeddable widget's weight: `suara/web/ui/static/widget.js` raw and gzipped (what a visitor downloads).

Target: at most 15 KB gzipped. Gzip at level 9, as a server or CDN compressing static files ahead of time would;
level 6 (the usual on-the-fly default) is shown beside it.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

from _common import machine, table, write_section

WIDGET = Path(__file__).resolve().parents[1] / "suara" / "web" / "ui" / "static" / "widget.js"
TARGET_BYTES = 15 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="same as a full run: the measurement is instant")
    parser.parse_args()
    raw = WIDGET.read_bytes()
    sizes = {level: len(gzip.compress(raw, compresslevel=level, mtime=0)) for level in (6, 9)}
    rows = [
        ["raw", f"{len(raw):,} B", f"{len(raw) / 1024:.1f} KB"],
        ["gzip -6", f"{sizes[6]:,} B", f"{sizes[6] / 1024:.1f} KB"],
        ["gzip -9", f"{sizes[9]:,} B", f"{sizes[9] / 1024:.1f} KB"],
    ]
    verdict = "meets" if sizes[9] <= TARGET_BYTES else "misses"
    body = f"""## Web widget size (`benchmarks/widget.py`)

Measured {machine([]).rstrip(", ")}.

`suara/web/ui/static/widget.js`, one file with no dependencies (its styles are inside), as served from `/static/`.

{table(["form", "bytes", "size"], rows)}

Verdict: {sizes[9] / 1024:.1f} KB gzipped {verdict} the target of at most 15 KB gzipped.
"""
    write_section("widget", body)


if __name__ == "__main__":
    main()
