"""The neutral-wording linter: true positives per language and rule, with spans; balanced wording passes."""

from __future__ import annotations

import pytest

from suara.surveys import lint_definition, lint_text, parse_definition
from suara.surveys.wording import RULE_IDS

CASES = [
    ("en", "How great was your stay?", "leading", "How great"),
    ("en", "How much did you love the new menu?", "leading", "How much did you love"),
    ("en", "How satisfied are you with the app?", "one-sided", "How satisfied"),
    ("en", "Don't you agree the checkout is simple?", "leading-agreement", "Don't you agree"),
    ("en", "The app is easy to use, right?", "leading-agreement", ", right?"),
    ("en", "How would you rate our award-winning support?", "loaded", "our award-winning"),
    ("en", "Was the courier fast and friendly?", "double-barrelled", "fast and friendly"),
    ("en", "Rate the price, quality and delivery.", "double-barrelled", "price, quality and delivery"),
    ("en", "Do you always find what you need?", "absolute", "always"),
    ("en", "Was every item in stock?", "absolute", "every"),
    ("en", "Was it not true that you could not log in?", "double-negative", "not true that you could not"),
    ("en", "How was the onboarding?", "jargon", "onboarding"),
    ("en", "How would you rate our UX?", "jargon", "UX"),
    ("id", "Seberapa hebat layanan kami?", "leading", "Seberapa hebat"),
    ("id", "Seberapa puas Anda dengan aplikasi ini?", "one-sided", "Seberapa puas"),
    ("id", "Bukankah proses pembayaran mudah?", "leading-agreement", "Bukankah"),
    ("id", "Aplikasinya mudah dipakai, kan?", "leading-agreement", ", kan?"),
    ("id", "Bagaimana penilaian Anda terhadap layanan kami yang luar biasa?", "loaded", "kami yang luar biasa"),
    ("id", "Apakah kurir kami cepat dan ramah?", "double-barrelled", "cepat dan ramah"),
    ("id", "Apakah Anda selalu menemukan yang Anda cari?", "absolute", "selalu"),
    ("id", "Apakah tidak benar bahwa Anda tidak bisa masuk?", "double-negative", "tidak benar bahwa Anda tidak"),
    ("id", "Bagaimana pengalaman onboarding Anda?", "jargon", "onboarding"),
    ("ms", "Betapa hebat perkhidmatan kami?", "leading", "Betapa hebat"),
    ("ms", "Sejauh manakah anda berpuas hati dengan aplikasi ini?", "one-sided", "Sejauh manakah anda berpuas hati"),
    ("ms", "Tidakkah anda setuju bahawa aplikasi ini mudah?", "leading-agreement", "Tidakkah"),
    ("ms", "Bagaimanakah penilaian anda terhadap perkhidmatan kami yang cemerlang?", "loaded", "kami yang cemerlang"),
    ("ms", "Adakah penghantaran pantas dan mesra?", "double-barrelled", "pantas dan mesra"),
    ("ms", "Adakah anda sentiasa menemui apa yang anda cari?", "absolute", "sentiasa"),
    ("ms", "Adakah tidak benar bahawa anda tidak dapat log masuk?", "double-negative", "tidak benar bahawa anda tidak"),
    ("ru", "Насколько замечательным был ваш визит?", "leading", "Насколько замечательным"),
    ("ru", "Насколько вы довольны приложением?", "one-sided", "Насколько вы довольны"),
    ("ru", "Не правда ли, оформление заказа простое?", "leading-agreement", "Не правда ли"),
    ("ru", "Как вы оцениваете наш отличный сервис?", "loaded", "наш отличный"),
    ("ru", "Был ли курьер вежливым и быстрым?", "double-barrelled", "вежливым и быстрым"),
    ("ru", "Вы всегда находите нужный товар?", "absolute", "всегда"),
    ("ru", "Каждый ли заказ приходит вовремя?", "absolute", "Каждый"),
    ("ru", "Разве не было нельзя войти?", "double-negative", "не было нельзя"),
    ("ru", "Как прошёл онбординг?", "jargon", "онбординг"),
]


@pytest.mark.parametrize(("locale", "text", "rule", "excerpt"), CASES)
def test_flags_the_wording(locale: str, text: str, rule: str, excerpt: str) -> None:
    findings = lint_text(text, locale, question_id="q1")
    hit = next((f for f in findings if f.rule == rule), None)
    assert hit is not None, f"{rule} not found in {text!r}: {[f.rule for f in findings]}"
    assert hit.excerpt == excerpt == text[hit.start : hit.end]
    assert hit.question_id == "q1" and hit.locale == locale and hit.explanation and hit.suggestion


def test_every_rule_has_a_case_in_every_language() -> None:
    for locale in ("en", "id", "ms", "ru"):
        covered = {rule for loc, _, rule, _ in CASES if loc == locale}
        assert covered >= set(RULE_IDS) - {"jargon"}, (locale, set(RULE_IDS) - covered)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "How satisfied or dissatisfied are you with your purchase?"),
        ("en", "How likely are you to recommend us to a friend or colleague?"),
        ("en", "Neither satisfied nor dissatisfied"),
        ("en", "How would you rate the speed of the delivery?"),
        ("id", "Seberapa puas atau tidak puas Anda dengan pembelian ini?"),
        ("ms", "Sejauh manakah anda berpuas hati atau tidak berpuas hati dengan pembelian ini?"),
        ("ru", "Насколько вы довольны или недовольны покупкой?"),
        ("ru", "Насколько вероятно, что вы порекомендуете нас другу или коллеге?"),
        ("th", "How great was it?"),  # no rules for Thai beyond acronyms: nothing to say, rather than guess
    ],
)
def test_neutral_wording_passes(locale: str, text: str) -> None:
    assert lint_text(text, locale) == []


def test_a_definition_is_linted_in_every_locale_with_pointers() -> None:
    defn = parse_definition(
        {
            "locales": ["en", "ru"],
            "title": {"en": "How great was our amazing service?"},
            "questions": [
                {
                    "id": "speed",
                    "kind": "csat",
                    "text": {"en": "Was it fast and friendly?", "ru": "Было ли быстро и удобно?"},
                },
            ],
        }
    )
    found = {(f.pointer, f.rule, f.question_id) for f in lint_definition(defn)}
    assert found == {
        ("/title/en", "leading", None),
        ("/title/en", "loaded", None),
        ("/questions/0/text/en", "double-barrelled", "speed"),
        ("/questions/0/text/ru", "double-barrelled", "speed"),
    }
