"""The widget script stays small and self-contained: a visitor downloads one file of at most 15 KB gzipped."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

WIDGET = Path(__file__).resolve().parents[2] / "suara" / "web" / "ui" / "static" / "widget.js"


def test_the_widget_is_at_most_15_kb_gzipped() -> None:
    assert len(gzip.compress(WIDGET.read_bytes(), compresslevel=9)) <= 15 * 1024


def test_the_widget_loads_nothing_else() -> None:
    code = re.sub(r"/\*.*?\*/", "", WIDGET.read_text(), flags=re.S)  # the header comment shows an example URL
    assert not re.search(r"\bimport\b|https?://|createElement\(\"script\"\)|@import", code)
