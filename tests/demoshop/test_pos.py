from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import running_demo_shop, wait_for

from .shopping import stock

BATCHES = "/pos/v1/sales/batches"
MARKER_SKU = "SKU-00254"  # sold by `wait_until_earlier_batches_applied` only


def post_batch(base_url: str, key: str, sales: list[dict[str, object]]) -> httpx.Response:
    return httpx.post(
        f"{base_url}{BATCHES}",
        headers={"Idempotency-Key": key},
        json={"store": "S001", "sales": sales},
    )


def wait_until_earlier_batches_applied(base_url: str) -> None:
    """Return once every batch stored before this call has been applied.

    A marker batch posted now is applied with or after every batch due before it (the applier
    takes due batches in `apply_after` order, in one transaction), so once the marker shows
    applied, a batch stored wrongly before it would show in the stock too. A barrier, where a
    sleep would guess how long the applier takes.
    """
    marker = post_batch(base_url, str(uuid.uuid4()), [{"sku": MARKER_SKU, "qty": 1}])
    assert marker.status_code == 202
    url = f"{base_url}{BATCHES}/{marker.json()['batch_id']}"
    wait_for(lambda: httpx.get(url).json()["status"] == "applied", timeout_s=5)


def test_pos_batch_is_accepted_then_applied_asynchronously(demo_shop: str) -> None:
    sku = "SKU-00250"
    before = stock(demo_shop, sku)
    accepted = post_batch(demo_shop, str(uuid.uuid4()), [{"sku": sku, "qty": 2}, {"sku": sku}])
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "accepted" and body["lines"] == 2
    assert stock(demo_shop, sku) == before  # not yet: POS sales apply after a delay

    took_s = wait_for(lambda: stock(demo_shop, sku) == before - 3, timeout_s=5)
    assert took_s >= 0.2
    batch = httpx.get(f"{demo_shop}{BATCHES}/{body['batch_id']}").json()
    assert batch["status"] == "applied" and batch["applied_at"] >= batch["accepted_at"]


def test_replayed_idempotency_key_returns_the_same_batch_and_applies_once(demo_shop: str) -> None:
    sku, key = "SKU-00251", str(uuid.uuid4())
    before = stock(demo_shop, sku)
    first = post_batch(demo_shop, key, [{"sku": sku, "qty": 1}])
    replay = post_batch(demo_shop, key, [{"sku": sku, "qty": 1}])
    assert (first.status_code, replay.status_code) == (202, 200)
    assert replay.json()["batch_id"] == first.json()["batch_id"]
    wait_for(lambda: stock(demo_shop, sku) == before - 1, timeout_s=5)
    assert post_batch(demo_shop, key, [{"sku": sku, "qty": 1}]).status_code == 200
    wait_until_earlier_batches_applied(demo_shop)
    assert stock(demo_shop, sku) == before - 1


def test_same_key_with_a_different_batch_is_a_conflict(demo_shop: str) -> None:
    key = str(uuid.uuid4())
    assert post_batch(demo_shop, key, [{"sku": "SKU-00252", "qty": 1}]).status_code == 202
    assert post_batch(demo_shop, key, [{"sku": "SKU-00252", "qty": 5}]).status_code == 409


def test_pos_batch_requires_an_idempotency_key(demo_shop: str) -> None:
    response = httpx.post(f"{demo_shop}{BATCHES}", json={"store": "S001", "sales": []})
    assert response.status_code == 400


def test_pos_batch_with_an_unknown_sku_is_rejected_whole(demo_shop: str) -> None:
    sku = "SKU-00253"
    before = stock(demo_shop, sku)
    sales = [{"sku": sku, "qty": 1}, {"sku": "SKU-99999", "qty": 1}]
    response = post_batch(demo_shop, str(uuid.uuid4()), sales)
    assert (response.status_code, response.json()["sku"]) == (422, "SKU-99999")
    assert post_batch(demo_shop, str(uuid.uuid4()), [{"sku": sku, "qty": 0}]).status_code == 422
    wait_until_earlier_batches_applied(demo_shop)
    assert stock(demo_shop, sku) == before


@pytest.mark.slow
def test_concurrent_replays_across_workers_apply_once_and_lag_delays(tmp_path: Path) -> None:
    sku, key = "SKU-00123", str(uuid.uuid4())
    with running_demo_shop(tmp_path, "pos:lag=2s", workers=2) as shop:
        before = stock(shop, sku)
        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(lambda _: post_batch(shop, key, [{"sku": sku}]), range(20)))
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] * 19 + [202]
        assert len({response.json()["batch_id"] for response in responses}) == 1

        time.sleep(1.5)  # past the 0.3 s base delay, inside the 2 s lag
        assert stock(shop, sku) == before
        took_s = wait_for(lambda: stock(shop, sku) == before - 1, timeout_s=5)
        assert took_s < 2.5
        time.sleep(0.3)
        assert stock(shop, sku) == before - 1
