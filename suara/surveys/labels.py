"""Built-in scale labels per answer kind and locale, used where a question does not label its points itself.

NPS and rating label only their ends; the other scales label every point so each choice reads on its own.
"""

from __future__ import annotations

DEFAULT_LABELS: dict[str, dict[str, dict[int, str]]] = {
    "nps": {
        "en": {0: "Not at all likely", 10: "Extremely likely"},
        "id": {0: "Sangat tidak mungkin", 10: "Sangat mungkin"},
        "ms": {0: "Sangat tidak mungkin", 10: "Sangat mungkin"},
        "ru": {0: "Крайне маловероятно", 10: "Крайне вероятно"},
    },
    "rating": {
        "en": {1: "Very poor", 5: "Excellent"},
        "id": {1: "Sangat buruk", 5: "Sangat baik"},
        "ms": {1: "Sangat lemah", 5: "Sangat baik"},
        "ru": {1: "Очень плохо", 5: "Отлично"},
    },
    "csat": {
        "en": {
            1: "Very dissatisfied",
            2: "Dissatisfied",
            3: "Neither satisfied nor dissatisfied",
            4: "Satisfied",
            5: "Very satisfied",
        },
        "id": {1: "Sangat tidak puas", 2: "Tidak puas", 3: "Netral", 4: "Puas", 5: "Sangat puas"},
        "ms": {
            1: "Sangat tidak berpuas hati",
            2: "Tidak berpuas hati",
            3: "Neutral",
            4: "Berpuas hati",
            5: "Sangat berpuas hati",
        },
        "ru": {
            1: "Очень недовольны",
            2: "Скорее недовольны",
            3: "Нейтрально",
            4: "Скорее довольны",
            5: "Очень довольны",
        },
    },
    "ces": {
        "en": {
            1: "Strongly disagree",
            2: "Disagree",
            3: "Somewhat disagree",
            4: "Neither agree nor disagree",
            5: "Somewhat agree",
            6: "Agree",
            7: "Strongly agree",
        },
        "id": {
            1: "Sangat tidak setuju",
            2: "Tidak setuju",
            3: "Agak tidak setuju",
            4: "Netral",
            5: "Agak setuju",
            6: "Setuju",
            7: "Sangat setuju",
        },
        "ms": {
            1: "Sangat tidak bersetuju",
            2: "Tidak bersetuju",
            3: "Agak tidak bersetuju",
            4: "Neutral",
            5: "Agak bersetuju",
            6: "Bersetuju",
            7: "Sangat bersetuju",
        },
        "ru": {
            1: "Категорически нет",
            2: "Нет",
            3: "Скорее нет",
            4: "Нейтрально",
            5: "Скорее да",
            6: "Да",
            7: "Безусловно да",
        },
    },
    "ces_effort": {
        "en": {1: "Very low effort", 2: "Low effort", 3: "Moderate effort", 4: "High effort", 5: "Very high effort"},
        "id": {1: "Sangat mudah", 2: "Mudah", 3: "Sedang", 4: "Sulit", 5: "Sangat sulit"},
        "ms": {1: "Sangat mudah", 2: "Mudah", 3: "Sederhana", 4: "Sukar", 5: "Sangat sukar"},
        "ru": {
            1: "Совсем без усилий",
            2: "Небольшие усилия",
            3: "Умеренные усилия",
            4: "Большие усилия",
            5: "Очень большие усилия",
        },
    },
    "attitudinal": {
        "en": {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree", 5: "Strongly agree"},
        "id": {1: "Sangat tidak setuju", 2: "Tidak setuju", 3: "Netral", 4: "Setuju", 5: "Sangat setuju"},
        "ms": {1: "Sangat tidak bersetuju", 2: "Tidak bersetuju", 3: "Neutral", 4: "Bersetuju", 5: "Sangat bersetuju"},
        "ru": {1: "Категорически нет", 2: "Скорее нет", 3: "Нейтрально", 4: "Скорее да", 5: "Безусловно да"},
    },
    "repurchase": {
        "en": {
            1: "Definitely will not",
            2: "Probably will not",
            3: "Not sure",
            4: "Probably will",
            5: "Definitely will",
        },
        "id": {1: "Pasti tidak", 2: "Mungkin tidak", 3: "Belum tahu", 4: "Mungkin ya", 5: "Pasti ya"},
        "ms": {1: "Pasti tidak", 2: "Mungkin tidak", 3: "Belum pasti", 4: "Mungkin ya", 5: "Pasti ya"},
        "ru": {1: "Точно нет", 2: "Скорее нет", 3: "Пока не знаю", 4: "Скорее да", 5: "Точно да"},
    },
}
