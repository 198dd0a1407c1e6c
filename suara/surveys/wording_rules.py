"""The neutral-wording rules per language (en, id, ms, ru): patterns, plain explanations and suggested fixes.

Patterns are case-insensitive and match whole words. A question may be flagged by several rules at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    suggestion: str


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _either(words: str) -> str:
    return rf"(?:{words})"


EXPLANATIONS = {
    "leading": "The wording presumes a good experience, which nudges answers upwards.",
    "one-sided": "Only the positive end of the scale is named, so the question leans towards it.",
    "leading-agreement": "The question asks for agreement instead of an opinion, which invites a 'yes'.",
    "loaded": "Praise of the company inside the question tells the customer which answer is expected.",
    "double-barrelled": "Two things are asked at once, so one answer cannot say which of them it is about.",
    "absolute": "An absolute word (always, never, every) is rarely true, so honest answers get pushed to one end.",
    "double-negative": "Two negations in one sentence are hard to read and easy to answer the wrong way round.",
    "jargon": "An internal term that customers may not know; use the words they would use.",
}

# Acronyms are matched in capitals only; they are the same in every language.
ACRONYMS = re.compile(r"\b(?:NPS|CSAT|CES|KPI|SLA|UX|UI|SKU|CJM|CX)\b")

# Words that negate, per language; two of them in one sentence make a double negative.
NEGATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"not", "no", "never", "none", "nobody", "nothing", "nowhere", "cannot"}),
    "id": frozenset({"tidak", "tak", "bukan", "belum", "jangan", "tanpa"}),
    "ms": frozenset({"tidak", "tak", "bukan", "belum", "jangan", "tanpa"}),
    "ru": frozenset({"не", "нет", "никогда", "ничего", "никто", "нельзя", "ничем", "нигде"}),
}

# Plain words for jargon, per language: the suggestion names the replacement.
JARGON: dict[str, dict[str, str]] = {
    "en": {
        "touchpoints?": "a contact with us, such as a call or a visit",
        "omnichannel": "online, in the app and in the shop",
        "onboarding": "getting started",
        "churn(?:ed|ing)?": "leaving, cancelling",
        "customer journey": "your experience with us",
        "pain points?": "problems",
        "funnel": "the steps you went through",
    },
    "id": {
        "touchpoint": "kontak dengan kami, misalnya telepon atau kunjungan",
        "omnichannel": "online, di aplikasi, dan di toko",
        "onboarding": "awal penggunaan",
        "churn": "berhenti berlangganan",
        "customer journey": "pengalaman Anda bersama kami",
        "pain points?": "masalah",
        "feedback": "masukan",
    },
    "ms": {
        "touchpoint": "hubungan dengan kami, contohnya panggilan atau lawatan",
        "omnichannel": "dalam talian, dalam aplikasi dan di kedai",
        "onboarding": "permulaan penggunaan",
        "churn": "berhenti melanggan",
        "customer journey": "pengalaman anda bersama kami",
        "pain points?": "masalah",
        "feedback": "maklum balas",
    },
    "ru": {
        r"тачпоинт\w*": "обращение к нам: звонок, визит",
        r"онбординг\w*": "начало работы",
        r"омниканальн\w*": "на сайте, в приложении и в магазине",
        r"фидбек\w*|фидбэк\w*": "отзыв",
        r"юзабилити": "удобство",
        r"клиентск\w+ пут\w*": "ваш опыт с нами",
        r"точк\w+ контакта": "обращение к нам",
        r"отток\w*": "уход клиентов",
    },
}

_EN_ATTR = _either(
    "fast|quick|friendly|helpful|polite|courteous|knowledgeable|professional|clear|easy|simple|reliable|accurate|"
    "affordable|clean|safe|useful|convenient|efficient|price|quality|speed|service|delivery|support|value|staff|"
    "packaging"
)
_ID_ATTR = _either(
    "cepat|ramah|sopan|membantu|jelas|mudah|murah|akurat|bersih|aman|nyaman|profesional|harga|kualitas|kecepatan|"
    "layanan|pengiriman|kemasan|staf|produk"
)
_MS_ATTR = _either(
    "cepat|pantas|mesra|sopan|membantu|jelas|mudah|murah|tepat|bersih|selamat|selesa|profesional|harga|kualiti|"
    "kelajuan|perkhidmatan|penghantaran|pembungkusan|kakitangan|produk"
)
_RU_ATTR = _either(
    r"быстр\w*|вежлив\w*|дружелюбн\w*|приветлив\w*|компетентн\w*|понятн\w*|удобн\w*|надёжн\w*|надежн\w*|точн\w*|"
    r"доступн\w*|чист\w*|безопасн\w*|полезн\w*|цен[аыуе]|качеств\w*|скорост\w*|обслуживани\w*|доставк\w*|"
    r"упаковк\w*|персонал\w*"
)


def _pair(attr: str, conj: str) -> re.Pattern[str]:
    """Two or more qualities joined by `and`: "fast and friendly", "price, quality and delivery"."""
    return _re(rf"\b{attr}(?:\s*,\s*{attr})*\s*,?\s+(?:{conj})\s+{attr}\b")


RULES: dict[str, list[Rule]] = {
    "en": [
        Rule(
            "leading",
            _re(
                r"\bhow\s+(?:great|good|amazing|wonderful|excellent|awesome|fantastic|brilliant|perfect|outstanding|"
                r"superb|lovely)\b|\bhow\s+much\s+did\s+you\s+(?:love|enjoy|like)\b"
            ),
            'Ask without the judgement, e.g. "How would you rate your visit?"',
        ),
        Rule(
            "one-sided",
            _re(
                r"\bhow\s+(?:satisfied|happy|pleased|easy|helpful|useful|convenient|clear)\b"
                r"(?![^?.!]*\bor\s+(?:dis|un|not\b|difficult|hard))"
            ),
            'Name both ends: "How satisfied or dissatisfied ...", or "How would you rate ..."',
        ),
        Rule(
            "leading-agreement",
            _re(
                r"\b(?:don't|do\s+not|wouldn't|would\s+not|won't|didn't|doesn't|aren't)\s+you\s+(?:agree|think|feel|say)\b|"
                r"\bisn't\s+it\b|\byou\s+(?:would\s+)?agree\s+that\b|\b(?:surely|obviously|of\s+course)\b|,\s*right\s*\?"
            ),
            'Ask for an opinion: "To what extent do you agree or disagree ..." or "What do you think of ...?"',
        ),
        Rule(
            "loaded",
            _re(
                r"\bour\s+(?:amazing|excellent|great|wonderful|award-winning|fantastic|brilliant|best|outstanding|"
                r"friendly|helpful|beautiful|improved)\b"
            ),
            'Drop the praise: "our service" rather than "our amazing service".',
        ),
        Rule(
            "double-barrelled",
            _pair(_EN_ATTR, "and|&"),
            "Ask one question per quality, e.g. one on speed and one on friendliness.",
        ),
        Rule(
            "absolute",
            _re(r"\b(?:always|never|every|everyone|everybody|everything|nobody|all\s+the\s+time|constantly)\b"),
            'Ask how often instead: "How often ..." rather than "Do you always ...".',
        ),
    ],
    "id": [
        Rule(
            "leading",
            _re(
                r"\b(?:seberapa|betapa)\s+(?:hebat|luar\s+biasa|bagus|keren|mantap|menyenangkan|sempurna|istimewa)\w*\b"
            ),
            'Tanyakan tanpa penilaian, misalnya "Bagaimana penilaian Anda terhadap ...?"',
        ),
        Rule(
            "one-sided",
            _re(
                r"\bseberapa\s+(?:puas|senang|mudah|membantu|bermanfaat|nyaman|jelas)\b"
                r"(?![^?.!]*\batau\s+(?:tidak|kurang|sulit|sukar))"
            ),
            'Sebutkan kedua ujung: "Seberapa puas atau tidak puas ..." atau "Bagaimana penilaian Anda ..."',
        ),
        Rule(
            "leading-agreement",
            _re(
                r"\b(?:bukankah|tidakkah|bukannya)\b|\b(?:setuju|benar|betul)\s*,?\s+(?:bukan|kan)\b|\btentu\s+saja\b|"
                r"\bpastinya\b|,\s*(?:bukan|kan)\s*\?"
            ),
            'Minta pendapat: "Sejauh mana Anda setuju atau tidak setuju ..." atau "Apa pendapat Anda tentang ...?"',
        ),
        Rule(
            "loaded",
            _re(
                r"\b(?:kami|kita)\s+yang\s+(?:luar\s+biasa|hebat|terbaik|istimewa|ramah|canggih|sempurna)\b|"
                r"\bterbaik\s+kami\b"
            ),
            'Hapus pujian: "layanan kami", bukan "layanan kami yang luar biasa".',
        ),
        Rule(
            "double-barrelled",
            _pair(_ID_ATTR, "dan|serta|&"),
            "Tanyakan satu hal per pertanyaan, misalnya kecepatan dan keramahan secara terpisah.",
        ),
        Rule(
            "absolute",
            _re(r"\b(?:selalu|senantiasa|tidak\s+pernah|tak\s+pernah|setiap|semua\s+orang|siapa\s+pun)\b"),
            'Tanyakan seberapa sering: "Seberapa sering ..." bukan "Apakah Anda selalu ...".',
        ),
    ],
    "ms": [
        Rule(
            "leading",
            _re(
                r"\b(?:betapa|sejauh\s+mana(?:kah)?)\s+(?:hebat|bagus|cemerlang|menakjubkan|luar\s+biasa|sempurna)\w*\b"
            ),
            'Tanya tanpa penilaian, contohnya "Bagaimanakah penilaian anda terhadap ...?"',
        ),
        Rule(
            "one-sided",
            _re(
                r"\b(?:sejauh\s+mana(?:kah)?|betapa)\s+(?:anda\s+)?(?:berpuas\s+hati|puas|gembira|senang|mudah|membantu|"
                r"berguna|selesa)\b(?![^?.!]*\batau\s+(?:tidak|kurang|sukar))"
            ),
            'Nyatakan kedua-dua hujung: "Sejauh manakah anda berpuas hati atau tidak berpuas hati ..."',
        ),
        Rule(
            "leading-agreement",
            _re(
                r"\b(?:bukankah|tidakkah)\b|\b(?:setuju|betul|benar)\s*,?\s+(?:bukan|kan)\b|\bsudah\s+tentu\b|"
                r"\btentu\s+sekali\b|\bpastinya\b|,\s*(?:bukan|kan)\s*\?"
            ),
            'Minta pendapat: "Sejauh manakah anda bersetuju atau tidak bersetuju ..."',
        ),
        Rule(
            "loaded",
            _re(
                r"\bkami\s+yang\s+(?:hebat|terbaik|cemerlang|mesra|luar\s+biasa|canggih|sempurna)\b|\bterbaik\s+kami\b"
            ),
            'Buang pujian: "perkhidmatan kami", bukan "perkhidmatan kami yang cemerlang".',
        ),
        Rule(
            "double-barrelled",
            _pair(_MS_ATTR, "dan|serta|&"),
            "Tanya satu perkara bagi setiap soalan, contohnya kelajuan dan kemesraan secara berasingan.",
        ),
        Rule(
            "absolute",
            _re(r"\b(?:sentiasa|selalu|tidak\s+pernah|tak\s+pernah|setiap|semua\s+orang|sesiapa\s+pun)\b"),
            'Tanya kekerapan: "Berapa kerap ..." dan bukan "Adakah anda sentiasa ...".',
        ),
    ],
    "ru": [
        Rule(
            "leading",
            _re(
                r"\bнасколько\s+(?:замечательн|прекрасн|отличн|великолепн|потрясающ|хорош|превосходн)\w*|"
                r"\bнасколько\s+(?:сильно\s+)?вам\s+понравил\w*"
            ),
            "Спросите без оценки, например: «Как вы оцениваете ...?»",
        ),
        Rule(
            "one-sided",
            _re(
                r"\bнасколько\s+(?:вы\s+)?(?:довольн|удовлетворен|удовлетворён|рад|легк|легко|удобн|полезн|понятн)\w*"
                r"(?![^?.!]*\bили\s+(?:не\b|недовольн|трудн|сложн|неудобн))"
            ),
            "Назовите оба полюса: «Насколько вы довольны или недовольны ...» или «Как вы оцениваете ...»",
        ),
        Rule(
            "leading-agreement",
            _re(
                r"\b(?:не\s+правда\s+ли|не\s+так\s+ли|разве\s+не|вы\s+ведь|согласитесь|конечно|очевидно|"
                r"не\s+считаете\s+ли\s+вы)\b"
            ),
            "Спросите мнение: «Насколько вы согласны или не согласны ...» или «Что вы думаете о ...?»",
        ),
        Rule(
            "loaded",
            _re(r"\bнаш\w*\s+(?:замечательн|прекрасн|отличн|великолепн|лучш|потрясающ|дружелюбн)\w*"),
            "Уберите похвалу: «наш сервис», а не «наш замечательный сервис».",
        ),
        Rule(
            "double-barrelled",
            _pair(_RU_ATTR, "и|а\\s+также"),
            "Задайте по одному вопросу на каждое качество, например отдельно о скорости и о вежливости.",
        ),
        Rule(
            "absolute",
            _re(r"\b(?:всегда|никогда|кажд\w*|все\s+без\s+исключения|ни\s+разу|постоянно)\b"),
            "Спросите о частоте: «Как часто ...», а не «Вы всегда ...».",
        ),
    ],
}

DOUBLE_NEGATIVE_SUGGESTION = {
    "en": 'Say it positively: "Was it easy ...?" rather than "Was it not difficult ...?"',
    "id": 'Gunakan kalimat positif: "Apakah mudah ...?" bukan "Apakah tidak sulit ...?"',
    "ms": 'Gunakan ayat positif: "Adakah mudah ...?" dan bukan "Adakah tidak sukar ...?"',
    "ru": "Сформулируйте утвердительно: «Было ли легко ...?», а не «Не было ли трудно ...?»",
}

JARGON_SUGGESTION = {
    "en": 'Use plain words: "{plain}".',
    "id": 'Gunakan kata sehari-hari: "{plain}".',
    "ms": 'Gunakan perkataan biasa: "{plain}".',
    "ru": "Используйте простые слова: «{plain}».",
}
ACRONYM_SUGGESTION = {
    "en": "Spell it out in the customer's words, or leave it out.",
    "id": "Tulis dengan kata-kata pelanggan, atau hapus saja.",
    "ms": "Tulis dengan perkataan pelanggan, atau buang sahaja.",
    "ru": "Замените словами клиента или уберите.",
}
