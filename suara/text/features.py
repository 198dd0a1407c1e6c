"""Text to hashed sparse features: word uni/bigrams, character n-grams and polarity-cue counts, TF-IDF weighted.

Stateless apart from its config (hash width, n-gram ranges, cue lists) and the IDF weights learnt in training, so the
shipped model is a JSON config plus arrays, never a pickle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher

from suara.text import lexicon

URL = re.compile(r"https?://\S+|www\.\S+")
USER = re.compile(r"@\w+")
REPEAT = re.compile(r"(\w)\1{2,}")
SMILES = re.compile(r"[:;=]-?[)dDpP]+|\){2,}|\bxd+\b|\^_*\^")
FROWNS = re.compile(r"[:;=]'?-?\(+|\({2,}")
EMOJI = "\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2764"
TOKEN = re.compile(rf"[^\W\d_]+|\d+|[!?.,;]|[{EMOJI}]")
BREAKS = frozenset(".,;!?")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def normalize(text: str) -> str:
    """Lower-case; URLs, @users and emoticons become placeholder words; 'sooooo' becomes 'soo'."""
    text = URL.sub(" xurl ", text)
    text = USER.sub(" xuser ", text)
    text = text.replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    text = SMILES.sub(f" {lexicon.SMILE} ", text)
    text = FROWNS.sub(f" {lexicon.FROWN} ", text)
    return REPEAT.sub(r"\1\1", text.lower())


def tokens(text: str) -> list[str]:
    """Words, numbers, single emoji and the punctuation that ends a clause, of an already normalised text."""
    return TOKEN.findall(text)


@dataclass
class Cues:
    """Polarity cues: exact words (+1/-1), Russian stems (prefixes), negators and English valences (VADER)."""

    words: dict[str, int] = field(default_factory=dict)
    stems: dict[str, int] = field(default_factory=dict)
    negators: frozenset[str] = frozenset()
    valence: dict[str, float] = field(default_factory=dict)
    # emoji and emoticons keep their polarity after a negator ("not bad :)")
    symbols: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, cfg: Mapping[str, object]) -> Cues:
        words: dict[str, int] = {}
        stems: dict[str, int] = {}
        for sign, key in ((1, "positive"), (-1, "negative")):
            table = cfg[key]
            assert isinstance(table, dict)
            for lang, entries in table.items():
                target = stems if lang == "ru" else words
                for w in entries:
                    target[w] = sign
        pos_emoji, neg_emoji = str(cfg.get("positive_emoji", "")), str(cfg.get("negative_emoji", ""))
        symbols = {*pos_emoji, *neg_emoji, lexicon.SMILE, lexicon.FROWN}
        words |= dict.fromkeys([*pos_emoji, lexicon.SMILE], 1) | dict.fromkeys([*neg_emoji, lexicon.FROWN], -1)
        negs = cfg["negators"]
        assert isinstance(negs, dict)
        valence = cfg.get("valence") or {}
        assert isinstance(valence, dict)
        negators = frozenset(w for ws in negs.values() for w in ws)
        return cls(words, stems, negators, dict(valence), frozenset(symbols))

    def polarity(self, tok: str) -> int:
        if (p := self.words.get(tok)) is not None:
            return p
        if self.stems and CYRILLIC.match(tok):
            for n in range(min(len(tok), 9), 2, -1):
                if (p := self.stems.get(tok[:n])) is not None:
                    return p
        return 0


def cue_config() -> dict[str, object]:
    """The curated lexicon as stored in a model's config."""
    return {
        "positive": {k: list(v) for k, v in lexicon.POSITIVE.items()},
        "negative": {k: list(v) for k, v in lexicon.NEGATIVE.items()},
        "negators": {k: list(v) for k, v in lexicon.NEGATORS.items()},
        "positive_emoji": lexicon.POSITIVE_EMOJI,
        "negative_emoji": lexicon.NEGATIVE_EMOJI,
    }


@dataclass
class Featurizer:
    """Hashes a text's n-grams and cues into `n_features` columns; `idf` (once fitted) weights the columns."""

    cues: Cues
    n_features: int = 1 << 20
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: int = 2
    cue_weight: float = 1.0
    idf: np.ndarray | None = None
    _hasher: FeatureHasher = field(init=False, repr=False)
    _cue_cols: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._hasher = FeatureHasher(n_features=self.n_features, input_type="string", alternate_sign=False)
        names = [f"{n}cue{s}" for n in ("", "~") for s in "+-"] + [f"val{v:+d}" for v in range(-3, 4)]
        self._cue_cols = np.unique(self._hasher.transform([names]).indices)

    def analyze(self, text: str) -> list[str]:
        """The feature names of one raw text (before hashing)."""
        norm = normalize(text)
        toks = tokens(norm)
        out = ["w " + t for t in toks if t not in ".,;"]
        if self.word_ngrams >= 2:
            out += ["b " + a + " " + b for a, b in zip(toks, toks[1:], strict=False) if a not in BREAKS]
        s = " " + " ".join(norm.split()) + " "
        lo, hi = self.char_ngrams
        for n in range(lo, hi + 1):
            out += [s[i : i + n] for i in range(len(s) - n + 1)]
        out += self._cues(toks)
        return out

    def _cues(self, toks: Sequence[str]) -> list[str]:
        """'+', '-' cue tokens, flipped to '~+'/'~-' for two words after a negator within the clause; VADER
        valence buckets likewise."""
        out = []
        negated = 0
        for t in toks:
            if t in BREAKS:
                negated = 0
                continue
            if t in self.cues.negators:
                negated = 2
                continue
            p = self.cues.polarity(t)
            if p and (t in self.cues.symbols):
                out.append("cue+" if p > 0 else "cue-")
            elif p:
                out.append(("~" if negated else "") + ("cue+" if p > 0 else "cue-"))
            if (v := self.cues.valence.get(t)) is not None:
                v = -v if negated else v
                out.append(f"val{max(-3, min(3, round(v))):+d}")
            negated = max(0, negated - 1)
        return out

    def counts(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Raw hashed counts, one row per text."""
        return self._hasher.transform(self.analyze(t) for t in texts).tocsr()

    def fit_idf(self, counts: sp.csr_matrix) -> np.ndarray:
        """Smoothed IDF over the training rows (sklearn's formula), kept as float32."""
        df = np.bincount(counts.indices, minlength=self.n_features)
        n = counts.shape[0]
        self.idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        return self.idf

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear TF times IDF, rows scaled to unit length."""
        if self.idf is None:
            raise RuntimeError("fit_idf first")
        x = counts.astype(np.float32)
        x.data = np.log1p(x.data) * self.idf[x.indices]
        if self.cue_weight != 1.0:
            # a few cue columns among thousands of n-grams: scaling them up lets them count despite regularisation
            x.data[np.isin(x.indices, self._cue_cols)] *= self.cue_weight
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sp.csr_matrix(sp.diags(1 / norms) @ x)

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        return self.weigh(self.counts(texts))
