"""`suara import social` on the US airline tweets: ids from tweet ids, instants moved to UTC, re-import adds none."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from suara.runtime import Runtime
from suara.settings import Settings
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


POSTS = """\
post_id,posted_at,platform,handle,text,like_count
p1,2026-03-02T10:00:00Z,Instagram,@ana,Paketnya cepat sampai!,1204
p2,2026-03-02T11:00:00Z,Instagram,@bob,Kurirnya telat lagi,0
p3,2026-03-02T12:00:00Z,Instagram,@cici,Biasa saja,
p4,2026-03-02T13:00:00Z,Instagram,@dedi,Bagus,lots
p5,2026-03-02T14:00:00Z,Instagram,@eka,Lumayan,-3
"""


def test_a_posts_likes_are_stored_and_bad_counts_are_refused_by_row(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(POSTS, encoding="utf-8")
    data = tmp_path / "data"
    code, stdout, _ = cli(data, "import", "social", str(path), "--format", "json")
    report = json.loads(stdout)
    assert code == 2 and report["written"] == 0 and report["columns"]["likes"] == "like_count"
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(5, "like_count"), (6, "like_count")]

    code, stdout, _ = cli(data, "import", "social", str(path), "--skip-invalid", "--format", "json")
    report = json.loads(stdout)
    assert code == 0 and report["written"] == 3 and report["not_stored"] == []
    with Runtime.open(Settings(data_dir=data)) as rt:
        rows = rt.warehouse.cursor().execute("SELECT feedback_id, source, likes FROM feedback").fetchall()
    assert sorted(rows, key=str) == [("instagram:p1", "instagram", 1204), ("instagram:p2", "instagram", 0),
                                     ("instagram:p3", "instagram", None)]  # fmt: skip
