from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import running_demo_shop

from .shopping import html, one, request_counts


def timed_get(url: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(url, timeout=10)
    return response, time.monotonic() - started


@pytest.fixture
def admin(demo_shop: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{demo_shop}/admin") as client:
        yield client
        assert client.delete("/faults").status_code == 200


@pytest.mark.slow
def test_startup_faults_slow_and_break_only_their_groups(tmp_path: Path) -> None:
    faults = ("checkout:latency=800ms", "search:errors=100%", "pos:lag=10s")
    with running_demo_shop(tmp_path, *faults) as shop:
        state = httpx.get(f"{shop}/admin/faults").json()
        assert state["checkout"] == {"latency": 0.8, "errors": 0.0, "lag": 0.0, "stall": 0.0}
        assert state["search"]["errors"] == 1.0 and state["pos"]["lag"] == 10.0
        assert set(state) == {"search", "cart", "checkout", "pos", "export", "pages"}

        slow, slow_s = timed_get(f"{shop}/api/orders/0123456789abcdef")
        assert slow.status_code == 404 and slow_s >= 0.8
        fast, fast_s = timed_get(f"{shop}/api/cart")
        assert fast.status_code == 200 and fast_s < 0.5

        for path in ("/api/products?q=mug", "/api/stock/SKU-00001"):
            failed = httpx.get(f"{shop}{path}")
            assert (failed.status_code, failed.json()) == (503, {"error": "injected fault"})
        page = httpx.get(f"{shop}/search?q=mug")
        assert page.status_code == 503
        assert one(html(page), ".error-message").text() == "injected fault"
        assert httpx.get(f"{shop}/products/SKU-00001").status_code == 200
        assert httpx.get(f"{shop}/health").status_code == 200


@pytest.mark.slow
def test_startup_stall_holds_its_group_while_other_groups_answer(tmp_path: Path) -> None:
    with running_demo_shop(tmp_path, "search:stall=2s") as shop, ThreadPoolExecutor(1) as pool:
        held = pool.submit(timed_get, f"{shop}/api/products?q=mug")
        time.sleep(0.3)  # the search is in flight, held by the stall
        for path in ("/health", "/metrics", "/products/SKU-00001", "/api/cart", "/admin/faults"):
            response, took_s = timed_get(f"{shop}{path}")
            assert response.status_code == 200 and took_s < 0.5, path
        assert httpx.get(f"{shop}/admin/faults").json()["search"]["stall"] == 2.0
        assert not held.done()
        searched, searched_s = held.result(timeout=10)
    assert searched.status_code == 200 and searched.json()["total"] > 0
    assert 2.0 <= searched_s < 3.0


def test_clearing_a_stall_releases_the_requests_it_holds(
    demo_shop: str, admin: httpx.Client
) -> None:
    state = admin.put("/faults/search", json={"stall": "30s"}).json()
    assert state["search"] == {"latency": 0.0, "errors": 0.0, "lag": 0.0, "stall": 30.0}
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(timed_get, f"{demo_shop}/search?q=mug")
        time.sleep(0.5)
        was_held = not held.done()
        assert admin.put("/faults/search", json={"stall": 0}).status_code == 200
        cleared = time.monotonic()
        response, took_s = held.result(timeout=10)
        released_s = time.monotonic() - cleared
    assert was_held
    assert response.status_code == 200  # answered normally once released
    assert one(html(response), ".result-count").attributes["data-total"] != "0"
    assert took_s < 3.0 and released_s < 0.5


def test_shortening_a_stall_releases_held_requests_at_the_new_length(
    demo_shop: str, admin: httpx.Client
) -> None:
    admin.put("/faults/cart", json={"stall": "30s"})
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(timed_get, f"{demo_shop}/api/cart")
        time.sleep(0.3)
        admin.put("/faults/cart", json={"stall": "1s"})  # counted from the request's arrival
        response, took_s = held.result(timeout=10)
    assert response.status_code == 200
    assert 1.0 <= took_s < 1.5


def test_admin_sets_latency_and_errors_and_clears_them(demo_shop: str, admin: httpx.Client) -> None:
    state = admin.put("/faults/export", json={"latency": "300ms", "errors": "100%"}).json()
    assert state["export"] == {"latency": 0.3, "errors": 1.0, "lag": 0.0, "stall": 0.0}
    assert state["cart"] == {"latency": 0.0, "errors": 0.0, "lag": 0.0, "stall": 0.0}
    response, took_s = timed_get(f"{demo_shop}/export/v1/orders")
    assert response.status_code == 503 and took_s >= 0.3
    assert httpx.get(f"{demo_shop}/api/cart").status_code == 200

    state = admin.put("/faults/export", json={"errors": 0}).json()
    # latency kept
    assert state["export"] == {"latency": 0.3, "errors": 0.0, "lag": 0.0, "stall": 0.0}
    assert httpx.get(f"{demo_shop}/export/v1/orders").status_code == 200

    cleared = admin.delete("/faults").json()
    healthy = {"latency": 0.0, "errors": 0.0, "lag": 0.0, "stall": 0.0}
    assert all(kinds == healthy for kinds in cleared.values())
    assert admin.get("/faults").json() == cleared


def test_admin_is_never_faulted(demo_shop: str, admin: httpx.Client) -> None:
    for group in ("search", "cart", "checkout", "pos", "export", "pages"):
        admin.put(f"/faults/{group}", json={"errors": 1.0})
    assert httpx.get(f"{demo_shop}/").status_code == 503
    assert admin.get("/faults").status_code == 200
    assert httpx.get(f"{demo_shop}/health").status_code == 200
    assert httpx.get(f"{demo_shop}/metrics").status_code == 200


@pytest.mark.parametrize(
    ("group", "body"),
    [
        ("basket", {"latency": "1s"}),
        ("search", {"slowness": "1s"}),
        ("search", {"latency": "soon"}),
        ("search", {"errors": 1.5}),
        ("search", {"errors": "150%"}),
        ("search", {"latency": -1}),
        ("search", {"latency": True}),
        ("search", ["latency"]),
        ("search", {"stall": "forever"}),
        ("search", {"stall": -1}),
        ("search", {"stall": False}),
    ],
)
def test_admin_rejects_bad_groups_and_values(admin: httpx.Client, group: str, body: object) -> None:
    response = admin.put(f"/faults/{group}", json=body)
    assert response.status_code == 422
    assert response.json()["error"]
    assert admin.get("/faults").json()["search"] == {
        "latency": 0.0,
        "errors": 0.0,
        "lag": 0.0,
        "stall": 0.0,
    }


def test_metrics_count_injected_errors_on_a_single_worker(
    demo_shop: str, admin: httpx.Client
) -> None:
    before, _ = request_counts(demo_shop)
    admin.put("/faults/search", json={"errors": "100%"})
    for _ in range(3):
        assert httpx.get(f"{demo_shop}/api/products").status_code == 503
    admin.delete("/faults")
    assert httpx.get(f"{demo_shop}/api/products").status_code == 200
    after, _ = request_counts(demo_shop)
    assert after - before == Counter(
        {
            ("search", "GET", "503"): 3,
            ("search", "GET", "200"): 1,
            ("admin", "PUT", "200"): 1,
            ("admin", "DELETE", "200"): 1,
        }
    )
