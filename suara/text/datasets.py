"""Loaders for the labelled text sets under ../shared/data/text, with fixed train/dev splits.

Every loader returns a `Labelled` (texts, labels in {negative, neutral, positive}, name, source files). Splits that a
data set does not ship are made by SHA-1 of the normalised text, so they never change between runs or machines.
"""

from __future__ import annotations

import csv
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from suara.errors import NotFound, ValidationFailed

LABELS = ("negative", "neutral", "positive")
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "text"


@dataclass(frozen=True)
class Labelled:
    """Texts with 3-class labels; `files` are the source files (for the model card's hashes)."""

    name: str
    lang: str
    texts: list[str]
    labels: list[str]
    files: tuple[Path, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.texts)


def norm_key(text: str) -> str:
    """Lower-cased, whitespace-collapsed text: the key for de-duplication and hash splits."""
    return " ".join(text.lower().split())


def in_dev(text: str, tenths: int = 2) -> bool:
    """True for the `tenths`/10 of texts whose SHA-1 puts them in a development split."""
    return int(hashlib.sha1(norm_key(text).encode()).hexdigest(), 16) % 10 < tenths


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _need(path: Path) -> Path:
    if not path.is_file():
        raise NotFound(f"no data file {path}; point --data at the shared text folder (…/shared/data/text)")
    return path


def _rows(path: Path, delimiter: str = ",", header: bool = True) -> list[list[str]]:
    with _need(path).open(encoding="utf-8", newline="") as f:
        # the tab-separated sets carry unbalanced quotes inside tweets, so they are read without quoting
        if delimiter == "\t":
            rows = list(csv.reader(f, delimiter=delimiter, quoting=csv.QUOTE_NONE))
        else:
            rows = list(csv.reader(f, delimiter=delimiter))
    return rows[1:] if header else rows


def _make(name: str, lang: str, pairs: Iterable[tuple[str, str]], files: tuple[Path, ...]) -> Labelled:
    texts, labels = [], []
    for text, label in pairs:
        if text.strip() and label in LABELS:
            texts.append(text)
            labels.append(label)
    return Labelled(name, lang, texts, labels, files)


def smsa(root: Path, split: str) -> Labelled:
    """IndoNLU SmSA (Indonesian), split 'train' or 'valid'."""
    path = root / "id" / "smsa" / f"{split}.tsv"
    return _make(f"smsa_{split}", "id", ((r[0], r[1]) for r in _rows(path, "\t", header=False)), (path,))


def prdect(root: Path) -> Labelled:
    """PRDECT-ID Tokopedia reviews (Indonesian): the human binary label."""
    path = root / "id" / "prdect_id" / "prdect_id.csv"
    return _make("prdect_id", "id", ((r[8], r[9].lower()) for r in _rows(path)), (path,))


def nusax(root: Path, lang: str, split: str) -> Labelled:
    """NusaX-senti, lang 'id' (Indonesian) or 'en' (English), split 'train' or 'valid'."""
    folder = {"id": "id/nusax_ind", "en": "en/nusax_eng"}[lang]
    path = root / folder / f"{split}.csv"
    return _make(f"nusax_{lang}_{split}", lang, ((r[1], r[2]) for r in _rows(path)), (path,))


def uci(root: Path, split: str) -> Labelled:
    """UCI labelled sentences (Amazon, IMDB, Yelp; English, binary); 'train' or 'dev' by hash (20% dev)."""
    paths = tuple(root / "en" / "uci_sentences" / f"{s}_labelled.txt" for s in ("amazon_cells", "imdb", "yelp"))
    pairs = []
    for path in paths:
        for r in _rows(path, "\t", header=False):
            if len(r) >= 2 and in_dev(r[0]) == (split == "dev"):
                pairs.append((r[0], "positive" if r[1].strip() == "1" else "negative"))
    return _make(f"uci_{split}", "en", pairs, paths)


def airline(root: Path) -> Labelled:
    """US airline tweets dev file (English, 3-class). Evaluation only: CC BY-NC-SA, never training data."""
    path = root / "en" / "airline_tweets" / "dev.csv"
    return _make("airline_dev", "en", ((r[10], r[1]) for r in _rows(path)), (path,))


def malay_twitter(root: Path, split: str) -> Labelled:
    """Malaysian tweets (3-class); 'train' or 'dev' by hash (20% dev)."""
    path = root / "ms" / "malaysian_twitter" / "twitter.tsv"
    rows = [(r[0], r[2].lower()) for r in _rows(path, "\t") if len(r) > 2]
    return _make(f"malay_twitter_{split}", "ms", ((t, y) for t, y in rows if in_dev(t) == (split == "dev")), (path,))


def malay_extra(root: Path) -> Labelled:
    """Malaysian politics tweets (3-class) and news sentences (binary), training data only."""
    pol = root / "ms" / "malaysian_twitter" / "twitter_politics.tsv"
    news = root / "ms" / "malaysian_twitter" / "news_binary.csv"
    pairs = [(r[0], r[2].lower()) for r in _rows(pol, "\t") if len(r) > 2]
    pairs += [(r[1], r[0].lower()) for r in _rows(news) if len(r) > 1]
    return _make("malay_extra", "ms", pairs, (pol, news))


def _xml_tweets(path: Path) -> list[tuple[str, str]]:
    """SentiRuEval phpMyAdmin dump: tweet-level label where every mentioned entity agrees; mixed/noise dropped."""
    names = {"-1": "negative", "0": "neutral", "1": "positive"}
    out = []
    try:
        tables = ET.parse(_need(path)).getroot().iter("table")
    except ET.ParseError as exc:
        raise ValidationFailed(f"cannot parse {path}: {exc}") from None
    for table in tables:
        cols = {c.get("name"): (c.text or "") for c in table.iter("column")}
        text = cols.pop("text", "")
        values = {v.strip() for k, v in cols.items() if k not in ("id", "twitid", "date") and v.strip() != "NULL"}
        if len(values) == 1 and (v := values.pop()) in names:
            out.append((text, names[v]))
    return out


def sentirueval(root: Path, split: str, domain: str | None = None) -> Labelled:
    """SentiRuEval-2015 tweets (Russian) about banks and telecoms; split 'train' or 'test_etalon'."""
    domains = (domain,) if domain else ("banks", "telecoms")
    paths = tuple(root / "ru" / "sentirueval2015" / d / f"{split}.xml" for d in domains)
    pairs = [p for path in paths for p in _xml_tweets(path)]
    return _make(f"sentirueval2015_{domain or 'all'}_{split}", "ru", pairs, paths)


# sets whose license is unclear (Malay) or research-only (SentiRuEval): `permissive_only` training leaves them out
RESTRICTED = frozenset({"malay_twitter_train", "malay_extra", "sentirueval2015_all_train"})


def training_sets(root: Path, permissive_only: bool = False) -> list[Labelled]:
    """Everything the model learns from: no airline tweets (non-commercial), no dev splits; with
    `permissive_only`, none of RESTRICTED either."""
    smsa_dev = {norm_key(t) for t in smsa(root, "valid").texts}
    nx = nusax(root, "id", "train")
    keep = [i for i, t in enumerate(nx.texts) if norm_key(t) not in smsa_dev]
    nx = Labelled(nx.name, "id", [nx.texts[i] for i in keep], [nx.labels[i] for i in keep], nx.files)
    sets = [
        smsa(root, "train"),
        prdect(root),
        nx,
        uci(root, "train"),
        nusax(root, "en", "train"),
        *([] if permissive_only else [malay_twitter(root, "train"), malay_extra(root), sentirueval(root, "train")]),
    ]
    return sets


def dev_sets(root: Path, with_airline: bool = True) -> list[Labelled]:
    """The development sets reported in the model card and the benchmark, one or more per language."""
    seen = {norm_key(t) for t in smsa(root, "train").texts}
    nx = nusax(root, "id", "valid")
    # NusaX sentences were sampled from SmSA: keep only those the model has not seen
    keep = [i for i, t in enumerate(nx.texts) if norm_key(t) not in seen]
    sets = [
        smsa(root, "valid"),
        Labelled("nusax_id_valid_unseen", "id", [nx.texts[i] for i in keep], [nx.labels[i] for i in keep], nx.files),
        uci(root, "dev"),
        nusax(root, "en", "valid"),
        malay_twitter(root, "dev"),
        sentirueval(root, "test_etalon"),
    ]
    return [*sets, airline(root)] if with_airline else sets


def named_sets(root: Path) -> dict[str, Callable[[], Labelled]]:
    """The development sets by the names `suara text evaluate --dataset` accepts."""
    return {
        "smsa_valid": lambda: smsa(root, "valid"),
        "nusax_id_valid": lambda: next(d for d in dev_sets(root, False) if d.name.startswith("nusax_id")),
        "uci_dev": lambda: uci(root, "dev"),
        "nusax_en_valid": lambda: nusax(root, "en", "valid"),
        "airline_dev": lambda: airline(root),
        "malay_twitter_dev": lambda: malay_twitter(root, "dev"),
        "sentirueval2015_test": lambda: sentirueval(root, "test_etalon"),
        "sentirueval2015_banks_test": lambda: sentirueval(root, "test_etalon", "banks"),
        "sentirueval2015_telecoms_test": lambda: sentirueval(root, "test_etalon", "telecoms"),
    }
