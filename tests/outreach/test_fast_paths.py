"""The shortcuts of the trigger job's hot path agree with the slow, obvious ways: a minted link's response id read
without re-verifying equals `read_link`'s, and the traits read for a batch of customers equal the warehouse's
latest-traits view."""

from __future__ import annotations

from suara.outreach.send import _response_id, customer_traits
from suara.surveys.links import mint_link, read_link
from tests.outreach.conftest import World


def test_response_id_without_reverifying_equals_read_link() -> None:
    for locale in (None, "id"):
        token = mint_link("secret", "ws1", "exit-survey", 3, "ana", locale=locale)
        assert _response_id(token) == read_link("secret", token).response_id


def test_batch_traits_equal_the_latest_traits_view(world: World) -> None:
    for customer, day, traits in (
        ("ana", "2026-01-01", {"email": "old@x.io", "timezone": "Asia/Jakarta"}),
        ("ana", "2026-02-01", {"email": "new@x.io"}),
        ("ben", "2026-01-05", {"phone": "+62811", "plan": "pro"}),
    ):
        doc = {"type": "identify", "userId": customer, "timestamp": f"{day}T00:00:00Z", "traits": traits}
        world.rt.ingestor.ingest("events", world.workspace_id, [doc])
    names = {"email", "phone", "timezone"}
    got = customer_traits(world.rt.warehouse, world.workspace_id, ["ana", "ben", "nobody"], names)
    view = world.rt.warehouse.traits(world.workspace_id).to_pandas()
    expected: dict[str, dict[str, str]] = {}
    for customer, trait, value in zip(view["customer_id"], view["trait"], view["value"], strict=True):
        if customer in ("ana", "ben") and trait in names:
            expected.setdefault(customer, {})[trait] = value
    assert dict(got) == expected
    assert got["ana"] == {"email": "new@x.io", "timezone": "Asia/Jakarta"}
