"""The hosted survey page's own words (buttons, errors, notices) in English, Indonesian, Malay and Russian."""

from __future__ import annotations

from suara.surveys.rendering import locale_chain

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Survey",
        "send": "Send",
        "required": "required",
        "answer_this": "Please answer this question.",
        "answer_one": "Please answer at least one question.",
        "choices": "Please choose {low} to {high} options.",
        "too_long": "This answer is too long.",
        "more": "One more question, based on your answer.",
        "thanks": "Thank you for your answer.",
        "already": "You have already answered this survey. Thank you!",
        "invalid_title": "This link does not work",
        "invalid": "The survey link is incomplete or was changed. Please open it again from the original message.",
        "expired_title": "This survey has closed",
        "expired": "The link has expired. Thank you for your interest.",
        "missing_title": "Survey not available",
        "missing": "This survey is no longer available.",
    },
    "id": {
        "title": "Survei",
        "send": "Kirim",
        "required": "wajib",
        "answer_this": "Mohon jawab pertanyaan ini.",
        "answer_one": "Mohon jawab setidaknya satu pertanyaan.",
        "choices": "Mohon pilih {low} sampai {high} opsi.",
        "too_long": "Jawaban ini terlalu panjang.",
        "more": "Ada satu pertanyaan lagi berdasarkan jawaban Anda.",
        "thanks": "Terima kasih atas jawaban Anda.",
        "already": "Anda sudah menjawab survei ini. Terima kasih!",
        "invalid_title": "Tautan ini tidak berfungsi",
        "invalid": "Tautan survei tidak lengkap atau telah diubah. Silakan buka kembali dari pesan aslinya.",
        "expired_title": "Survei ini sudah ditutup",
        "expired": "Tautan ini sudah kedaluwarsa. Terima kasih atas minat Anda.",
        "missing_title": "Survei tidak tersedia",
        "missing": "Survei ini sudah tidak tersedia.",
    },
    "ms": {
        "title": "Tinjauan",
        "send": "Hantar",
        "required": "wajib",
        "answer_this": "Sila jawab soalan ini.",
        "answer_one": "Sila jawab sekurang-kurangnya satu soalan.",
        "choices": "Sila pilih {low} hingga {high} pilihan.",
        "too_long": "Jawapan ini terlalu panjang.",
        "more": "Ada satu lagi soalan berdasarkan jawapan anda.",
        "thanks": "Terima kasih atas jawapan anda.",
        "already": "Anda telah menjawab tinjauan ini. Terima kasih!",
        "invalid_title": "Pautan ini tidak berfungsi",
        "invalid": "Pautan tinjauan tidak lengkap atau telah diubah. Sila buka semula daripada mesej asal.",
        "expired_title": "Tinjauan ini telah ditutup",
        "expired": "Pautan ini telah tamat tempoh. Terima kasih atas minat anda.",
        "missing_title": "Tinjauan tidak tersedia",
        "missing": "Tinjauan ini tidak lagi tersedia.",
    },
    "ru": {
        "title": "Опрос",
        "send": "Отправить",
        "required": "обязательно",
        "answer_this": "Пожалуйста, ответьте на этот вопрос.",
        "answer_one": "Пожалуйста, ответьте хотя бы на один вопрос.",
        "choices": "Выберите от {low} до {high} вариантов.",
        "too_long": "Ответ слишком длинный.",
        "more": "По вашему ответу появился ещё один вопрос.",
        "thanks": "Спасибо за ваш ответ.",
        "already": "Вы уже ответили на этот опрос. Спасибо!",
        "invalid_title": "Ссылка не работает",
        "invalid": "Ссылка на опрос неполная или была изменена. Откройте её снова из исходного письма.",
        "expired_title": "Опрос завершён",
        "expired": "Срок действия ссылки истёк. Спасибо за интерес.",
        "missing_title": "Опрос недоступен",
        "missing": "Этот опрос больше недоступен.",
    },
}


def phrases(locale: str | None) -> tuple[str, dict[str, str]]:
    """The page language for `locale` (along the survey fallback chain, English last) and its phrases."""
    language = next((loc for loc in locale_chain(locale, "en") if loc in PHRASES), "en")
    return language, PHRASES[language]
