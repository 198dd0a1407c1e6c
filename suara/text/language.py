"""Language identification: `en`, `id`, `ms`, `ru` or `und`, robust to short and code-mixed texts.

lingua-language-detector (models ship inside the wheel, nothing is downloaded) decides among the four supported
languages plus the other languages of the same scripts a customer is likely to write in, so a French or Ukrainian
comment becomes `und` (with the language it is in) instead of a wrong guess. Indonesian and Malay share most of their
vocabulary and lingua confuses them often, so marker words that only one of the two uses break the tie.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

SUPPORTED = ("en", "id", "ms", "ru")
UND = "und"

# each extra language costs lingua time on every text of its script, so the other Latin-script languages are only
# consulted when a text shows their function words or letters (see _LATIN_GATE)
_CORE = ("ENGLISH", "INDONESIAN", "MALAY", "RUSSIAN")
_OTHER_CYRILLIC = ["UKRAINIAN", "BELARUSIAN", "KAZAKH"]
_OTHER_SCRIPTS = (
    "CHINESE JAPANESE KOREAN ARABIC PERSIAN "
    "URDU HEBREW THAI HINDI MARATHI BENGALI TAMIL TELUGU PUNJABI GUJARATI GREEK ARMENIAN GEORGIAN"
).split()
_OTHER_LATIN = (
    "FRENCH GERMAN SPANISH PORTUGUESE ITALIAN DUTCH TURKISH VIETNAMESE TAGALOG POLISH SWEDISH DANISH "
    "BOKMAL FINNISH CZECH ROMANIAN HUNGARIAN"
).split()

# function words of the other Latin-script languages that are not English, Indonesian or Malay words
_LATIN_GATE = frozenset(
    (
        "le les des du et est une avec pour très vous merci mais dans sont être nous elle "  # French
        "der das und ist nicht ich sehr mit für auf danke wir auch eine "  # German
        "el del los las que muy pero gracias está como también "  # Spanish
        "não muito obrigado obrigada você uma isso "  # Portuguese
        "che molto sono grazie della questo anche "  # Italian
        "het een niet zeer ik maar bedankt wij zijn "  # Dutch
        "bir çok için değil teşekkür "  # Turkish
        "mga hindi salamat naman yung po sa maganda mabilis ako "  # Tagalog
        "jest się bardzo dziękuję "  # Polish
        "och inte jag är "  # Swedish
    ).split()
)
# letters of other Latin-script languages (matched against lower-cased text)
_LATIN_EXTRA = re.compile(r"[àâæçèéêëîïôœùûüÿñãõßäöåøşğıąęłńśźżčřšžăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệ]")

# words that one of Indonesian/Malay uses and the other hardly does (lower case, after the informal spellings)
MALAY_MARKERS = frozenset(
    (
        "tak nak je kat dah mcm macam sikit apasal apehal korang awak boleh kerana sebab wang kereta percuma bas "
        "teksi kenderaan pejabat jabatan polis kerajaan sahaja esok faham fikir cuba baiki rosak xde takde tiada "
        "budak lelaki encik puan syarikat telefon bilik tandas lori basikal motosikal seluar kasut ringgit rm "
        "pastu camne camtu iaitu selepas bagaimanapun manakala negeri kenyataan mahkamah lebuhraya bermula "
        "bekalan perkhidmatan kualiti kos bayaran kad akaun penghantaran cakap jumpa tengok sgt tgk "
        "jugak ni tu nye ape ade sape mane kenape kedai kerusi pelaburan sebarang maklumat semasa baharu "
        "antarabangsa berkenaan memandangkan kakitangan majikan cukai hospital doktor ubat kempen parti universiti "
        "dihujahkan ramai ia daripada sekiranya bukannya hendak mahu terlalu amat"
    ).split()
)
INDONESIAN_MARKERS = frozenset(
    (
        "gak ga nggak enggak ngga banget bgt aja udah sih dong kok deh nih gue gw lu loe elo bikin kayak emang "
        "gimana karena uang mobil gratis kantor polisi pemerintah besok kemarin sepatu celana kartu akun "
        "kualitas biaya pengiriman layanan makasih pengen pingin doang belom bisa jelek lumayan kurir ongkir "
        "mantul cakep ganteng cewek cowok dikasih ketemu nonton liat ngomong bilang kalo gitu gini "
        "yaitu toko nyesel gampang cepet bener dapet mah segitu kenceng pake nyampe sampe dipesen banyak "
        "nyaman kamar pelayanan rumah sakit dokter obat partai kursi investasi informasi pajak karyawan "
        "perusahaan internasional baru saat sedang mau terlalu sangat"
    ).split()
)
# markers that are also common in the other language only count at half weight
_WEAK = frozenset(
    "ni tu boleh sebab kedai ramai ia daripada hendak mahu terlalu amat baru saat sedang mau sangat banyak".split()
)
_WORD = re.compile(r"[^\W\d_]+")
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|&\w+;")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")
# log-odds per marker word, and the cap on lingua's own log-odds (0.8-1.6 and 2-7 all score within half a point
# of balanced accuracy on the Indonesian and Malay training texts)
_MARKER_WEIGHT = 1.2
_LOGODDS_CAP = 3.0
# lingua mistakes Russian tweets for its neighbours; believe those only when their own letters appear
_CYRILLIC_OWN = {"uk": "іїєґ", "be": "ўі", "kk": "әғқңөұүһі"}
_CYRILLIC_SURE = 0.85
# below these, a text is likelier a supported language with a few foreign words than a foreign text
_OTHER_MIN_CONFIDENCE = 0.6
_SURE = 0.9
_OTHER_IF_UNSURE = 0.95


@dataclass(frozen=True)
class Detected:
    """A text's language: one of SUPPORTED or `und`; `other` names an unsupported language lingua recognised;
    `mixed` says a second supported language holds a large share (code-mixing)."""

    language: str
    confidence: float
    other: str | None = None
    mixed: bool = False


def _iso(lang: Any) -> str:
    return str(lang.iso_code_639_1.name).lower()


@dataclass(frozen=True)
class _Detectors:
    latin: Any
    cyrillic: Any
    other: Any
    wide: Any


@lru_cache(maxsize=1)
def _detectors() -> _Detectors:
    """One lingua detector per script (each scans only the languages that script can be), built on first use;
    lingua loads a language's model when a text first needs it."""
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise RuntimeError("language identification needs lingua-language-detector") from exc

    def build(names: list[str], low: bool = False) -> Any:
        builder = LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in names if hasattr(Language, n)))
        # trigram-only mode for the wide net: a tenth of the memory and load time; it only sees gated texts
        return (builder.with_low_accuracy_mode() if low else builder).build()

    core = list(_CORE)
    return _Detectors(
        build(core),
        build([*core, *_OTHER_CYRILLIC]),
        build([*core, *_OTHER_SCRIPTS]),
        build([*core, *_OTHER_LATIN], low=True),
    )


def marker_balance(words: list[str]) -> float:
    """Malay minus Indonesian marker evidence of a text's lower-case words (distinct words, weak ones at half)."""
    seen = set(words)
    ms = sum(0.5 if w in _WEAK else 1.0 for w in seen & MALAY_MARKERS)
    id_ = sum(0.5 if w in _WEAK else 1.0 for w in seen & INDONESIAN_MARKERS)
    return ms - id_


def has_words(text: str) -> bool:
    """Whether a text has letters outside URLs, @mentions, #tags and HTML entities."""
    return bool(_WORD.search(_NOISE.sub(" ", text)))


def detect(text: str) -> Detected:
    """The language of one text (already stripped of HTML); `und` when it has no letters or is in another
    language."""
    clean = _NOISE.sub(" ", text)
    words = _WORD.findall(clean.lower())
    if not words:
        return Detected(UND, 0.0)
    letters = "".join(words)
    n_latin = len(_LATIN.findall(letters))
    n_cyr = len(_CYRILLIC.findall(letters))
    detectors = _detectors()
    if n_latin + n_cyr < len(letters) / 2:
        detector = detectors.other
    elif n_cyr > n_latin:
        detector = detectors.cyrillic
    elif _LATIN_EXTRA.search(letters) or len(_LATIN_GATE.intersection(words)) >= 2:
        detector = detectors.wide
    else:
        detector = detectors.latin
    values = detector.compute_language_confidence_values(clean)
    if detector is detectors.latin and len(words) >= 2 and _unsure(values):
        # a short text in another Latin-script language can slip past the gate; ask the wide net, trust it if sure
        # (never for Tagalog there, which it confuses with informal Malay)
        wide = detectors.wide.compute_language_confidence_values(clean)
        if wide and wide[0].value >= _OTHER_IF_UNSURE and _iso(wide[0].language) not in (*SUPPORTED, "tl"):
            return Detected(UND, float(wide[0].value), other=_iso(wide[0].language))
    if not values or values[0].value <= 0:
        return Detected(UND, 0.0)
    conf = {_iso(v.language): float(v.value) for v in values}
    top = _iso(values[0].language)
    if top not in SUPPORTED and _believe_other(top, conf[top], letters):
        return Detected(UND, conf[top], other=top)
    if top not in SUPPORTED:
        top = max(SUPPORTED, key=lambda k: conf.get(k, 0.0))
        if conf.get(top, 0.0) <= 0:
            return Detected(UND, 0.0)
    if top in ("id", "ms"):
        top = _id_or_ms(conf, words)
    second = max((v for k, v in conf.items() if k in SUPPORTED and {k, top} != {"id", "ms"} and k != top), default=0)
    return Detected(top, conf.get(top, 0.0), mixed=second >= 0.3 and len(words) >= 4)


def _unsure(values: list[Any]) -> bool:
    """Whether lingua hesitates between English and Indonesian/Malay (the pair itself counts as one)."""
    conf = {_iso(v.language): float(v.value) for v in values}
    return max(conf.get("en", 0.0), conf.get("id", 0.0) + conf.get("ms", 0.0)) < _SURE


def _believe_other(lang: str, confidence: float, letters: str) -> bool:
    """Whether to report an unsupported language rather than the most likely supported one."""
    if lang in _CYRILLIC_OWN:
        return confidence >= _CYRILLIC_SURE or any(c in letters for c in _CYRILLIC_OWN[lang])
    return confidence >= _OTHER_MIN_CONFIDENCE or not (_LATIN.search(letters) or _CYRILLIC.search(letters))


def _id_or_ms(conf: dict[str, float], words: list[str]) -> str:
    """Indonesian or Malay: lingua's log-odds plus the marker words' balance."""
    p_ms, p_id = conf.get("ms", 0.0), conf.get("id", 0.0)
    # lingua is often certain (0 or 1) on long texts; capped, a few marker words can still overrule it
    logodds = max(-_LOGODDS_CAP, min(_LOGODDS_CAP, math.log((p_ms + 1e-6) / (p_id + 1e-6))))
    return "ms" if logodds + _MARKER_WEIGHT * marker_balance(words) > 0 else "id"
