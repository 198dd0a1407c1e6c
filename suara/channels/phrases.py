"""The invitations' own words (subject, links, footers) in English, Indonesian, Malay and Russian."""

from __future__ import annotations

from suara.surveys.rendering import locale_chain

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "subject": "A quick question for you",
        "pick": "Choose a score to open the survey with it selected.",
        "full": "Answer the survey",
        "unsubscribe": "Unsubscribe",
        "footer": "You received this because you are a customer. Don't want these emails?",
        "sms_stop": "Opt out:",
    },
    "id": {
        "subject": "Satu pertanyaan singkat untuk Anda",
        "pick": "Pilih skor untuk membuka survei dengan skor tersebut.",
        "full": "Isi survei",
        "unsubscribe": "Berhenti berlangganan",
        "footer": "Anda menerima email ini karena Anda pelanggan kami. Tidak ingin menerimanya lagi?",
        "sms_stop": "Berhenti:",
    },
    "ms": {
        "subject": "Satu soalan ringkas untuk anda",
        "pick": "Pilih skor untuk membuka tinjauan dengan skor itu dipilih.",
        "full": "Jawab tinjauan",
        "unsubscribe": "Berhenti melanggan",
        "footer": "Anda menerima e-mel ini kerana anda pelanggan kami. Tidak mahu menerimanya lagi?",
        "sms_stop": "Berhenti:",
    },
    "ru": {
        "subject": "Один короткий вопрос",
        "pick": "Выберите оценку, чтобы открыть опрос с ней.",
        "full": "Пройти опрос",
        "unsubscribe": "Отписаться",
        "footer": "Вы получили это письмо как наш клиент. Не хотите получать такие письма?",
        "sms_stop": "Отписаться:",
    },
}


def phrases(locale: str | None) -> dict[str, str]:
    """The phrases for `locale` along the survey fallback chain (Malay and Indonesian stand in for each other)."""
    chain = locale_chain(locale, "en")
    return PHRASES[next(loc for loc in chain if loc in PHRASES)]
