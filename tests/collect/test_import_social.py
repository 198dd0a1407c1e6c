"""`suara import social` on the US airline tweets: ids from tweet ids, instants moved to UTC, re-import adds none."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.collect.test_import_reviews import cli, feedback
from tests.conftest import SHARED_DATA, need_service

TWEETS = SHARED_DATA / "text" / "en" / "airline_tweets" / "dev.csv"


def test_airline_tweets(tmp_path: Path) -> None:
    need_service(TWEETS.exists(), "the shared airline tweets data")
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    data = tmp_path / "data"
    args = ("import", "social", str(TWEETS), "--map", "created_at=tweet_created", "--set", "network=Twitter")
    code, stdout, stderr = cli(data, *args, "--format", "json")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["rows"] == len(raw) and report["written"] == len({r["tweet_id"] for r in raw})
    assert report["columns"] == {"id": "tweet_id", "text": "text", "created_at": "tweet_created", "author": "name"}

    stored = {r["feedback_id"]: r for r in feedback(data)}
    first = raw[0]  # e.g. 2015-02-24 11:35:52 -0800 is 19:35:52 UTC
    row = stored[f"twitter:{first['tweet_id']}"]
    assert row["source"] == "twitter" and row["text"] == first["text"].strip()
    day, clock, offset = first["tweet_created"].split()
    hours = int(clock[:2]) - int(offset[:3])
    assert str(row["created_at"]) == f"{day} {hours:02d}:{clock[3:]}"

    code, stdout, _ = cli(data, *args, "--format", "json")
    again = json.loads(stdout)
    assert code == 0 and again["written"] == 0 and again["duplicates"] == len(raw)
