"""Aspect sentiment: keyword lexicons in the four languages, clause by clause."""

from __future__ import annotations

import pytest

from suara.text import ASPECTS, analyze, format_aspects
from suara.text.aspects import LEXICON, clauses, mentions


def aspects_of(text: str) -> dict[str, str]:
    return {a.aspect: a.sentiment for a in analyze([text])[0].aspects}


def test_every_aspect_has_all_four_languages() -> None:
    assert set(LEXICON) == set(ASPECTS)
    assert all(set(by_lang) == {"en", "id", "ms", "ru"} for by_lang in LEXICON.values())


def test_clauses_split_at_punctuation_and_contrast() -> None:
    assert clauses("Delivery was fast but the staff were rude, price 24,000 ok.") == [
        "Delivery was fast", "but the staff were rude", "price 24,000 ok",
    ]  # fmt: skip
    assert clauses("pengiriman lama tapi harga murah") == ["pengiriman lama", "tapi harga murah"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The delivery was late, but the price was great.", {"delivery": "negative", "price": "positive"}),
        ("Pengiriman lama banget, tapi harganya murah", {"delivery": "negative", "price": "positive"}),
        ("Penghantaran lambat sangat, tapi harga murah dan berbaloi", {"delivery": "negative", "price": "positive"}),
        ("Доставка ужасная, но цена хорошая", {"delivery": "negative", "price": "positive"}),
        ("The app keeps crashing and support never replied", {"website_app": "negative"}),
        ("Aplikasinya sering error, CS tidak membalas", {"website_app": "negative"}),
        ("Staff sangat ramah dan membantu", {"staff_service": "positive"}),
        ("Оплата картой не проходит, ужас", {"payment": "negative"}),
    ],
)
def test_aspect_sentiment_in_four_languages(text: str, expected: dict[str, str]) -> None:
    got = aspects_of(text)
    for aspect, label in expected.items():
        assert got.get(aspect) == label, got


def test_longest_match_wins_and_format() -> None:
    assert [a for a, _ in mentions("barang sampai cepat", "id")] == ["delivery"]
    result = analyze(["Fast delivery, but expensive price"])[0]
    assert format_aspects(result.aspects) == "delivery:positive;price:negative"


def test_no_aspects_for_unsupported_or_empty() -> None:
    assert mentions("delivery", "und") == []
    assert analyze([""])[0].aspects == ()
