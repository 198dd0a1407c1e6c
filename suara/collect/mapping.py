"""Column mapping for file imports: which column of an export feeds which field, plus the value parsers.

A mapping names `field=column` pairs (`--map rating=stars`) or comes from a JSON or TOML file of the same pairs;
fields left unmapped are looked up under their default column names, case and punctuation ignored.
"""

from __future__ import annotations

import email.utils
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from suara.errors import BadRequest

# Tried in order when no --date-format is given; slashed and dotted dates are read day first, as in most markets.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S.%f %z",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y %H:%M",
    "%b %d, %Y %H:%M",
    "%a %b %d %H:%M:%S %z %Y",
)
TRUE = frozenset({"true", "yes", "y", "1", "t"})
FALSE = frozenset({"false", "no", "n", "0", "f", ""})


def normalise(name: str) -> str:
    """A column name compared loosely: 'Customer Rating', 'customer_rating' and 'customer-rating' are the same."""
    return re.sub(r"[^0-9a-z]+", "", name.lower())


class ColumnMapping:
    """`field -> column` pairs chosen by the user, and constants (`--set field=value`) for fields no column holds."""

    def __init__(self, columns: dict[str, str] | None = None, constants: dict[str, str] | None = None) -> None:
        self.columns = dict(columns or {})
        self.constants = dict(constants or {})

    @classmethod
    def build(cls, pairs: Sequence[str] = (), file: Path | None = None, constants: Sequence[str] = ()) -> ColumnMapping:
        """From `--map field=column` options over a mapping file's pairs, and `--set field=value` constants."""
        columns = _read_file(file) if file is not None else {}
        columns.update(_pairs(pairs, "--map", "field=column"))
        return cls(columns, _pairs(constants, "--set", "field=value"))

    def check_fields(self, known: Iterable[str]) -> None:
        names = set(known)
        for name in [*self.columns, *self.constants]:
            if name not in names:
                raise BadRequest(f"unknown field {name!r} in the mapping; fields are: {', '.join(sorted(names))}")

    def resolve(self, field: str, defaults: Sequence[str], available: Iterable[str]) -> str | None:
        """The column feeding `field`: the mapped one, else the first default column present, else None."""
        by_norm = {normalise(c): c for c in available}
        if field in self.columns:
            return by_norm.get(normalise(self.columns[field]))
        for name in (field, *defaults):
            if (found := by_norm.get(normalise(name))) is not None:
                return found
        return None


def _pairs(items: Sequence[str], option: str, shape: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise BadRequest(f"{option} takes {shape}, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _read_file(path: Path) -> dict[str, str]:
    """A mapping file: a JSON object or a TOML table of field = column (a TOML `[map]` table also works)."""
    if not path.is_file():
        raise BadRequest(f"no such mapping file: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadRequest(f"cannot read the mapping file {path.name}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("map"), dict):
        data = data["map"]
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BadRequest(f"the mapping file {path.name} must map field names to column names (strings)")
    return {str(k): v for k, v in data.items()}


# -- value parsers: each takes the raw cell (str, or any JSON value) and raises ValueError with a message -------------
def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_instant(value: Any, date_format: str | None = None) -> datetime:
    """An instant as naive UTC: ISO 8601, common day-first dates, RFC 2822, Twitter's format or epoch seconds/ms.
    A value without a zone is taken as UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _epoch(float(value))
    text = str(value).strip()
    parsed = _parse_text(text, date_format)
    if parsed is None:
        hint = f"the format {date_format!r}" if date_format else "ISO 8601 (2026-03-02T09:00:00Z) or pass --date-format"
        raise ValueError(f"cannot read {text!r} as a date; use {hint}")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _parse_text(text: str, date_format: str | None) -> datetime | None:
    if date_format:
        try:
            return datetime.strptime(text, date_format)
        except ValueError:
            return None
    if re.fullmatch(r"\d{10}(\.\d+)?|\d{13}", text):
        return _epoch(float(text))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _epoch(seconds: float) -> datetime:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def parse_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


def parse_rating(value: Any) -> float:
    """A star rating on 1-5 ('4', '4.5', '4,5' and '4/5' all read)."""
    text = str(value).strip()
    if text.endswith("/5"):
        text = text[:-2]
    number = parse_number(text)
    if not 1 <= number <= 5:
        raise ValueError(f"a rating must be from 1 to 5, got {number:g}")
    return number


def parse_count(value: Any) -> int:
    number = parse_number(value)
    if not number.is_integer() or number < 0:
        raise ValueError(f"expected a whole number of 0 or more, got {value!r}")
    return int(number)


def parse_flag(value: Any) -> bool:
    """true/false, yes/no, 1/0; a count of reopenings also reads as a flag (more than 0 is true)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    if text.isdecimal():
        return int(text) > 0
    raise ValueError(f"expected true or false (or yes/no, 1/0), got {value!r}")


def parse_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value)


def parse_key(value: Any) -> str:
    """A source or network name as stored: 'Google Play' becomes 'google_play'."""
    return re.sub(r"[^0-9a-z]+", "_", str(value).strip().lower()).strip("_")
