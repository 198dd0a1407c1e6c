"""Bad input to `analyze`: each kind gets a defined output or a clear error."""

from __future__ import annotations

import pytest

from suara.errors import ValidationFailed
from suara.text import SENTIMENTS, analyze
from suara.text.analysis import MAX_CHARS, prepare


def test_empty_and_blank_and_none() -> None:
    for got in analyze(["", "   \n\t", None]):
        assert (got.language, got.sentiment, got.sentiment_score) == ("und", "empty", None)
        assert "empty" in got.flags


def test_emoji_only_is_scored_from_the_symbols() -> None:
    pos, neg, punct, link = analyze(["👍👍😍", "😡😡", "?!? 5", "https://example.com/x @shop"])
    assert (pos.language, pos.sentiment) == ("und", "positive") and "no_words" in pos.flags
    assert neg.sentiment == "negative"
    assert punct.sentiment == "empty" and "no_words" in punct.flags
    assert link.sentiment == "empty" and "no_words" in link.flags


def test_html_is_stripped() -> None:
    got = analyze(["<p>Terrible <b>service</b>!</p><script>var good = 'great love'</script>"])[0]
    assert got.sentiment == "negative" and "html_stripped" in got.flags
    assert "script" not in got.text and "great" not in got.text
    assert prepare("a &amp; b <br/>c")[0] == "a & b \nc"


def test_long_texts_are_truncated_with_a_flag() -> None:
    got = analyze(["The courier was late. " * 1000])[0]
    assert got.truncated and len(got.text) <= MAX_CHARS
    assert got.sentiment in SENTIMENTS and got.language == "en"


def test_mixed_languages_get_one_answer() -> None:
    got = analyze(["Barangnya bagus sekali tapi the delivery took forever and customer service never replied"])[0]
    assert got.language in ("en", "id") and "mixed_language" in got.flags
    assert {a.aspect for a in got.aspects} >= {"delivery", "product_quality"}


def test_control_characters_and_nfc() -> None:
    assert prepare("cafe\u0301\x00 ok")[0] == "café ok"


def test_bad_arguments_are_validation_errors() -> None:
    with pytest.raises(ValidationFailed):
        analyze("just one string")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as exc:
        analyze(["ok", 3, b"bytes"])  # type: ignore[list-item]
    assert [e["pointer"] for e in exc.value.errors] == ["/1", "/2"]
    with pytest.raises(ValidationFailed):
        analyze(["ok"], language="fr")


def test_forced_language_skips_identification() -> None:
    got = analyze(["bagus"], language="ms")[0]
    assert got.language == "ms" and got.sentiment == "positive"


def test_empty_list() -> None:
    assert analyze([]) == []
