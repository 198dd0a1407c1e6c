"""Themes: recurring topics found without labels in customer comments, per language, with ids stable across runs.

How: each text becomes word uni- and bigrams after light per-language normalisation (lower case, stop words out,
Indonesian/Malay `-nya` and English and Russian endings cut); per language a TF-IDF matrix is factorised by NMF
(deterministic NNDSVD start) into topics; a topic keeps its top terms as a unit-length "centroid". Items are then
assigned to the themes whose centroid is close enough (cosine), which is also how new items are assigned later
without refitting.

A theme's id is a hash of its language and anchor terms; `match` maps a new run's themes onto stored ones by
centroid cosine, so the same topic keeps its id when data grows.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

LANGUAGES = ("en", "id", "ms", "ru")
TOP_TERMS = 25  # terms kept per theme centroid
MIN_SCORE = 0.12  # cosine of an item with a theme's centroid to count as mentioning it
RELATIVE = 0.6  # a second theme must score at least this share of the item's best one
MAX_PER_ITEM = 2
MATCH = 0.45  # centroid cosine above which a new topic is the same theme as a stored one
DUPLICATE = 0.18  # topics of one fit this close are one topic split in two (sub-phrases of it)
OVERLAP = 0.3  # topics sharing this share of the smaller one's items are one topic split in two
SAMPLE = 5000  # texts per language the topics are learnt from (evenly spread); every text is assigned after

_WORD = re.compile(r"[^\W\d_]+")
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+")  # links and handles name no topic
_REPEAT = re.compile(r"(\w)\1{2,}")
_EN_ENDING = re.compile(r"(ing|ed|es|s)$(?<!ss)")
_RU_ENDING = re.compile(
    r"(иями|ями|ами|ого|его|ому|ему|ыми|ими|ией|ий|ый|ой|ая|яя|ое|ее|ую|юю|ых|их|ом|ем|ам|ям|ах|ях|ов|ев|ей"
    r"|ия|ие|ию|ть|ет|ит|ут|ют|ат|ят|ла|ло|ли|ся|сь|а|я|о|е|у|ю|ы|и|ь)$"
)

# Words that carry no topic: function words, fillers and generic praise or blame (sentiment is measured apart).
_STOP_TEXT = {
    "en": """a about above after again all also am an and any are as at be because been before being below both but by
        can could did do does doing done down during each even ever every few for from further get got had has have
        having he her here hers him his how i if in into is it its itself just let me more most much my myself no
        nor not now of off on once only or other our ours out over own really same she should so some still such
        than that the their theirs them then there these they this those through to too under until up us very was
        we were what when where which while who whom why will with would you your yours yourself im ive dont didnt
        doesnt isnt wasnt cant wont one two three thing things lot bit quite like already always never again ok okay
        pls please thanks thank hi hello dear sir madam via also yet though although etc""",
    "id": """ada adalah agak agar akan aku aja aja amat anda apa apakah atau bagi bahwa baru bisa buat bukan cuma dah
        dalam dan dapat dari daripada deh dengan di dia dong gitu gue hal hanya harus ini itu jadi jika juga kah kak
        kalau kami kamu kan karena ke kena kita kok lagi lah lalu lebih mah mana masih mau mereka min mungkin nah
        namun nya oleh pada para pun saat saja sama sampai sang saya se sebagai sebelum sedang sehingga sekali
        seperti setelah sih sudah supaya tapi tetapi tersebut toh untuk yaitu yang yg dgn utk dg sy tp jg sdh aj ya
        yah ok oke nih tuh udah udh gan sis bang mas mbak bu pak terima kasih makasih trims thanks""",
    "ms": """ada adalah agak akan aku amat anda apa apakah atau bagi bahawa baru boleh buat bukan cuma dalam dan dapat
        dari daripada dengan di dia hal hanya harus ini itu jadi jika juga kah kalau kami kamu kan kerana ke kita
        lagi lah lebih mana masih mahu mereka mungkin namun nya oleh pada para pun saat saja sama sampai saya se
        sebagai sebelum sedang sehingga sekali seperti selepas sudah supaya tapi tetapi tersebut untuk yang yg dgn
        utk sy tp jgk dah ja je la lah pun ni tu tau ke kot ok oke terima kasih""",
    "ru": """а без более бы был была были было быть в вам вас весь во вот все всё всего всех вы где да даже для до его
        ее её если есть еще ещё же за здесь и из или им их к как какой когда кто ли либо мне может мы на над надо наш
        не него нее неё нет ни них но ну о об однако он она они оно от очень по под после потому при про раз с сам
        свой себя так также такой там те тем то тоже только том тот тут ты у уже хотя чего чем что чтобы чтоб эта
        эти это этот я спасибо пожалуйста здравствуйте просто вообще""",
}
STOP: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in _STOP_TEXT.items()}


def _stem(word: str, lang: str) -> str:
    """Light stemming so inflected forms meet: English and Russian endings, Indonesian/Malay enclitics."""
    if lang == "ru" and len(word) > 4:
        return _RU_ENDING.sub("", word) or word
    if lang == "en" and len(word) > 4:
        return _EN_ENDING.sub("", word) or word
    if lang in ("id", "ms") and len(word) > 5:
        for suffix in ("nya", "lah", "kah"):
            if word.endswith(suffix):
                return word[: -len(suffix)]
    return word


def terms(text: str, lang: str) -> tuple[list[str], dict[str, str]]:
    """The text's terms (uni- and bigrams of stems, stop words out) and each stem's surface word."""
    stop = STOP.get(lang, frozenset())
    clean = _REPEAT.sub(r"\1\1", _NOISE.sub(" ", text.lower()))
    words = [w for w in _WORD.findall(clean) if len(w) > 1 and w not in stop]
    stems = [_stem(w, lang) for w in words]
    surface = dict(zip(stems, words, strict=True))
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False) if a != b], surface


@dataclass(frozen=True)
class Theme:
    """One theme: `terms` is its unit-length centroid (term -> weight); `name` is built from its top phrases."""

    theme_id: str
    language: str
    name: str
    phrases: tuple[str, ...]
    terms: Mapping[str, float]
    size: int = 0


@dataclass
class ThemeFit:
    """The themes found and, per input text, the ids of the themes it mentions (best first)."""

    themes: list[Theme]
    assignments: list[list[tuple[str, float]]] = field(default_factory=list)
    terms: list[list[str]] = field(default_factory=list, repr=False)  # each text's terms, to assign again


def theme_id(language: str, anchors: Sequence[str]) -> str:
    """A stable id from the language and the theme's anchor terms."""
    key = language + "|" + "|".join(sorted(anchors))
    return "th_" + hashlib.sha1(key.encode()).hexdigest()[:10]


def topic_count(n: int) -> int:
    """How many topics to look for in `n` texts of one language: grows like sqrt(n), 2 to 30."""
    return int(min(30, max(2, round(math.sqrt(n / 12)))))


class ThemeModel:
    """Finds themes in texts of the four languages. `fit(texts, languages)` returns a ThemeFit; `seed` fixes NMF."""

    def __init__(self, *, max_features: int = 3000, min_share: float = 0.004, seed: int = 0) -> None:
        self.max_features, self.min_share, self.seed = max_features, min_share, seed

    def fit(self, texts: Sequence[str | None], languages: Sequence[str | None]) -> ThemeFit:
        pairs = zip(texts, languages, strict=True)
        docs = [terms(t or "", lang or "") if lang in LANGUAGES else ([], {}) for t, lang in pairs]
        themes: list[Theme] = []
        for lang in LANGUAGES:
            idx = [i for i, lg in enumerate(languages) if lg == lang and docs[i][0]]
            themes += self._fit_language(lang, [docs[i] for i in idx])
        fit = ThemeFit(themes)
        fit.assignments = assign([d[0] for d in docs], list(languages), themes)
        joined = _merge_overlapping(themes, fit.assignments)
        if len(joined) < len(themes):
            themes = joined
            fit.assignments = assign([d[0] for d in docs], list(languages), themes)
        sizes = Counter(tid for a in fit.assignments for tid, _ in a)
        # a topic few items reach is noise: drop it and assign again without it
        floor = max(3, int(self.min_share * sum(1 for d in docs if d[0])))
        kept = [t for t in themes if sizes[t.theme_id] >= floor]
        if len(kept) < len(themes):
            fit.assignments = assign([d[0] for d in docs], list(languages), kept)
            sizes = Counter(tid for a in fit.assignments for tid, _ in a)
        fit.terms = [d[0] for d in docs]
        fit.themes = sorted(
            (Theme(t.theme_id, t.language, t.name, t.phrases, t.terms, sizes[t.theme_id]) for t in kept),
            key=lambda t: (-t.size, t.theme_id),
        )
        return fit

    def _fit_language(self, lang: str, docs: list[tuple[list[str], dict[str, str]]]) -> list[Theme]:
        from sklearn.decomposition import NMF
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.feature_extraction.text import TfidfVectorizer

        if len(docs) < 10:
            return []
        if len(docs) > SAMPLE:  # topics of a large set show in an even sample; assigning every item stays cheap
            docs = [docs[i] for i in np.linspace(0, len(docs) - 1, SAMPLE).astype(int)]
        min_df = max(2, int(0.001 * len(docs)))
        vec = TfidfVectorizer(
            analyzer=_identity, min_df=min_df, max_df=0.7, max_features=self.max_features, sublinear_tf=True
        )
        try:
            x = vec.fit_transform([d[0] for d in docs])
        except ValueError:  # every term too rare or too common
            return []
        k = min(topic_count(len(docs)), x.shape[1] - 1, x.shape[0] - 1)
        if k < 2:
            return []
        nmf = NMF(n_components=k, init="nndsvd", max_iter=80, tol=3e-3, random_state=self.seed)
        with warnings.catch_warnings():  # a topic that has not fully converged is still a usable topic
            warnings.simplefilter("ignore", ConvergenceWarning)
            nmf.fit(x)
        vocab = vec.get_feature_names_out()
        surface: Counter[tuple[str, str]] = Counter((s, w) for _, m in docs for s, w in m.items())
        words: dict[str, str] = {}
        for (stem, word), _ in surface.most_common():
            words.setdefault(stem, word)
        centroids: list[dict[str, float]] = []
        for row in nmf.components_:
            top = np.argsort(-row)[:TOP_TERMS]
            c = _unit({str(vocab[j]): float(row[j]) for j in top if row[j] > 0})
            if c:
                centroids.append(c)
        themes: list[Theme] = []
        for centroid in _join_close(centroids):
            phrases = _phrases(list(centroid), words)
            themes.append(Theme(theme_id(lang, list(centroid)[:3]), lang, _name(phrases), phrases, centroid))
        return themes


def _unit(weights: Mapping[str, float]) -> dict[str, float]:
    """The TOP_TERMS heaviest terms, scaled to unit length, heaviest first."""
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {t: w / norm for t, w in top if w > 0}


def _join_close(centroids: list[dict[str, float]]) -> list[dict[str, float]]:
    """Join the closest pair of topics while their cosine is at least DUPLICATE (one topic split by NMF)."""
    out = list(centroids)
    while len(out) > 1:
        sim, i, j = max((cosine(a, b), i, j) for i, a in enumerate(out) for j, b in enumerate(out) if i < j)
        if sim < DUPLICATE:
            break
        summed = Counter(out[i])
        summed.update(out[j])
        out[i] = _unit(summed)
        del out[j]
    return out


def _merge_overlapping(themes: list[Theme], assigned: list[list[tuple[str, float]]]) -> list[Theme]:
    """Join topics that mostly reach the same items (one topic split in two): centroids averaged, the larger's id."""
    sizes = Counter(tid for a in assigned for tid, _ in a)
    both = Counter(tuple(sorted(t for t, _ in a)) for a in assigned if len(a) > 1)
    by_id = {t.theme_id: t for t in themes}
    into: dict[str, str] = {}
    for (a, b), n in both.most_common():
        a, b = into.get(a, a), into.get(b, b)
        if a == b or n < OVERLAP * min(sizes[a], sizes[b]):
            continue
        keep, drop = (a, b) if (sizes[a], a) >= (sizes[b], b) else (b, a)
        k, d = by_id[keep], by_id[drop]
        summed = Counter(dict(k.terms))
        summed.update(dict(d.terms))
        top = dict(summed.most_common(TOP_TERMS))
        norm = math.sqrt(sum(w * w for w in top.values())) or 1.0
        by_id[keep] = Theme(k.theme_id, k.language, k.name, k.phrases, {t: w / norm for t, w in top.items()})
        sizes[keep] += sizes[drop]
        into[drop] = keep
        for old, new in list(into.items()):
            if new == drop:
                into[old] = keep
        del by_id[drop]
    return [by_id[t.theme_id] for t in themes if t.theme_id in by_id]


def _identity(doc: list[str]) -> list[str]:
    return doc


def _display(term: str, words: Mapping[str, str]) -> str:
    return " ".join(words.get(part, part) for part in term.split(" "))


def _phrases(ranked: list[str], words: Mapping[str, str]) -> tuple[str, ...]:
    """Up to five readable phrases: bigrams first where they cover the top unigrams, no repeats."""
    out: list[str] = []
    covered: set[str] = set()
    for term in ranked[:12]:
        parts = set(term.split(" "))
        if parts <= covered:
            continue
        if " " not in term and any(term in t.split(" ") and t in ranked[:12] for t in ranked[:12] if " " in t):
            continue  # its bigram says it better
        out.append(_display(term, words))
        covered |= parts
        if len(out) == 5:
            break
    return tuple(out)


def _name(phrases: Sequence[str]) -> str:
    return " / ".join(phrases[:2])[:120]


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two unit-length term vectors."""
    if len(b) < len(a):
        a, b = b, a
    return float(sum(w * b.get(t, 0.0) for t, w in a.items()))


def assign(
    docs: Sequence[Sequence[str]], languages: Sequence[str | None], themes: Sequence[Theme]
) -> list[list[tuple[str, float]]]:
    """For each term list, the (theme id, score) of the themes of its language it mentions, best first.

    Score: cosine of the item's binary term vector with the theme's centroid; kept when at least MIN_SCORE and
    RELATIVE of the item's best, at most MAX_PER_ITEM.
    """
    out: list[list[tuple[str, float]]] = [[] for _ in docs]
    for lang in {t.language for t in themes}:
        group = [t for t in themes if t.language == lang]
        index = {term: j for j, term in enumerate(sorted({term for t in group for term in t.terms}))}
        rows = [i for i, lg in enumerate(languages) if lg == lang and docs[i]]
        if not rows or not index:
            continue
        indptr, cols, norms = [0], [], []
        for i in rows:
            unique = set(docs[i])
            norms.append(math.sqrt(len(unique)))
            cols += [index[t] for t in unique if t in index]
            indptr.append(len(cols))
        x = sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(len(rows), len(index)))
        c = np.zeros((len(index), len(group)))
        for j, theme in enumerate(group):
            for term, w in theme.terms.items():
                c[index[term], j] = w
        scores = np.asarray(x @ c) / np.asarray(norms)[:, None]
        for r, i in enumerate(rows):
            s = scores[r]
            best = float(s.max())
            if best < MIN_SCORE:
                continue
            order = np.argsort(-s)[:MAX_PER_ITEM]
            out[i] = [
                (group[j].theme_id, round(float(s[j]), 4)) for j in order if s[j] >= max(MIN_SCORE, RELATIVE * best)
            ]
    return out


def match(new: Sequence[Theme], old: Sequence[Theme], threshold: float = MATCH) -> dict[str, str]:
    """New theme id -> stored theme id for the pairs that are the same topic (same language, centroid cosine at
    least `threshold`), matched greedily best pair first, each at most once."""
    pairs = sorted(
        ((cosine(n.terms, o.terms), n.theme_id, o.theme_id) for n in new for o in old if n.language == o.language),
        reverse=True,
    )
    out: dict[str, str] = {}
    used: set[str] = set()
    for sim, n_id, o_id in pairs:
        if sim < threshold:
            break
        if n_id not in out and o_id not in used:
            out[n_id] = o_id
            used.add(o_id)
    return out
