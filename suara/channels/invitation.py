"""A survey invitation as the outbox carries it, and the survey text it is rendered from.

Payload (written by whoever enqueues the invitation): `survey_id`, `version`, `locale`, `customer_id`, `token` (a
hosted-link token from `suara.surveys.links`), `unsubscribe_url` (absolute, may be empty) and `base_url` (absolute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from suara.notify.channels import PermanentFailure
from suara.store.app import AppStore, WorkspaceRepo
from suara.surveys.definition import SurveyDefinition, question_scale
from suara.surveys.rendering import RenderedQuestion, RenderedSurvey, render

_FIELDS = ("survey_id", "version", "locale", "customer_id", "token", "unsubscribe_url", "base_url")


@dataclass(frozen=True)
class Invitation:
    survey_id: str
    version: int
    locale: str
    customer_id: str
    token: str
    unsubscribe_url: str
    base_url: str

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Invitation:
        """The invitation in an outbox payload; PermanentFailure names what is missing (a retry cannot add it)."""
        missing = [f for f in _FIELDS if f not in payload and f != "unsubscribe_url"]
        if missing:
            raise PermanentFailure(f"the invitation payload lacks {', '.join(missing)}")
        base = str(payload["base_url"]).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise PermanentFailure(f"base_url must be an absolute http(s) URL, got {base!r}")
        return cls(
            survey_id=str(payload["survey_id"]),
            version=int(payload["version"]),
            locale=str(payload["locale"] or ""),
            customer_id=str(payload["customer_id"]),
            token=str(payload["token"]),
            unsubscribe_url=str(payload.get("unsubscribe_url") or ""),
            base_url=base,
        )

    @property
    def survey_url(self) -> str:
        return f"{self.base_url}/s/{quote(self.token, safe='')}"

    def score_url(self, score: int) -> str:
        """The one-click link: the hosted page opens with this score selected (it is stored once the form is sent)."""
        return f"{self.survey_url}?score={score}"


@dataclass(frozen=True)
class Content:
    """The invitation with its survey rendered in the reader's locale; `lead` is the question the message asks."""

    invitation: Invitation
    survey: RenderedSurvey
    lead: RenderedQuestion
    one_click: bool

    @property
    def locale(self) -> str:
        return self.survey.locale


def load_definition(store: AppStore, workspace_id: str, survey_key: str, version: int) -> SurveyDefinition:
    """The stored definition of one survey version; PermanentFailure when it does not exist or is not valid."""
    with store.session() as s:
        repo = WorkspaceRepo(s, workspace_id)
        survey = repo.survey(survey_key)
        found = [v for v in repo.survey_versions(survey) if v.version == version] if survey else []
        raw = found[0].definition if found else None
    if raw is None:
        raise PermanentFailure(f"no survey {survey_key!r} version {version} in workspace {workspace_id}")
    try:
        return SurveyDefinition.model_validate(raw)
    except ValidationError as exc:
        raise PermanentFailure(f"survey {survey_key!r} version {version} is not valid: {exc}") from None


def content(store: AppStore, workspace_id: str, payload: dict[str, Any]) -> Content:
    """Render the invitation: the one-click question is the survey's first scale question, as on the hosted page."""
    invitation = Invitation.from_payload(payload)
    defn = load_definition(store, workspace_id, invitation.survey_id, invitation.version)
    survey = render(defn, invitation.locale or None)
    scaled = next((q.id for q in defn.questions if question_scale(q) is not None), None)
    lead = next((q for q in survey.questions if q.id == scaled), survey.questions[0])
    return Content(invitation, survey, lead, one_click=scaled is not None)
