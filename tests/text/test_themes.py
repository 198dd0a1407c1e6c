"""Themes: topics found without labels, ids kept across runs as data grows, and a team's rename, merge and pin."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from suara.runtime import Runtime
from suara.text import theme_store as store
from suara.text.themes import ThemeModel, match, terms, theme_id
from tests.conftest import Tenant

# Topic -> (language, phrases); texts mix one phrase with neutral filler, so the topic is the only signal.
TOPICS = {
    "late": (
        "en",
        [
            "the parcel arrived late",
            "delivery was late again",
            "courier delivered my parcel late",
            "late delivery, parcel stuck in tracking",
        ],
    ),
    "refund": (
        "en",
        [
            "still waiting for my refund",
            "refund not processed yet",
            "the refund takes forever",
            "asked for a refund twice",
        ],
    ),
    "crash": (
        "en",
        [
            "the app keeps crashing",
            "app crashes at login",
            "app froze and crashed on payment",
            "crashing app on my phone",
        ],
    ),
    "ongkir": (
        "id",
        [
            "ongkir mahal sekali",
            "ongkos kirim terlalu mahal",
            "ongkirnya mahal banget buat barang kecil",
            "biaya ongkir mahal",
        ],
    ),
    "kemasan": (
        "ru",
        [
            "упаковка была порвана",
            "порванная упаковка коробки",
            "коробка пришла мятая, упаковка плохая",
            "упаковку порвали при доставке",
        ],
    ),
}
FILLER = {"en": ["today", "honestly", "this week", "for my order", "again", "sadly"],
          "id": ["hari ini", "jujur", "minggu ini", "pesanan saya", "lagi"],
          "ru": ["сегодня", "честно", "на этой неделе", "мой заказ", "опять"]}  # fmt: skip


def corpus(counts: dict[str, int], seed: int = 0, start: int = 0) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for topic, n in counts.items():
        lang, phrases = TOPICS[topic]
        for i in range(n):
            text = f"{rng.choice(FILLER[lang])} {rng.choice(phrases)} {rng.choice(FILLER[lang])}"
            rows.append({"item_kind": "feedback", "item_id": f"{topic}{start + i}", "language": lang, "text": text,
                         "at": pd.Timestamp("2026-03-02") + pd.Timedelta(days=i % 60), "topic": topic})  # fmt: skip
    return pd.DataFrame(rows)


def themes_by_topic(app: object, ws: str, df: pd.DataFrame) -> dict[str, str]:
    """The theme most items of each topic were assigned to."""
    got = store.assignments(app, ws).merge(df[["item_id", "topic"]], on="item_id")  # type: ignore[arg-type]
    return {str(t): str(g.theme_id.mode().iloc[0]) for t, g in got.groupby("topic")}


def test_terms_normalise_per_language() -> None:
    en, surface = terms("The parcels arrived LATE!!", "en")
    assert en == ["parcel", "arriv", "late", "parcel arriv", "arriv late"]  # stop words out, endings cut
    assert surface["arriv"] == "arrived"
    assert terms("barangnya rusak", "id")[0][:2] == ["barang", "rusak"]  # -nya enclitic cut
    assert terms("@usairways flight cancelled http://t.co/x1", "en")[0] == ["flight", "cancell", "flight cancell"]
    ru, surface = terms("Упаковка порвана", "ru")
    assert ru[0] == "упаковк" and surface["упаковк"] == "упаковка"  # stem, shown as the word


def test_model_separates_topics_in_four_languages() -> None:
    df = corpus({t: 60 for t in TOPICS})
    fit = ThemeModel().fit(df.text.tolist(), df.language.tolist())
    best = [a[0][0] if a else None for a in fit.assignments]
    purity = []
    for topic in TOPICS:
        mine = [b for b, t in zip(best, df.topic, strict=True) if t == topic]
        top = max(set(mine), key=mine.count)
        purity.append(mine.count(top) / len(mine))
        assert top is not None
    assert min(purity) >= 0.8, purity
    per_topic = {max(set(m), key=m.count) for m in ([b for b, t in zip(best, df.topic, strict=True) if t == x]
                                                    for x in TOPICS)}  # fmt: skip
    assert len(per_topic) == len(TOPICS)  # no two topics share a theme
    names = " ".join(t.name for t in fit.themes)
    assert "refund" in names and "crashing" in names  # named from their phrases, as written


def test_theme_id_is_a_hash_of_language_and_anchors() -> None:
    assert (
        theme_id("en", ["late", "parcel"]) == theme_id("en", ["parcel", "late"]) != theme_id("id", ["late", "parcel"])
    )


def test_match_pairs_the_same_topic_once() -> None:
    a = ThemeModel().fit(*_cols(corpus({"late": 60, "refund": 60})))
    b = ThemeModel().fit(*_cols(corpus({"late": 90, "refund": 40}, seed=3)))
    pairs = match(b.themes, a.themes)
    assert len(pairs) == 2 and len(set(pairs.values())) == 2


def _cols(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    return df.text.tolist(), df.language.tolist()


def test_ids_persist_across_runs_as_data_grows(runtime: Runtime) -> None:
    ws = Tenant(runtime, "themes-stable").workspace_id
    first = corpus({"late": 60, "refund": 60, "crash": 60})
    store.run_themes(runtime.app, runtime.warehouse, ws, data=first)
    ids1 = themes_by_topic(runtime.app, ws, first)
    assert len(set(ids1.values())) == 3
    summary = store.run_themes(runtime.app, runtime.warehouse, ws, data=first)
    assert themes_by_topic(runtime.app, ws, first) == ids1 and summary.new == 0 and summary.matched == 3
    grown = pd.concat([first, corpus({"late": 40, "refund": 80, "ongkir": 60}, seed=9, start=1000)])
    summary = store.run_themes(runtime.app, runtime.warehouse, ws, data=grown)
    ids3 = themes_by_topic(runtime.app, ws, grown)
    assert {k: ids3[k] for k in ids1} == ids1  # the old topics keep their ids
    assert ids3["ongkir"] not in ids1.values() and summary.new >= 1
    sizes = {t.theme_id: t.size for t in store.themes(runtime.app, ws)}
    assert sizes[ids3["refund"]] >= 130  # counts follow the new data


def test_rename_merge_and_pin_survive_reruns(runtime: Runtime) -> None:
    ws = Tenant(runtime, "themes-edit").workspace_id
    df = corpus({"late": 60, "refund": 60, "crash": 60, "ongkir": 50})
    store.run_themes(runtime.app, runtime.warehouse, ws, data=df)
    ids = themes_by_topic(runtime.app, ws, df)
    store.edit(runtime.app, ws, ids["late"], label="Late deliveries")
    store.merge(runtime.app, ws, [ids["refund"]], into=ids["crash"])
    store.edit(runtime.app, ws, ids["ongkir"], pinned=True)
    merged = store.assignments(runtime.app, ws, ids["crash"])
    assert len(merged) >= 115 and store.assignments(runtime.app, ws, ids["refund"]).empty
    # the next run sees no shipping-fee comments and fewer of the rest
    later = pd.concat([corpus({"late": 50, "refund": 50, "crash": 50}, seed=4), corpus({"ongkir": 2}, start=900)])
    store.run_themes(runtime.app, runtime.warehouse, ws, data=later)
    rows = {t.theme_id: t for t in store.themes(runtime.app, ws, include_all=True)}
    assert rows[ids["late"]].display_name == "Late deliveries"
    assert rows[ids["refund"]].status == "merged" and rows[ids["refund"]].merged_into == ids["crash"]
    assert themes_by_topic(runtime.app, ws, later)["refund"] == ids["crash"]  # merged stays merged
    assert rows[ids["ongkir"]].status == "active" and rows[ids["ongkir"]].pinned
    assert rows[ids["ongkir"]].size == 2  # the pinned theme still collects its items


def test_unpinned_theme_without_items_turns_stale(runtime: Runtime) -> None:
    ws = Tenant(runtime, "themes-stale").workspace_id
    store.run_themes(runtime.app, runtime.warehouse, ws, data=corpus({"late": 60, "crash": 60}))
    summary = store.run_themes(runtime.app, runtime.warehouse, ws, data=corpus({"late": 60, "refund": 60}))
    assert summary.stale == 1
    assert {t.status for t in store.themes(runtime.app, ws, include_all=True)} == {"active", "stale"}


def test_edits_of_unknown_themes_are_not_found(runtime: Runtime) -> None:
    from suara.errors import NotFound, ValidationFailed

    ws = Tenant(runtime, "themes-missing").workspace_id
    with pytest.raises(NotFound):
        store.edit(runtime.app, ws, "th_missing", label="x")
    with pytest.raises(ValidationFailed):
        store.merge(runtime.app, ws, ["th_a"], into="th_a")


def test_cli_fills_the_themes_column_from_the_file_itself(tmp_path: pytest.TempPathFactory) -> None:
    import csv
    from pathlib import Path

    import typer
    from typer.testing import CliRunner

    from suara.cli_text import text_app

    app = typer.Typer()
    app.add_typer(text_app, name="text")
    df = corpus({"late": 40, "refund": 40, "crash": 40})
    src, dst = Path(str(tmp_path)) / "in.csv", Path(str(tmp_path)) / "out.csv"
    df[["item_id", "text"]].to_csv(src, index=False)
    result = CliRunner().invoke(app, ["text", "analyze", "-i", str(src), "--text-column", "text", "--id-column",
                                      "item_id", "-o", str(dst)])  # fmt: skip
    assert result.exit_code == 0, result.output
    with dst.open(encoding="utf-8") as f:
        rows = {r["id"]: r["themes"] for r in csv.DictReader(f)}
    for topic in ("late", "refund", "crash"):
        got = [rows[i] for i in df.item_id[df.topic == topic]]
        top = max(set(got), key=got.count)
        assert top != "" and got.count(top) >= 0.8 * len(got)
    assert "refund" in " ".join(rows.values())
