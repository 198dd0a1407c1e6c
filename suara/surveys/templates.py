"""Ready-made surveys for the standard programs, in English, Indonesian, Malay and Russian.

Each is short (one score, one or two follow-ups), worded neutrally (it lints clean) and branches so that only the
customers it concerns see a follow-up. Scale labels come from `suara.surveys.labels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from suara.surveys.definition import SurveyDefinition, parse_definition

LOCALES = ["en", "id", "ms", "ru"]


def _t(en: str, id: str, ms: str, ru: str) -> dict[str, str]:
    return {"en": en, "id": id, "ms": ms, "ru": ru}


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    program: str
    description: str
    definition: SurveyDefinition


_THANKS = _t(
    "Thank you for your answer.",
    "Terima kasih atas jawaban Anda.",
    "Terima kasih atas jawapan anda.",
    "Спасибо за ваш ответ.",
)

_RAW: list[dict[str, Any]] = [
    {
        "key": "relational-nps",
        "name": "Relational NPS",
        "program": "nps",
        "description": "Periodic loyalty check: NPS 0-10, a reason from detractors (0-6), an improvement from others.",
        "definition": {
            "title": _t("Your feedback", "Masukan Anda", "Maklum balas anda", "Ваш отзыв"),
            "questions": [
                {
                    "id": "nps",
                    "kind": "nps",
                    "required": True,
                    "text": _t(
                        "How likely are you to recommend us to a friend or colleague?",
                        "Seberapa besar kemungkinan Anda merekomendasikan kami kepada teman atau kolega?",
                        "Sejauh manakah kemungkinan anda mengesyorkan kami kepada rakan atau rakan sekerja?",
                        "Насколько вероятно, что вы порекомендуете нас другу или коллеге?",
                    ),
                },
                {
                    "id": "reason",
                    "kind": "open_text",
                    "show_if": {"question": "nps", "op": "lte", "value": 6},
                    "text": _t(
                        "What is the main reason for your score?",
                        "Apa alasan utama Anda memberi nilai tersebut?",
                        "Apakah sebab utama anda memberikan skor tersebut?",
                        "Что стало главной причиной вашей оценки?",
                    ),
                },
                {
                    "id": "improve",
                    "kind": "open_text",
                    "show_if": {"question": "nps", "op": "gte", "value": 7},
                    "text": _t(
                        "What is one thing we could do better?",
                        "Apa satu hal yang bisa kami tingkatkan?",
                        "Apakah satu perkara yang boleh kami perbaiki?",
                        "Что нам стоит улучшить в первую очередь?",
                    ),
                },
            ],
        },
    },
    {
        "key": "post-purchase-csat",
        "name": "Post-purchase CSAT",
        "program": "csat",
        "description": "After an order: CSAT 1-5, expectations met (1-5), and what to improve when CSAT is 1-3.",
        "definition": {
            "title": _t("About your purchase", "Tentang pembelian Anda", "Tentang pembelian anda", "О вашей покупке"),
            "questions": [
                {
                    "id": "csat",
                    "kind": "csat",
                    "required": True,
                    "text": _t(
                        "How would you rate your satisfaction with your recent purchase?",
                        "Bagaimana tingkat kepuasan Anda terhadap pembelian terakhir Anda?",
                        "Bagaimanakah tahap kepuasan anda terhadap pembelian terkini anda?",
                        "Как вы оцениваете свою последнюю покупку?",
                    ),
                },
                {
                    "id": "expectations",
                    "kind": "attitudinal",
                    "text": _t(
                        "To what extent do you agree or disagree: “The product met my expectations.”",
                        "Sejauh mana Anda setuju atau tidak setuju: “Produk ini sesuai dengan harapan saya.”",
                        "Sejauh manakah anda bersetuju atau tidak bersetuju: “Produk ini menepati jangkaan saya.”",
                        "Насколько вы согласны или не согласны с утверждением: «Товар оправдал мои ожидания»?",
                    ),
                },
                {
                    "id": "better",
                    "kind": "open_text",
                    "show_if": {"question": "csat", "op": "lte", "value": 3},
                    "text": _t(
                        "What could we have done better?",
                        "Apa yang bisa kami lakukan dengan lebih baik?",
                        "Apakah yang boleh kami lakukan dengan lebih baik?",
                        "Что мы могли бы сделать лучше?",
                    ),
                },
            ],
        },
    },
    {
        "key": "post-support-ces",
        "name": "Post-support CES",
        "program": "ces",
        "description": "After a support case closes: CES 1-7 agreement, and what made it hard when CES is 1-3.",
        "definition": {
            "title": _t("Your support request", "Permintaan bantuan Anda", "Permintaan bantuan anda", "Ваше обращение"),
            "questions": [
                {
                    "id": "ces",
                    "kind": "ces",
                    "scale": "agreement_7",
                    "required": True,
                    "text": _t(
                        "To what extent do you agree or disagree: “It was easy to get my issue resolved.”",
                        "Sejauh mana Anda setuju atau tidak setuju: “Masalah saya mudah diselesaikan.”",
                        "Sejauh manakah anda bersetuju atau tidak bersetuju: “Masalah saya mudah diselesaikan.”",
                        "Насколько вы согласны или не согласны с утверждением: «Мой вопрос было легко решить»?",
                    ),
                },
                {
                    "id": "difficulty",
                    "kind": "open_text",
                    "show_if": {"question": "ces", "op": "lte", "value": 3},
                    "text": _t(
                        "What made it difficult?",
                        "Apa yang membuatnya sulit?",
                        "Apakah yang menyukarkannya?",
                        "Что вызвало трудности?",
                    ),
                },
            ],
        },
    },
    {
        "key": "exit-survey",
        "name": "Exit survey",
        "program": "exit",
        "description": "On cancel or uninstall: the main reason, the provider chosen instead, what to do differently.",
        "definition": {
            "title": _t("Before you go", "Sebelum Anda pergi", "Sebelum anda pergi", "Прежде чем вы уйдёте"),
            "questions": [
                {
                    "id": "reason",
                    "kind": "single_choice",
                    "required": True,
                    "text": _t(
                        "What is the main reason you are leaving?",
                        "Apa alasan utama Anda berhenti?",
                        "Apakah sebab utama anda berhenti?",
                        "Какова главная причина вашего ухода?",
                    ),
                    "options": [
                        {
                            "id": "price",
                            "label": _t(
                                "It costs too much",
                                "Harganya terlalu mahal",
                                "Harganya terlalu mahal",
                                "Слишком дорого",
                            ),
                        },
                        {
                            "id": "features",
                            "label": _t(
                                "It lacks features I need",
                                "Fitur yang saya butuhkan belum ada",
                                "Ciri yang saya perlukan tiada",
                                "Не хватает нужных функций",
                            ),
                        },
                        {
                            "id": "hard-to-use",
                            "label": _t(
                                "It is hard to use", "Sulit digunakan", "Sukar digunakan", "Сложно пользоваться"
                            ),
                        },
                        {
                            "id": "support",
                            "label": _t(
                                "Problems with support",
                                "Masalah dengan layanan pelanggan",
                                "Masalah dengan khidmat pelanggan",
                                "Проблемы с поддержкой",
                            ),
                        },
                        {
                            "id": "switched",
                            "label": _t(
                                "I am switching to another provider",
                                "Saya beralih ke penyedia lain",
                                "Saya beralih kepada penyedia lain",
                                "Перехожу к другому поставщику",
                            ),
                        },
                        {
                            "id": "no-need",
                            "label": _t(
                                "I no longer need it",
                                "Saya tidak membutuhkannya lagi",
                                "Saya tidak memerlukannya lagi",
                                "Больше не нужно",
                            ),
                        },
                        {"id": "other", "label": _t("Something else", "Lainnya", "Lain-lain", "Другое")},
                    ],
                },
                {
                    "id": "provider",
                    "kind": "open_text",
                    "show_if": {"question": "reason", "op": "eq", "value": "switched"},
                    "text": _t(
                        "Which provider are you switching to?",
                        "Anda beralih ke penyedia mana?",
                        "Anda beralih kepada penyedia mana?",
                        "К какому поставщику вы переходите?",
                    ),
                },
                {
                    "id": "differently",
                    "kind": "open_text",
                    "text": _t(
                        "What could we have done differently?",
                        "Apa yang bisa kami lakukan secara berbeda?",
                        "Apakah yang boleh kami lakukan secara berbeza?",
                        "Что мы могли бы сделать иначе?",
                    ),
                },
            ],
        },
    },
    {
        "key": "repurchase-intent",
        "name": "Repurchase intent",
        "program": "repurchase",
        "description": "Some weeks after a purchase: intent to buy again (1-5), and what would change it when 1-2.",
        "definition": {
            "title": _t("Shopping with us", "Berbelanja bersama kami", "Membeli-belah bersama kami", "Покупки у нас"),
            "questions": [
                {
                    "id": "repurchase",
                    "kind": "repurchase_intent",
                    "required": True,
                    "text": _t(
                        "How likely are you to buy from us again?",
                        "Seberapa besar kemungkinan Anda membeli lagi dari kami?",
                        "Sejauh manakah kemungkinan anda membeli lagi daripada kami?",
                        "Насколько вероятно, что вы снова купите у нас?",
                    ),
                },
                {
                    "id": "would_change",
                    "kind": "open_text",
                    "show_if": {"question": "repurchase", "op": "lte", "value": 2},
                    "text": _t(
                        "What would make you more likely to buy again?",
                        "Apa yang akan membuat Anda lebih mungkin membeli lagi?",
                        "Apakah yang akan membuatkan anda lebih cenderung untuk membeli lagi?",
                        "Что могло бы побудить вас купить у нас снова?",
                    ),
                },
            ],
        },
    },
]


def _build(raw: dict[str, Any]) -> Template:
    definition = parse_definition({"default_locale": "en", "locales": LOCALES, "thanks": _THANKS, **raw["definition"]})
    return Template(raw["key"], raw["name"], raw["program"], raw["description"], definition)


TEMPLATES: dict[str, Template] = {t.key: t for t in map(_build, _RAW)}
