"""SMS length: the GSM 03.38 7-bit alphabet, segment counts, and text fitted into as few segments as possible.

A GSM-7 message holds 160 characters in one segment (153 per segment when split); one character outside the
alphabet makes the whole message UCS-2, 70 characters (67 per segment when split).
"""

from __future__ import annotations

from dataclasses import dataclass

_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENDED = "^{}\\[~]|€\f"  # each takes two septets (escape + character)
_GSM = frozenset(_BASIC) | frozenset(_EXTENDED)
# Typographic characters a survey text often holds, replaced by GSM-7 look-alikes so the message stays 7-bit.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "})


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def plain(text: str) -> str:
    return text.translate(_PLAIN)


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM for ch in text)


def measure(text: str) -> SmsLength:
    """Encoding, length in that encoding's units, and the number of segments a handset receives."""
    if is_gsm7(text):
        units = sum(2 if ch in _EXTENDED else 1 for ch in text)
        return SmsLength("gsm7", units, 1 if units <= 160 else -(-units // 153))
    units = len(text.encode("utf-16-le")) // 2
    return SmsLength("ucs2", units, 1 if units <= 70 else -(-units // 67))


def capacity(encoding: str, segments: int) -> int:
    """Units that fit in `segments` segments: 160 or 153 per part (GSM-7), 70 or 67 per part (UCS-2)."""
    single, part = (160, 153) if encoding == "gsm7" else (70, 67)
    return single if segments == 1 else part * segments


def fit(lead: str, tail: str, *, min_lead: int = 20) -> str:
    """`lead + " " + tail` in as few segments as it can take: `lead` (the question) is shortened, never `tail`
    (the link), and keeps at least `min_lead` characters; a single segment is used whenever that allows it."""
    lead, tail = plain(lead).strip(), tail.strip()
    whole = f"{lead} {tail}" if lead else tail
    encoding = measure(whole).encoding
    tail_units = measure(tail).units
    for segments in range(1, measure(whole).segments):
        room = capacity(encoding, segments) - tail_units - 1 - 3  # a space, and "..." after the cut
        if room >= min_lead:
            cut = lead
            while measure(cut).units > room:
                cut = cut[:-1]
            return f"{cut.rstrip()}... {tail}"
    return whole
