"""What the command groups share: the open runtime with the chosen workspace, and JSON given inline or as @FILE.

suara.cli is imported inside `workspace_session`, so that it and the command modules can import each other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from suara.errors import ValidationFailed


@contextmanager
def workspace_session() -> Iterator[tuple[Any, str]]:
    """The runtime of `--data-dir` and the workspace `--workspace` names (or the only one)."""
    from suara.cli import _runtime, _workspace_id

    with _runtime() as rt:
        yield rt, _workspace_id(rt)


def json_object(raw: str, example: str, option: str = "--definition") -> dict[str, Any]:
    """A JSON object from the option's text, or from a file when the text starts with @."""
    text = raw
    if raw.startswith("@"):
        try:
            text = Path(raw[1:]).read_text()
        except OSError as exc:
            raise ValidationFailed(f"{option}: cannot read {raw[1:]!r}: {exc.strerror}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{option}: not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise ValidationFailed(f"{option}: expected a JSON object such as {example}")
    return value
