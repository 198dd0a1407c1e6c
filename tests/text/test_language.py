"""Language identification on short, mixed and unsupported texts, and the Indonesian/Malay tie-break."""

from __future__ import annotations

import pytest

from suara.text.language import UND, detect, marker_balance


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The delivery was late again", "en"),
        ("thanks, great service", "en"),
        ("Pengirimannya cepat banget, barangnya bagus", "id"),
        ("gak sesuai pesanan", "id"),
        ("Barang tak sampai lagi, penat tunggu", "ms"),
        ("kenapa lambat sangat nak hantar barang ni", "ms"),
        ("Доставка ужасная", "ru"),
        ("спасибо", "ru"),
        ("Оператор не отвечает уже час", "ru"),
    ],
)
def test_short_texts_in_the_four_languages(text: str, lang: str) -> None:
    assert detect(text).language == lang


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("Le service était excellent, merci beaucoup !", "fr"),
        ("Der Service war sehr gut, danke", "de"),
        ("El servicio es muy bueno, gracias", "es"),
        ("这个产品很好", "zh"),
        ("Дуже дякую за швидку доставку, все чудово", "uk"),
    ],
)
def test_other_languages_are_und_with_their_name(text: str, other: str) -> None:
    got = detect(text)
    assert got.language == UND and got.other == other


def test_no_letters_is_und() -> None:
    assert detect("").language == UND
    assert detect("123 !!! https://x.co/abc @user").language == UND


def test_mixed_texts_take_the_dominant_language_and_are_flagged() -> None:
    got = detect("Barangnya bagus sekali tapi the delivery took forever and customer service never replied")
    assert got.language in ("en", "id") and got.mixed
    assert detect("Заказ пришёл вовремя, всё отлично, спасибо большое, thanks").language == "ru"


def test_marker_words_break_indonesian_malay_ties() -> None:
    assert marker_balance("tak nak pergi kedai".split()) > 0
    assert marker_balance("gak mau banget".split()) < 0
    # Malay that lingua alone calls Indonesian
    assert detect("Tinggal 1 barang je tak sampai lagi. Dah boleh uninstall shopee").language == "ms"
    assert detect("Menyesal tnye nak apa for birthday").language == "ms"
