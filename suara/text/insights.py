"""What the text insights page and API show: theme summaries (weekly trend, sentiment mix, examples), verbatims
filtered by theme, language, sentiment and touchpoint, and the aspect x touchpoint sentiment heatmap."""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd
from pydantic import BaseModel, Field

from suara.store.app import AppStore
from suara.store.warehouse import Warehouse
from suara.text import theme_store
from suara.text.enrich import items

SENTIMENT_CODES = {"positive": 1, "neutral": 0, "negative": -1}


class ThemeSummary(BaseModel):
    theme_id: str
    name: str = Field(description="The team's name for it, else the name built from its top phrases.")
    language: str
    phrases: list[str]
    pinned: bool
    count: int = Field(description="Items that mention it.")
    weeks: list[str] = Field(description="ISO dates of the Mondays of its trend.")
    trend: list[int] = Field(description="Items per week.")
    sentiment: dict[str, int] = Field(description="Items read as positive, neutral and negative.")
    examples: list[str]


class Verbatim(BaseModel):
    item_kind: str
    item_id: str
    at: str | None
    language: str | None
    sentiment: str | None
    touchpoint: str | None
    text: str
    themes: list[str]


class VerbatimPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[Verbatim]


class HeatCell(BaseModel):
    aspect: str
    touchpoint: str
    index: float = Field(description="Sentiment index, -100..100: % positive minus % negative.")
    n: int


def _enriched(wh: Warehouse, workspace_id: str) -> pd.DataFrame:
    e = wh.table("enrichments", workspace_id).select("item_kind", "item_id", "sentiment")
    df: pd.DataFrame = e.to_pandas()
    return df


def summaries(app: AppStore, wh: Warehouse, workspace_id: str, examples: int = 3) -> list[ThemeSummary]:
    """Every active theme, largest first, with its weekly counts, sentiment mix and a few example texts."""
    rows = theme_store.themes(app, workspace_id)
    a = theme_store.assignments(app, workspace_id)
    if a.empty:
        return []
    a = a.merge(_enriched(wh, workspace_id), on=["item_kind", "item_id"], how="left")
    a["week"] = pd.to_datetime(a["at"]).dt.to_period("W-SUN").dt.start_time
    weeks = sorted(a["week"].dropna().unique())
    # a few spare candidates: an item deleted from the warehouse since the run has no text to show
    best = a.sort_values(["score", "at"], ascending=False).groupby("theme_id").head(examples * 4)
    texts = _texts(wh, workspace_id, best[["item_kind", "item_id"]].drop_duplicates())
    out = []
    for row in rows:
        mine = a[a.theme_id == row.theme_id]
        per_week = mine.groupby("week").size()
        ex = best[best.theme_id == row.theme_id].merge(texts, on=["item_kind", "item_id"])
        out.append(
            ThemeSummary(
                theme_id=row.theme_id,
                name=row.display_name,
                language=row.language,
                phrases=list(row.phrases),
                pinned=row.pinned,
                count=len(mine),
                weeks=[pd.Timestamp(w).date().isoformat() for w in weeks],
                trend=[int(per_week.get(w, 0)) for w in weeks],
                sentiment={k: int((mine.sentiment == v).sum()) for k, v in SENTIMENT_CODES.items()},
                examples=[str(t) for t in ex.text.drop_duplicates()[:examples]],
            )
        )
    return out


def _texts(wh: Warehouse, workspace_id: str, keys: pd.DataFrame) -> pd.DataFrame:
    t = items(wh, workspace_id, tickets=True)
    df: pd.DataFrame = (
        t.semi_join(ibis.memtable(keys.astype(str)), ["item_kind", "item_id"])
        .select("item_kind", "item_id", "text")
        .to_pandas()
    )
    return df


def verbatims(
    app: AppStore,
    wh: Warehouse,
    workspace_id: str,
    *,
    theme: str | None = None,
    language: str | None = None,
    sentiment: str | None = None,
    touchpoint: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> VerbatimPage:
    """The items matching every filter given, newest first, one page of them."""
    t = items(wh, workspace_id, tickets=True)
    e = wh.table("enrichments", workspace_id).select("item_kind", "item_id", "language", "sentiment")
    j = t.left_join(e, ["item_kind", "item_id"]).select(*t.columns, "language", "sentiment")
    if language:
        j = j.filter(j.language == language)
    if sentiment:
        j = j.filter(j.sentiment == SENTIMENT_CODES.get(sentiment, 99))
    if touchpoint:
        j = j.filter(j.touchpoint == touchpoint)
    assigned = theme_store.assignments(app, workspace_id)
    if theme:
        keys = assigned[assigned.theme_id == theme][["item_kind", "item_id"]]
        j = j.semi_join(ibis.memtable(keys.astype(str) if not keys.empty else _no_keys()), ["item_kind", "item_id"])
    total = int(j.count().execute())
    df = j.order_by([ibis.desc("at"), "item_id"]).limit(per_page, offset=(page - 1) * per_page).to_pandas()
    names = {r.theme_id: r.display_name for r in theme_store.themes(app, workspace_id, include_all=True)}
    by_item = assigned.groupby(["item_kind", "item_id"]).theme_id.apply(list).to_dict() if not assigned.empty else {}
    polarity = {v: k for k, v in SENTIMENT_CODES.items()}
    return VerbatimPage(
        total=total,
        page=page,
        per_page=per_page,
        items=[
            Verbatim(
                item_kind=str(r.item_kind),
                item_id=str(r.item_id),
                at=None if pd.isna(r.at) else pd.Timestamp(r.at).isoformat(),
                language=_opt(r.language),
                sentiment=None if pd.isna(r.sentiment) else polarity.get(int(r.sentiment)),
                touchpoint=_opt(r.touchpoint),
                text=str(r.text or ""),
                themes=[names.get(x, x) for x in by_item.get((r.item_kind, r.item_id), [])],
            )
            for r in df.itertuples()
        ],
    )


def _no_keys() -> pd.DataFrame:
    return pd.DataFrame({"item_kind": pd.Series([], dtype=str), "item_id": pd.Series([], dtype=str)})


def _opt(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def heatmap(wh: Warehouse, workspace_id: str) -> list[HeatCell]:
    """Sentiment index of the items mentioning each aspect at each touchpoint, with n. Each aspect counts with its
    own clause-level polarity (`aspect_sentiments`), so a mixed comment lands positive in one cell and negative in
    another; rows enriched before that column existed count with the item's overall sentiment."""
    e = wh.table("enrichments", workspace_id)
    e = e.filter(e.themes.notnull() & e.touchpoint.notnull())
    own = "aspect_sentiments" in e.columns  # a warehouse on a backend that never added the column
    keys = ["themes", "touchpoint", "sentiment", *(["aspect_sentiments"] if own else [])]
    # the warehouse counts each distinct combination; only those few are parsed here
    combos = e.group_by(keys).aggregate(n=e.count()).to_pandas()
    rows = [
        (aspect, str(r.touchpoint), polarity, int(r.n))
        for r in combos.itertuples()
        for aspect, polarity in _aspect_polarity(r.themes, r.sentiment, r.aspect_sentiments if own else None)
    ]
    if not rows:
        return []
    df = pd.DataFrame(rows, columns=["aspect", "touchpoint", "polarity", "n"])
    g = df.assign(w=df.polarity * df.n).groupby(["aspect", "touchpoint"])[["n", "w"]].sum().reset_index()
    return [
        HeatCell(aspect=str(r.aspect), touchpoint=str(r.touchpoint), index=round(100 * r.w / r.n, 1), n=int(r.n))
        for r in g.itertuples()
    ]


def _aspect_polarity(themes: str, sentiment: Any, own: Any) -> list[tuple[str, int]]:
    """(aspect, polarity -1/0/1) of one row: its own "delivery:1;price:-1" when stored, else every aspect with the
    item's sentiment (none when that is unknown)."""
    if isinstance(own, str) and own:
        return [(a, int(p)) for a, _, p in (x.rpartition(":") for x in own.split(";"))]
    if sentiment is None or pd.isna(sentiment):
        return []
    return [(a, int(sentiment)) for a in str(themes).split(",")]
