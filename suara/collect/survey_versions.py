"""Check responses that name a survey version against that stored version, with the definitions cached in memory.

A published version never changes, so a definition read once is kept (per workspace, survey and version) and the
check costs a dictionary lookup per response. A response without `survey_version` is not checked: its `survey_id` may
be any label (an imported program name, a survey run elsewhere).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from suara.domain.records import ResponseIn
from suara.errors import ValidationFailed
from suara.store.app import AppStore, Survey, SurveyVersion
from suara.surveys.answers import answer_problems
from suara.surveys.definition import SurveyDefinition

Key = tuple[str, str, int]

# Problems not held against an API response: partial answers (a one-click score, an abandoned widget) are kept.
LENIENT = frozenset({"required"})


class SurveyVersions:
    """Stored survey definitions by (workspace, survey key, version), read once and kept (at most `size`)."""

    def __init__(self, store: AppStore, size: int = 2048) -> None:
        self._store = store
        self._size = size
        self._cache: OrderedDict[Key, SurveyDefinition | str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, workspace_id: str, survey: str, version: int) -> SurveyDefinition | str:
        """The definition, or a message saying why there is none (missing versions are not cached: one may be
        published later)."""
        key = (workspace_id, survey, version)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        loaded = self._load(workspace_id, survey, version)
        if isinstance(loaded, SurveyDefinition):
            with self._lock:
                self._cache[key] = loaded
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return loaded

    def _load(self, workspace_id: str, survey: str, version: int) -> SurveyDefinition | str:
        with self._store.session() as s:
            row = s.execute(
                select(SurveyVersion.definition)
                .join(Survey, Survey.id == SurveyVersion.survey_id)
                .where(Survey.workspace_id == workspace_id, Survey.key == survey, SurveyVersion.version == version)
            ).first()
            if row is None:
                known = s.scalars(
                    select(SurveyVersion.version)
                    .join(Survey, Survey.id == SurveyVersion.survey_id)
                    .where(Survey.workspace_id == workspace_id, Survey.key == survey)
                    .order_by(SurveyVersion.version)
                ).all()
        if row is None:
            if not known:
                return f"no survey {survey!r} in this workspace"
            return f"survey {survey!r} has no version {version}; its versions are {', '.join(map(str, known))}"
        try:
            return SurveyDefinition.model_validate(row[0])
        except ValidationError:
            return f"survey {survey!r} version {version} is not a valid definition; publish a new version"

    def check(self, workspace_id: str, items: Sequence[ResponseIn], location: str) -> None:
        """Raise ValidationFailed naming each item (by index) and field that does not fit its survey version."""
        errors: list[dict[str, Any]] = []
        for i, r in enumerate(items):
            at: tuple[str | int, ...] = (location, i)  # as validate_items names items
            if r.survey_version is None:
                continue
            if r.survey_id is None:
                errors.append(_error((*at, "survey_id"), "a response naming survey_version must name its survey_id"))
                continue
            found = self.get(workspace_id, r.survey_id, r.survey_version)
            if isinstance(found, str):
                errors.append(_error((*at, "survey_version"), found))
                continue
            for p in answer_problems(found, r.answers, (*at, "answers")):
                if p.code not in LENIENT:
                    errors.append(_error(p.loc, p.message, p.code))
        if errors:
            first = errors[0]
            raise ValidationFailed(
                f"{len(errors)} error(s) against the survey versions; nothing was written. "
                f"First: {first['pointer']}: {first['message']}",
                errors=errors,
            )


def _error(loc: tuple[str | int, ...], message: str, code: str = "survey_version") -> dict[str, Any]:
    return {"loc": list(loc), "pointer": "/" + "/".join(str(x) for x in loc), "message": message, "type": code}
