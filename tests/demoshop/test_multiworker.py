from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import running_demo_shop, wait_for

from .shopping import request_counts, stock

SKU = "SKU-00042"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_demo_shop(tmp_path_factory.mktemp("shop2"), workers=2) as url:
        yield url


def cart_statuses(base_url: str) -> set[int]:
    """Statuses of 20 cart reads, each on a new connection: the kernel spreads them over workers."""
    fresh_connections = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base_url, limits=fresh_connections) as client:
        return {client.get("/api/cart").status_code for _ in range(20)}


def checkout_one(base_url: str) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        assert client.post("/api/cart/items", json={"sku": SKU, "qty": 1}).status_code == 201
        return client.post("/api/orders", json={"email": "rush@example.test"})


@pytest.mark.slow
def test_fifty_concurrent_checkouts_make_fifty_orders_and_take_fifty_units(
    two_workers: str,
) -> None:
    before = stock(two_workers, SKU)
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(checkout_one, [two_workers] * 50))
    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses][:3]
    assert len({r.json()["order_id"] for r in responses}) == 50
    assert len({r.json()["number"] for r in responses}) == 50
    assert stock(two_workers, SKU) == before - 50


@pytest.mark.slow
def test_admin_change_through_one_worker_reaches_every_worker(two_workers: str) -> None:
    try:
        httpx.put(f"{two_workers}/admin/faults/cart", json={"errors": "100%"})
        # every worker's fault cache (50 ms) has expired once every answer is the fault's
        wait_for(lambda: cart_statuses(two_workers) == {503}, timeout_s=5)
        # New connections are spread over both workers by the kernel.
        statuses = {httpx.get(f"{two_workers}/api/cart").status_code for _ in range(20)}
        assert statuses == {503}
        assert {
            httpx.get(f"{two_workers}/admin/faults").json()["cart"]["errors"] for _ in range(10)
        } == {1.0}
    finally:
        httpx.delete(f"{two_workers}/admin/faults")
    wait_for(lambda: cart_statuses(two_workers) == {200}, timeout_s=5)
    assert {httpx.get(f"{two_workers}/api/cart").status_code for _ in range(20)} == {200}


@pytest.mark.slow
def test_metrics_count_every_request_by_group_across_workers(two_workers: str) -> None:
    before, durations_before = request_counts(two_workers)
    made = {
        ("search", "GET", "200"): ["/api/products?q=mug"] * 7 + ["/search?q=lamp"] * 3,
        ("pages", "GET", "200"): ["/"] * 4 + ["/products/SKU-00001"] * 2,
        ("pages", "GET", "404"): ["/products/SKU-99999"] * 2,
        ("cart", "GET", "200"): ["/api/cart"] * 5,
        ("export", "GET", "200"): ["/export/v1/orders?limit=1"] * 3,
        ("other", "GET", "404"): ["/nowhere"] * 2,
        ("admin", "GET", "200"): ["/admin/faults"],
    }
    for paths in made.values():
        for path in paths:
            httpx.get(f"{two_workers}{path}")  # new connection each: both workers answer
    for _ in range(5):
        httpx.get(f"{two_workers}/health")
    after, durations_after = request_counts(two_workers)

    assert after - before == Counter({key: len(paths) for key, paths in made.items()})
    by_group: Counter[str] = Counter()
    for (group, _, _), paths in made.items():
        by_group[group] += len(paths)
    assert durations_after - durations_before == by_group
    assert not any(group == "ops" for group, _, _ in after)
