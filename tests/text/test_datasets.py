"""The data loaders: fixed splits, no dev text in training, airline tweets never trained on."""

from __future__ import annotations

import pytest

from suara.text.datasets import DEFAULT_DATA, RESTRICTED, dev_sets, in_dev, norm_key, training_sets

pytestmark = pytest.mark.skipif(not DEFAULT_DATA.is_dir(), reason="needs ../shared/data/text")


def test_hash_split_is_stable() -> None:
    assert in_dev("Great service!") == in_dev("  great   SERVICE! ")
    share = sum(in_dev(f"comment {i}") for i in range(5000)) / 5000
    assert 0.17 < share < 0.23


def test_no_development_text_is_trained_on() -> None:
    train = {norm_key(t) for d in training_sets(DEFAULT_DATA) for t in d.texts}
    for d in dev_sets(DEFAULT_DATA):
        overlap = sum(norm_key(t) in train for t in d.texts)
        # the source files themselves repeat a few short texts across their splits (SmSA 16, SentiRuEval 3-12 per
        # pair) and across sets ("Jijik" is both a Malay tweet and an SmSA comment)
        allowed = {"smsa_valid": 16, "sentirueval2015_all_test_etalon": 12, "malay_twitter_dev": 1}.get(d.name, 0)
        assert overlap <= allowed, (d.name, overlap)


def test_airline_tweets_and_restricted_sets_stay_out() -> None:
    names = {d.name for d in training_sets(DEFAULT_DATA)}
    assert not any("airline" in n for n in names)
    assert names >= RESTRICTED
    assert not RESTRICTED & {d.name for d in training_sets(DEFAULT_DATA, permissive_only=True)}
