"""A workspace's themes in the app store: fitting them over its feedback with ids kept across runs, assigning new
items, and a team's edits (rename, merge, pin).

A run matches its topics to the stored themes (`themes.match`): a matched topic keeps the stored id (or the id
it was merged into) and refreshes its centroid; a stored theme no topic matched turns stale unless it is pinned,
in which case its stored centroid keeps collecting items. Each run records how many enriched items it saw and
when (`ThemeRun`), which the re-fit policy (`refit_reason`) compares the workspace against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select, update

from suara.errors import NotFound, ValidationFailed
from suara.store.app import AppStore, utcnow
from suara.store.warehouse import Warehouse
from suara.text.theme_tables import TextTheme, ThemeItem, ThemeRun
from suara.text.themes import Theme, ThemeModel, assign, match, terms

ACTIVE, STALE, MERGED = "active", "stale", "merged"


@dataclass(frozen=True)
class RunSummary:
    """What one run did: themes found, matched to stored ids, new, turned stale; items with a theme."""

    themes: int
    matched: int
    new: int
    stale: int
    items: int
    assigned: int


@dataclass(frozen=True)
class RefitPolicy:
    """When the background job fits a workspace's themes: first at `first_fit` enriched items; again once the items
    grew by the share `growth` and by at least `min_items` since the last fit, or once the last fit is older than
    `max_age` and items came since (`max_age` None: never by age)."""

    first_fit: int = 200
    growth: float = 0.25
    min_items: int = 50
    max_age: timedelta | None = timedelta(days=7)


def refit_reason(policy: RefitPolicy, items: int, last: ThemeRun | None, now: datetime) -> str | None:
    """Why the themes of a workspace with `items` enriched items should be fitted now: "first", "growth" or "age";
    None when they should not."""
    if last is None:
        return "first" if items >= policy.first_fit else None
    new = items - last.items
    if new <= 0:
        return None
    if new >= policy.min_items and new >= policy.growth * last.items:
        return "growth"
    if policy.max_age is not None and now - last.fitted_at >= policy.max_age:
        return "age"
    return None


def last_run(app: AppStore, workspace_id: str) -> ThemeRun | None:
    """The workspace's last recorded theme fit, if any."""
    with app.session() as s:
        return s.get(ThemeRun, workspace_id)


def record_run(app: AppStore, workspace_id: str, items: int, reason: str, *, runs: int = 1) -> None:
    """Record a fit (or, with `runs=0`, a baseline for themes fitted before fits were recorded)."""
    with app.session() as s:
        _record(s, workspace_id, items, reason, runs)


def _record(s: Any, workspace_id: str, items: int, reason: str, runs: int = 1) -> None:
    row: ThemeRun | None = s.get(ThemeRun, workspace_id)
    if row is None:
        s.add(ThemeRun(workspace_id=workspace_id, items=items, fitted_at=utcnow(), reason=reason, runs=runs))
    else:
        row.items, row.fitted_at, row.reason, row.runs = items, utcnow(), reason, row.runs + runs


def corpus(wh: Warehouse, workspace_id: str) -> pd.DataFrame:
    """Every text item (feedback, comments, ticket subjects) with its language from enrichments when known."""
    from suara.text.enrich import items

    e = wh.table("enrichments", workspace_id).select("item_kind", "item_id", "language")
    t = items(wh, workspace_id, tickets=True)
    df: pd.DataFrame = t.left_join(e, ["item_kind", "item_id"]).select(*t.columns, "language").to_pandas()
    missing = df.language.isna() & df.text.notna()
    if missing.any():  # ticket subjects and items enriched later: identify the language here
        from suara.text.language import detect

        df.loc[missing, "language"] = [detect(str(x)[:600]).language for x in df.text[missing]]
    return df


def _theme(row: TextTheme) -> Theme:
    return Theme(row.theme_id, row.language, row.name, tuple(row.phrases), dict(row.terms), row.size)


def _resolve(rows: dict[str, TextTheme], theme_id: str) -> str:
    """Follow merges to the theme that stands for this one now."""
    seen = set()
    while theme_id in rows and rows[theme_id].status == MERGED and rows[theme_id].merged_into and theme_id not in seen:
        seen.add(theme_id)
        theme_id = rows[theme_id].merged_into or theme_id
    return theme_id


def run_themes(
    app: AppStore,
    wh: Warehouse,
    workspace_id: str,
    *,
    model: ThemeModel | None = None,
    data: pd.DataFrame | None = None,
    reason: str = "manual",
) -> RunSummary:
    """Fit themes over the workspace's items, keep stored ids, and replace the item assignments in one transaction;
    the run is recorded with `reason` and the count of enriched items it saw."""
    enriched = wh.count("enrichments", workspace_id)  # counted first: items enriched during the fit count as new
    df = corpus(wh, workspace_id) if data is None else data
    texts = [None if pd.isna(x) else str(x) for x in df.text]
    langs = [None if pd.isna(x) else str(x) for x in df.language]
    fit = (model or ThemeModel()).fit(texts, langs)
    with app.session() as s:
        rows = {r.theme_id: r for r in s.scalars(select(TextTheme).where(TextTheme.workspace_id == workspace_id))}
        pairs = match(fit.themes, [_theme(r) for r in rows.values()])
        now = utcnow()
        current: list[Theme] = []  # centroids to assign with, under the ids they stand for
        for t in fit.themes:
            old = pairs.get(t.theme_id)
            if old is not None:
                row = rows[old]
                row.terms, row.phrases, row.name, row.updated_at = dict(t.terms), list(t.phrases), t.name, now
                if row.status == STALE:
                    row.status = ACTIVE
                current.append(Theme(_resolve(rows, old), t.language, t.name, t.phrases, t.terms))
                continue
            new_id = t.theme_id
            while new_id in rows:  # a hash collision with an unmatched stored theme: keep both apart
                new_id = new_id + "x"
            row = TextTheme(
                workspace_id=workspace_id,
                theme_id=new_id,
                language=t.language,
                name=t.name,
                phrases=list(t.phrases),
                terms=dict(t.terms),
                pinned=False,
                status=ACTIVE,
                size=0,
            )
            s.add(row)
            rows[new_id] = row
            current.append(Theme(new_id, t.language, t.name, t.phrases, t.terms))
        matched = set(pairs.values())
        stale = 0
        for row in list(rows.values()):
            if row.theme_id in matched or row.status == MERGED or row.theme_id in {c.theme_id for c in current}:
                continue
            if row.pinned:  # a pinned theme keeps collecting items with its stored centroid
                current.append(_theme(row))
                row.status = ACTIVE
            elif row.status != STALE:
                row.status, stale = STALE, stale + 1
        ids = {t.theme_id: c.theme_id for t, c in zip(fit.themes, current, strict=False)}
        if len(current) == len(fit.themes):  # the fit's own centroids: rename its assignments, no second pass
            assigned = [[(ids[t], sc) for t, sc in found] for found in fit.assignments]
        else:
            assigned = assign(fit.terms, langs, current)
        records = _records(workspace_id, df, assigned)
        s.flush()
        s.execute(delete(ThemeItem).where(ThemeItem.workspace_id == workspace_id))
        if records:
            s.execute(insert(ThemeItem), records)
        sizes = pd.Series([r["theme_id"] for r in records]).value_counts().to_dict() if records else {}
        for row in rows.values():
            row.size = int(sizes.get(row.theme_id, 0))
        _record(s, workspace_id, enriched, reason)
    new = len(fit.themes) - len(pairs)
    items_with = len({(r["item_kind"], r["item_id"]) for r in records})
    return RunSummary(len(fit.themes), len(pairs), new, stale, len(df), items_with)


def _records(workspace_id: str, df: pd.DataFrame, assigned: list[list[tuple[str, float]]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kinds, ids, ats = df.item_kind.tolist(), df.item_id.tolist(), df["at"].tolist()
    for kind, item, at, found in zip(kinds, ids, ats, assigned, strict=True):
        seen: set[str] = set()
        for theme_id, score in found:
            if theme_id not in seen:  # two centroids merged into one theme count once
                seen.add(theme_id)
                when = None if pd.isna(at) else pd.Timestamp(at).to_pydatetime()
                out.append(
                    {
                        "workspace_id": workspace_id,
                        "item_kind": kind,
                        "item_id": str(item),
                        "theme_id": theme_id,
                        "score": score,
                        "at": when,
                    }
                )
    return out


def assign_new(app: AppStore, workspace_id: str, part: Sequence[dict[str, Any]], languages: Sequence[str]) -> int:
    """Assign new items (dicts with item_kind, item_id, at, text) to the workspace's active themes; idempotent.

    Returns how many (item, theme) rows were written; 0 while the workspace has no themes yet."""
    with app.session() as s:
        rows = {r.theme_id: r for r in s.scalars(select(TextTheme).where(TextTheme.workspace_id == workspace_id))}
        active = [_theme(r) for r in rows.values() if r.status == ACTIVE]
        if not active or not part:
            return 0
        docs = [terms(r.get("text") or "", lg)[0] for r, lg in zip(part, languages, strict=True)]
        found = assign(docs, list(languages), active)
        df = pd.DataFrame({k: [r.get(k) for r in part] for k in ("item_kind", "item_id", "at")})
        records = _records(workspace_id, df, found)
        for kind in {r["item_kind"] for r in part}:
            ids = [str(r["item_id"]) for r in part if r["item_kind"] == kind]
            s.execute(
                delete(ThemeItem).where(
                    ThemeItem.workspace_id == workspace_id, ThemeItem.item_kind == kind, ThemeItem.item_id.in_(ids)
                )
            )
        if records:
            s.execute(insert(ThemeItem), records)
        for theme_id, n in pd.Series([r["theme_id"] for r in records]).value_counts().items():
            rows[str(theme_id)].size += int(n)
        return len(records)


# -- a team's edits -----------------------------------------------------------------------------------------------
def themes(app: AppStore, workspace_id: str, *, include_all: bool = False) -> list[TextTheme]:
    """The workspace's active themes, largest first (every theme, stale and merged too, with `include_all`)."""
    with app.session() as s:
        q = select(TextTheme).where(TextTheme.workspace_id == workspace_id)
        if not include_all:
            q = q.where(TextTheme.status == ACTIVE)
        return list(s.scalars(q.order_by(TextTheme.size.desc(), TextTheme.theme_id)))


def _get(s: Any, workspace_id: str, theme_id: str) -> TextTheme:
    row: TextTheme | None = s.scalar(
        select(TextTheme).where(TextTheme.workspace_id == workspace_id, TextTheme.theme_id == theme_id)
    )
    if row is None:
        raise NotFound(f"no theme {theme_id!r} in this workspace")
    return row


def edit(
    app: AppStore, workspace_id: str, theme_id: str, *, label: str | None = None, pinned: bool | None = None
) -> TextTheme:
    """Rename (`label`; empty clears it) and/or pin or unpin a theme."""
    with app.session() as s:
        row = _get(s, workspace_id, theme_id)
        if label is not None:
            row.label = label.strip()[:200] or None
        if pinned is not None:
            row.pinned = pinned
            if pinned and row.status == STALE:
                row.status = ACTIVE
        return row


def merge(app: AppStore, workspace_id: str, sources: Sequence[str], into: str) -> TextTheme:
    """Merge themes into `into`: their items move to it and later runs keep them merged."""
    if into in sources:
        raise ValidationFailed("a theme cannot be merged into itself")
    if not sources:
        raise ValidationFailed("name at least one theme to merge")
    with app.session() as s:
        target = _get(s, workspace_id, into)
        if target.status == MERGED:
            raise ValidationFailed(f"theme {into!r} is itself merged into {target.merged_into!r}; merge into that")
        rows = [_get(s, workspace_id, t) for t in sources]
        ids = [r.theme_id for r in rows]
        for row in rows:
            row.status, row.merged_into, row.size = MERGED, into, 0
        # earlier merges into a source now point at the target
        s.execute(
            update(TextTheme)
            .where(TextTheme.workspace_id == workspace_id, TextTheme.merged_into.in_(ids))
            .values(merged_into=into)
        )
        both = select(ThemeItem.item_kind, ThemeItem.item_id).where(
            ThemeItem.workspace_id == workspace_id, ThemeItem.theme_id == into
        )
        moved = s.execute(
            select(ThemeItem).where(ThemeItem.workspace_id == workspace_id, ThemeItem.theme_id.in_(ids))
        ).scalars()
        have = {(k, i) for k, i in s.execute(both)}
        for item in list(moved):
            key = (item.item_kind, item.item_id)
            if key in have:
                s.delete(item)
            else:
                have.add(key)
                s.add(
                    ThemeItem(
                        workspace_id=workspace_id,
                        item_kind=item.item_kind,
                        item_id=item.item_id,
                        theme_id=into,
                        score=item.score,
                        at=item.at,
                    )
                )
                s.delete(item)
        s.flush()
        target.size = len(have)
        if target.status == STALE:
            target.status = ACTIVE
        return target


def assignments(app: AppStore, workspace_id: str, theme_id: str | None = None) -> pd.DataFrame:
    """(item_kind, item_id, theme_id, score, at) rows of the workspace, of one theme when given."""
    q = select(ThemeItem.item_kind, ThemeItem.item_id, ThemeItem.theme_id, ThemeItem.score, ThemeItem.at).where(
        ThemeItem.workspace_id == workspace_id
    )
    if theme_id is not None:
        q = q.where(ThemeItem.theme_id == theme_id)
    with app.engine.connect() as con:
        return pd.read_sql(q, con)
