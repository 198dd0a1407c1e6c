"""The survey builder's form: a draft definition read from (and written back to) plain form fields.

The whole draft lives in the form, so adding, removing or reordering a question is a round trip that re-renders the
editor from the posted fields; nothing is stored until the survey is published. Parts the editor has no control for
(help texts, scale labels, intro and thanks, hand-written conditions) travel in hidden JSON fields and are kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from suara.surveys.rendering import locale_chain, pick
from suara.surveys.wording import Finding, lint_text

Form = Mapping[str, Sequence[str]]

LOCALES = {"en": "English", "id": "Indonesian", "ms": "Malay", "ru": "Russian"}

# Builder kind -> (definition kind, CES scale, label): CES comes in its two scales.
KINDS: dict[str, tuple[str, str | None, str]] = {
    "nps": ("nps", None, "NPS (0-10)"),
    "csat": ("csat", None, "CSAT (1-5)"),
    "ces_7": ("ces", "agreement_7", "CES, agreement (1-7)"),
    "ces_5": ("ces", "effort_5", "CES, effort (1-5)"),
    "rating": ("rating", None, "Rating (1-5 stars)"),
    "single_choice": ("single_choice", None, "Single choice"),
    "multiple_choice": ("multiple_choice", None, "Multiple choice"),
    "open_text": ("open_text", None, "Open text"),
    "attitudinal": ("attitudinal", None, "Attitudinal (1-5 agreement)"),
    "repurchase_intent": ("repurchase_intent", None, "Repurchase intent (1-5)"),
}

# The first wording of a new question, in English; the linter passes each.
NEW_TEXT = {
    "nps": "How likely are you to recommend us to a friend or colleague?",
    "csat": "How would you rate your satisfaction with your recent experience?",
    "ces_7": "To what extent do you agree or disagree: “It was easy to get what I needed.”",
    "ces_5": "How much effort did it take to get what you needed?",
    "rating": "How would you rate your recent experience?",
    "single_choice": "Which of these did you use?",
    "multiple_choice": "Which of these did you use?",
    "open_text": "What is the main reason for your answer?",
    "attitudinal": "To what extent do you agree or disagree: “The service met my expectations.”",
    "repurchase_intent": "How likely are you to buy from us again in the next 30 days?",
}

# Who counts as a detractor on each scale, for a follow-up asked of them only.
DETRACTORS: dict[str, tuple[str, int]] = {
    "nps": ("lte", 6),
    "csat": ("lte", 3),
    "rating": ("lte", 3),
    "ces_7": ("lte", 3),
    "ces_5": ("gte", 4),
    "attitudinal": ("lte", 2),
    "repurchase_intent": ("lte", 2),
}

# Question fields without a control in the editor, carried through in `q-N-extra`.
KEPT = ("help", "labels", "min_choices", "max_choices", "max_length")


def kind_of(q: Mapping[str, Any]) -> str:
    """The builder kind of a question (CES split by its scale)."""
    if q.get("kind") == "ces":
        return "ces_5" if q.get("scale") == "effort_5" else "ces_7"
    return str(q.get("kind", "open_text"))


def detractor_condition(questions: Sequence[Mapping[str, Any]], qid: str) -> dict[str, Any] | None:
    target = next((q for q in questions if q.get("id") == qid), None)
    rule = DETRACTORS.get(kind_of(target)) if target else None
    return None if rule is None else {"question": qid, "op": rule[0], "value": rule[1]}


def branch_of(q: Mapping[str, Any], questions: Sequence[Mapping[str, Any]]) -> str:
    """'' (always shown), 'detractors:<id>', or 'custom' for a condition the editor cannot express."""
    cond = q.get("show_if")
    if not cond:
        return ""
    qid = cond.get("question") if isinstance(cond, dict) else None
    if qid and detractor_condition(questions, qid) == cond:
        return f"detractors:{qid}"
    return "custom"


# -- form -> draft -----------------------------------------------------------------------------------------------
def _one(form: Form, name: str, default: str = "") -> str:
    values = form.get(name) or []
    return values[0] if values else default


def _json(form: Form, name: str) -> dict[str, Any]:
    try:
        value = json.loads(_one(form, name, "{}") or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _texts(form: Form, prefix: str, locales: Sequence[str]) -> dict[str, str]:
    return {loc: text for loc in locales if (text := _one(form, f"{prefix}-{loc}").strip())}


def _slug(label: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "option"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


def _options(form: Form, i: int, default: str, locales: Sequence[str]) -> list[dict[str, Any]]:
    """Options from one textarea per locale (line n is option n); ids are kept by position, new ones from labels."""
    lines = {loc: _one(form, f"q-{i}-options-{loc}").splitlines() for loc in locales}
    ids = [x for x in _one(form, f"q-{i}-option-ids").split(",") if x]
    taken = set(ids)
    options = []
    for n, label in enumerate(lines.get(default, [])):
        if not label.strip():
            continue
        labels = {loc: ls[n].strip() for loc, ls in lines.items() if n < len(ls) and ls[n].strip()}
        oid = ids[n] if n < len(ids) else _slug(label, taken)
        options.append({"id": oid, "label": labels})
    return options


def draft_from_form(form: Form) -> dict[str, Any]:
    """The draft definition the form describes; not validated (publishing validates)."""
    locales = [loc for loc in LOCALES if loc in (form.get("locales") or [])] or ["en"]
    default = _one(form, "default_locale", locales[0])
    if default not in locales:
        locales.insert(0, default)
    draft: dict[str, Any] = {**_json(form, "extra"), "default_locale": default, "locales": locales}
    if title := _texts(form, "title", locales):
        draft["title"] = title
    questions: list[dict[str, Any]] = []
    for i in range(int(_one(form, "qn", "0") or 0)):
        extra = _json(form, f"q-{i}-extra")
        kind, scale, _ = KINDS.get(_one(form, f"q-{i}-kind"), KINDS["open_text"])
        q: dict[str, Any] = {
            "id": _one(form, f"q-{i}-id").strip() or f"q{i + 1}",
            "kind": kind,
            "required": bool(_one(form, f"q-{i}-required")),
            "text": _texts(form, f"q-{i}-text", locales),
        }
        if scale:
            q["scale"] = scale
        if kind in ("single_choice", "multiple_choice"):
            q["options"] = _options(form, i, default, locales)
        q.update({k: v for k, v in extra.items() if k in KEPT})
        branch = _one(form, f"q-{i}-branch")
        if branch == "custom" and extra.get("show_if"):
            q["show_if"] = extra["show_if"]
        elif branch.startswith("detractors:"):
            q["show_if"] = detractor_condition(questions, branch.split(":", 1)[1])
        questions.append({k: v for k, v in q.items() if v is not None})
    draft["questions"] = questions
    return draft


def apply_action(draft: dict[str, Any], action: str, add_kind: str = "") -> dict[str, Any]:
    """add (a question of `add_kind`), remove-N, up-N, down-N; anything else leaves the draft as it is."""
    questions: list[dict[str, Any]] = draft["questions"]
    verb, _, arg = action.partition("-")
    if verb == "add" and add_kind in KINDS:
        kind, scale, _ = KINDS[add_kind]
        taken = {q["id"] for q in questions}
        qid = _slug(kind, taken)
        q: dict[str, Any] = {"id": qid, "kind": kind, "required": False, "text": {draft["default_locale"]: ""}}
        q["text"][draft["default_locale"]] = NEW_TEXT[add_kind] if draft["default_locale"] == "en" else ""
        if scale:
            q["scale"] = scale
        if kind in ("single_choice", "multiple_choice"):
            q["options"] = [
                {"id": "a", "label": {draft["default_locale"]: "A"}},
                {"id": "b", "label": {draft["default_locale"]: "B"}},
            ]
        questions.append(q)
    elif arg.isdecimal() and int(arg) < len(questions):
        n = int(arg)
        if verb == "remove":
            questions.pop(n)
        elif verb == "up" and n > 0:
            questions[n - 1], questions[n] = questions[n], questions[n - 1]
        elif verb == "down" and n + 1 < len(questions):
            questions[n + 1], questions[n] = questions[n], questions[n + 1]
    return draft


def clean(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft as a definition document: empty texts dropped, so validation names what is missing."""
    out = {k: v for k, v in draft.items() if k != "questions"}
    out["questions"] = [{**q, "text": {k: v for k, v in q.get("text", {}).items() if v}} for q in draft["questions"]]
    return out


# -- draft -> view -------------------------------------------------------------------------------------------------
@dataclass
class TextView:
    """One text in one locale: its value, what a reader sees when it is empty, and the linter's findings."""

    name: str
    locale: str
    value: str
    fallback: tuple[str, str] | None = None
    findings: list[Finding] = field(default_factory=list)


def text_views(prefix: str, text: Mapping[str, str], locales: Sequence[str], default: str) -> list[TextView]:
    views = []
    for loc in locales:
        value = text.get(loc, "")
        view = TextView(f"{prefix}-{loc}", loc, value, findings=lint_text(value, loc) if value else [])
        if not value:
            chain = [c for c in locale_chain(loc, default) if c != loc and c in text]
            if chain and (shown := pick(text, chain)) is not None:
                view.fallback = (chain[0], shown)
        views.append(view)
    return views


@dataclass
class QuestionView:
    index: int
    id: str
    kind: str
    required: bool
    branch: str
    branch_choices: list[tuple[str, str]]
    texts: list[TextView]
    options: dict[str, str]
    option_ids: str
    extra: str


def question_views(draft: Mapping[str, Any]) -> list[QuestionView]:
    locales, default = draft["locales"], draft["default_locale"]
    questions = draft["questions"]
    views = []
    for i, q in enumerate(questions):
        earlier = [p for p in questions[:i] if kind_of(p) in DETRACTORS]
        choices = [("", "Always")] + [(f"detractors:{p['id']}", f"Only detractors of {p['id']}") for p in earlier]
        branch = branch_of(q, questions)
        if branch == "custom":
            choices.append(("custom", "Custom condition (kept as saved)"))
        extra = {k: q[k] for k in (*KEPT, "show_if") if q.get(k) is not None}
        options = q.get("options") or []
        views.append(
            QuestionView(
                index=i,
                id=q["id"],
                kind=kind_of(q),
                required=bool(q.get("required")),
                branch=branch,
                branch_choices=choices,
                texts=text_views(f"q-{i}-text", q.get("text", {}), locales, default),
                options={loc: "\n".join(o["label"].get(loc, "") for o in options) for loc in locales},
                option_ids=",".join(o["id"] for o in options),
                extra=json.dumps(extra, ensure_ascii=False),
            )
        )
    return views


def survey_extra(draft: Mapping[str, Any]) -> str:
    """Survey-level parts without a control (intro, thanks), as the hidden `extra` field."""
    return json.dumps({k: draft[k] for k in ("intro", "thanks") if draft.get(k)}, ensure_ascii=False)
