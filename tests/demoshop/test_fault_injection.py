from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
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
        assert state["checkout"] == {"latency": 0.8, "errors": 0.0, "lag": 0.0}
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


def test_admin_sets_latency_and_errors_and_clears_them(demo_shop: str, admin: httpx.Client) -> None:
    state = admin.put("/faults/export", json={"latency": "300ms", "errors": "100%"}).json()
    assert state["export"] == {"latency": 0.3, "errors": 1.0, "lag": 0.0}
    assert state["cart"] == {"latency": 0.0, "errors": 0.0, "lag": 0.0}
    response, took_s = timed_get(f"{demo_shop}/export/v1/orders")
    assert response.status_code == 503 and took_s >= 0.3
    assert httpx.get(f"{demo_shop}/api/cart").status_code == 200

    state = admin.put("/faults/export", json={"errors": 0}).json()
    assert state["export"] == {"latency": 0.3, "errors": 0.0, "lag": 0.0}  # latency kept
    assert httpx.get(f"{demo_shop}/export/v1/orders").status_code == 200

    cleared = admin.delete("/faults").json()
    assert all(kinds == {"latency": 0.0, "errors": 0.0, "lag": 0.0} for kinds in cleared.values())
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
    ],
)
def test_admin_rejects_bad_groups_and_values(admin: httpx.Client, group: str, body: object) -> None:
    response = admin.put(f"/faults/{group}", json=body)
    assert response.status_code == 422
    assert response.json()["error"]
    assert admin.get("/faults").json()["search"] == {"latency": 0.0, "errors": 0.0, "lag": 0.0}


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
