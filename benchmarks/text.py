"""Text analytics: accuracy per language beside published anchors and same-run baselines, and speed on one core.

Accuracy: the shipped model through the full pipeline (`suara.text.analyze`: language identification, then the
sentiment head of that language) on each development set; beside it, measured in the same run, a plain TF-IDF
(word 1-2-grams) logistic regression trained per language on the same permitted data, and VADER on the English
sets. Anchors are published test-set figures of fine-tuned transformers (different splits: context, not a race).

Speed: comments per second of `analyze` (language + sentiment, then with aspects) on a mix of the four languages,
pinned to one CPU; CPU seconds are the measure (the machine may be shared), wall seconds are shown too. VADER's
speed and accuracy on the same English comments come from the same run.
"""

from __future__ import annotations

import os

# one core: pin before numpy/scipy start any thread pools
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import Any  # noqa: E402

from _common import machine, median, table, write_section  # noqa: E402

from suara.text import analyze  # noqa: E402
from suara.text.datasets import DEFAULT_DATA, Labelled, dev_sets, training_sets  # noqa: E402
from suara.text.evaluation import scores  # noqa: E402
from suara.text.language import detect  # noqa: E402
from suara.text.sentiment import shipped  # noqa: E402

PACKAGES = ["lingua-language-detector", "vadersentiment", "scikit-learn", "numpy", "scipy"]
ANCHORS = {
    "smsa_valid": "92.72 (IndoBERT-large, SmSA test)",
    "sentirueval2015_all_test_etalon": "76.08 banks / 76.36 telecom (XLM-R large, SentiRuEval-2016 test, pos/neg)",
    "airline_dev": "~82 (fine-tuned RoBERTa, no standard split)",
    "malay_twitter_dev": "none published for these files",
}
GOALS = {"smsa_valid": 0.90, "sentirueval2015_all_test_etalon": 0.68, "airline_dev": 0.65, "malay_twitter_dev": 0.65}


def headline(d: Labelled, result: dict[str, Any]) -> float:
    """The figure each set is judged by: SentiRuEval's pos/neg macro-F1 for Russian, else macro-F1 over the
    classes present (pos/neg for the binary UCI set)."""
    return float(result["macro_f1_pos_neg"] if d.lang == "ru" else result["macro_f1"])


def vader_labels(texts: Sequence[str]) -> list[str]:
    """VADER's usual reading of the compound score: >= 0.05 positive, <= -0.05 negative, else neutral."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    out = []
    for t in texts:
        c = sia.polarity_scores(t)["compound"]
        out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
    return out


def tfidf_baselines(quick: bool) -> dict[str, Callable[[Sequence[str]], list[str]]]:
    """A plain TF-IDF + logistic regression per language, trained on the same data as the shipped model."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    models: dict[str, Callable[[Sequence[str]], list[str]]] = {}
    sets = training_sets(DEFAULT_DATA)
    for lang in ("en", "id", "ms", "ru"):
        texts = [t for d in sets if d.lang == lang for t in d.texts]
        labels = [y for d in sets if d.lang == lang for y in d.labels]
        if quick:
            texts, labels = texts[::4], labels[::4]
        pipe = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(C=10, max_iter=2000)
        )
        pipe.fit(texts, labels)
        models[lang] = lambda xs, p=pipe: [str(v) for v in p.predict(list(xs))]
    return models


def accuracy_rows(quick: bool) -> tuple[list[list[str]], list[str]]:
    rows, notes = [], []
    baselines = tfidf_baselines(quick)
    model = shipped()
    for d in dev_sets(DEFAULT_DATA):
        if quick and len(d) > 1000:
            d = Labelled(d.name, d.lang, d.texts[::10], d.labels[::10], d.files)
        ours = scores(d.labels, [r.sentiment for r in analyze(d.texts, model=model, with_aspects=False)])
        base = scores(d.labels, baselines[d.lang](d.texts))
        vader = scores(d.labels, vader_labels(d.texts)) if d.lang == "en" else None
        metric = "pos/neg macro-F1" if d.lang == "ru" or "neutral" not in d.labels else "macro-F1"
        goal = GOALS.get(d.name)
        rows.append([
            d.name, d.lang, f"{len(d):,}", metric, f"**{headline(d, ours):.3f}**", f"{ours['accuracy']:.3f}",
            f"{headline(d, base):.3f}", f"{headline(d, vader):.3f}" if vader else "-",
            f"{goal:.2f}" if goal else "-", ANCHORS.get(d.name, "-"),
        ])  # fmt: skip
        if vader and headline(d, ours) <= headline(d, vader):
            notes.append(f"below VADER on {d.name}")
        if d.lang == "ru":
            notes.append(f"{d.name}: 3-class macro-F1 {ours['macro_f1']:.3f} (TF-IDF LR {base['macro_f1']:.3f})")
    if not any(n.startswith("below VADER") for n in notes):
        notes.insert(0, "suara is above VADER on every English set")
    return rows, notes


def language_rows(quick: bool) -> list[list[str]]:
    """Identification accuracy per set (all texts, and those of at most four words), with and without the
    Indonesian/Malay marker words; the Malay tweets also hold Indonesian, so their figure is a floor."""
    from suara.text import language
    from suara.text.datasets import malay_extra, malay_twitter, prdect

    by_name = {d.name: d for d in dev_sets(DEFAULT_DATA)}
    sets = [
        ("SmSA valid", "id", by_name["smsa_valid"].texts),
        ("PRDECT-ID reviews", "id", prdect(DEFAULT_DATA).texts),
        ("Malay tweets (all)", "ms", malay_twitter(DEFAULT_DATA, "train").texts + by_name["malay_twitter_dev"].texts),
        ("Malay news + politics", "ms", malay_extra(DEFAULT_DATA).texts),
        ("airline tweets", "en", by_name["airline_dev"].texts),
        ("UCI sentences (dev)", "en", by_name["uci_dev"].texts),
        ("SentiRuEval-2015 test", "ru", by_name["sentirueval2015_all_test_etalon"].texts),
    ]
    rows = []
    weight = language._MARKER_WEIGHT
    for name, lang, texts in sets:
        texts = texts[::5] if quick else texts
        got = [language.detect(t).language for t in texts]
        short = [g for g, t in zip(got, texts, strict=True) if len(t.split()) <= 4]
        try:
            language._MARKER_WEIGHT = 0.0  # lingua alone, for comparison
            plain = [language.detect(t).language for t in texts] if lang in ("id", "ms") else None
        finally:
            language._MARKER_WEIGHT = weight
        other = "ms" if lang == "id" else "id"
        rows.append([
            name, lang, f"{len(texts):,}", f"**{sum(g == lang for g in got) / len(got):.3f}**",
            f"{sum(g == lang for g in plain) / len(plain):.3f}" if plain else "-",
            f"{sum(g == lang for g in short) / max(1, len(short)):.3f} ({len(short):,})",
            f"{sum(g == other for g in got) / len(got):.3f}" if lang in ("id", "ms") else "-",
            f"{sum(g == 'und' for g in got) / len(got):.4f}",
        ])  # fmt: skip
    return rows


def speed_sample(n_en: int) -> tuple[list[str], list[str]]:
    """A mixed sample (English airline tweets, Indonesian SmSA, Malay tweets, Russian SentiRuEval) and its
    English part."""
    sets = {d.name: d for d in dev_sets(DEFAULT_DATA)}
    english = sets["airline_dev"].texts[:n_en]
    mixed = (
        english
        + sets["smsa_valid"].texts[: n_en // 2]
        + sets["malay_twitter_dev"].texts
        + sets["sentirueval2015_all_test_etalon"].texts[: n_en // 2]
    )
    return mixed, english


def rate(fn: Callable[[], Any], n: int, runs: int) -> tuple[float, float]:
    """(comments per CPU second, comments per wall second), medians over `runs` after one warm-up."""
    fn()
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return n / median(cpu), n / median(wall)


def speed_rows(quick: bool) -> tuple[list[list[str]], dict[str, float]]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    mixed, english = speed_sample(500 if quick else 2000)
    runs = 1 if quick else 3
    model = shipped()
    sia = SentimentIntensityAnalyzer()
    langs = [detect(t).language for t in mixed]
    cases = [
        ("language + sentiment (`analyze`, no aspects)", "mixed", lambda: analyze(mixed, with_aspects=False), mixed),
        ("language + sentiment + aspects (`analyze`)", "mixed", lambda: analyze(mixed), mixed),
        ("language identification only", "mixed", lambda: [detect(t) for t in mixed], mixed),
        ("sentiment only (language given)", "mixed", lambda: model.predict(mixed, langs), mixed),
        ("suara `analyze`, no aspects", "English", lambda: analyze(english, with_aspects=False), english),
        ("VADER `polarity_scores`", "English", lambda: [sia.polarity_scores(t) for t in english], english),
    ]
    rows, figures = [], {}
    for name, which, fn, texts in cases:
        per_cpu, per_wall = rate(fn, len(texts), runs)
        figures[name] = per_cpu
        rows.append([name, which, f"{len(texts):,}", f"**{per_cpu:,.0f}**", f"{per_wall:,.0f}"])
    return rows, figures


def theme_rows(quick: bool) -> list[list[str]]:
    """Themes over a large mixed corpus: the development sets (four languages) cycled to 100,000 comments."""
    from suara.text.themes import ThemeModel

    sets = dev_sets(DEFAULT_DATA)
    texts = [t for d in sets for t in d.texts]
    langs = [d.lang for d in sets for _ in d.texts]
    rows = []
    for n in [20_000] if quick else [20_000, 100_000]:
        picked = [texts[i % len(texts)] for i in range(n)]
        picked_langs = [langs[i % len(langs)] for i in range(n)]
        c0, w0 = time.process_time(), time.perf_counter()
        fit = ThemeModel().fit(picked, picked_langs)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        reached = sum(1 for a in fit.assignments if a) / n
        top = "; ".join(f"{t.language}: {t.name}" for t in fit.themes[:3])
        rows.append([f"{n:,}", str(len(fit.themes)), f"{reached:.0%}", f"**{wall:.1f}**", f"{cpu:.1f}", top])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="subsampled sets and one timing run (not comparable)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    acc, notes = accuracy_rows(args.quick)
    lid = language_rows(args.quick)
    speed, _ = speed_rows(args.quick)
    themes = theme_rows(args.quick)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    body = "\n\n".join([
        "## Text analytics (`benchmarks/text.py`)" + (" — QUICK RUN, not comparable" if args.quick else ""),
        machine(PACKAGES) + ". One CPU (pinned).",
        "### Sentiment accuracy on development sets",
        "suara: the shipped model through `analyze` (language identified per comment). TF-IDF LR: word 1-2-gram "
        "TF-IDF + logistic regression per language, trained in this run on the same permitted data. VADER: "
        "compound >= 0.05 positive, <= -0.05 negative. Airline tweets are evaluation-only (CC BY-NC-SA): no model "
        "here learnt from them. Anchors are published test-set scores of fine-tuned transformers (x100).",
        table(["set", "lang", "rows", "metric", "suara", "suara acc.", "TF-IDF LR", "VADER", "goal", "anchor"], acc),
        "Notes: " + "; ".join(notes) + ".",
        "### Language identification",
        "Share of texts given the set's language; 'lingua alone' drops the Indonesian/Malay marker words; "
        "'id<->ms' is the share given the other of the pair; 'und' the share called another language.",
        table(["set", "lang", "n", "suara", "lingua alone", "<= 4 words (n)", "id<->ms", "und"], lid),
        "### Speed (comments per second, one core)",
        "Mixed sample: airline tweets, SmSA, Malay tweets and SentiRuEval tweets; medians of "
        f"{1 if args.quick else 3} runs after a warm-up. CPU-time throughput is the figure; wall-clock beside it.",
        table(["what", "texts", "n", "per CPU second", "per wall second"], speed),
        "### Themes (`ThemeModel().fit`)",
        "The development sets of the four languages cycled to n comments, languages given; NMF on up to 5,000 "
        "texts per language, every text assigned. Goal: 100,000 comments in under a minute (wall clock).",
        table(["comments", "themes", "items with a theme", "wall s", "CPU s", "largest themes"], themes),
        f"Peak memory (RSS) of this run: {rss:,.0f} MiB; run took {time.perf_counter() - t0:.0f} s.",
    ])  # fmt: skip
    print(body)
    write_section("text", body)


if __name__ == "__main__":
    main()
