"""Overhead of journey's http engine against a hand-written httpx script doing the same work.

Runs the shipped checkout journey (search → product → add to cart → checkout form → place
order: five requests, HTML parsed, CSRF tokens and the order captured) N times through
journey's engine and N times through a hand-written httpx + selectolax script with the same
requests, checks and captures, alternating iteration by iteration against one demo shop on
loopback, and prints the ratio of median time per iteration. Goal: ≤ 1.10.

    .venv/bin/python bench/http_probe.py [--iterations 200]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from selectolax.lexbor import LexborHTMLParser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.demoshop.process import running_demo_shop  # noqa: E402
from runner.engines.probe import new_client, run_http_journey  # noqa: E402
from runner.spec.loader import load_journeys  # noqa: E402
from runner.spec.target import Target  # noqa: E402

QUERIES = [row["query"] for row in csv.DictReader((ROOT / "journeys/data/products.csv").open())]


def hand_written_checkout(client: httpx.Client, base: str) -> None:
    """The checkout journey as one would write it by hand with httpx; raises on any miss."""
    client.cookies.clear()
    email = f"probe+{random.getrandbits(64):x}@example.test"
    query = random.choice(QUERIES)

    response = client.get(f"{base}/search", params={"q": query})
    assert response.status_code == 200
    page = LexborHTMLParser(response.text)
    assert page.css(".product-card")
    product_path = page.css(".product-card a.product-link")[0].attributes["href"]

    response = client.get(f"{base}{product_path}")
    assert response.status_code == 200
    page = LexborHTMLParser(response.text)
    assert page.css("#add-to-cart")
    sku = page.css("input[name=sku]")[0].attributes["value"]
    csrf = page.css("input[name=csrf_token]")[0].attributes["value"]

    response = client.post(
        f"{base}/cart/items",
        data={"sku": sku, "qty": "1", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert LexborHTMLParser(response.text).css(".cart-line")

    response = client.get(f"{base}/checkout")
    assert response.status_code == 200
    page = LexborHTMLParser(response.text)
    assert page.css("#place-order")
    csrf = page.css("#checkout-form input[name=csrf_token]")[0].attributes["value"]

    response = client.post(
        f"{base}/checkout",
        data={
            "csrf_token": csrf,
            "email": email,
            "name": "Probe Shopper",
            "address": "1 Test Street, Testville",
            "card_number": "4242424242424242",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    number = LexborHTMLParser(response.text).css(".order-number")[0].text(strip=True)
    assert re.search("^ORD-", number)
    match = re.search("/orders/([^/?#]+)", str(response.url))
    assert match is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    (checkout,) = load_journeys([str(ROOT / "journeys/checkout.yaml")])
    with tempfile.TemporaryDirectory() as folder:
        with running_demo_shop(Path(folder), quiet=True) as base:
            target = Target.single(base)
            ours: list[float] = []
            theirs: list[float] = []
            with new_client() as journey_client, new_client() as hand_client:
                for index in range(args.warmup + args.iterations):
                    t0 = time.perf_counter()
                    run = run_http_journey(checkout, target, index, client=journey_client)
                    t1 = time.perf_counter()
                    hand_written_checkout(hand_client, base)
                    t2 = time.perf_counter()
                    if run.outcome != "passed":
                        raise SystemExit(f"journey run failed: {run.failure}")
                    if index >= args.warmup:
                        ours.append(t1 - t0)
                        theirs.append(t2 - t1)
    ours_ms = statistics.median(ours) * 1000
    theirs_ms = statistics.median(theirs) * 1000
    print(f"iterations: {args.iterations} each, alternating, after {args.warmup} warm-up")
    print(f"journey http engine : median {ours_ms:.2f} ms per checkout")
    print(f"hand-written httpx  : median {theirs_ms:.2f} ms per checkout")
    print(f"ratio journey / hand-written: {ours_ms / theirs_ms:.3f}  (goal <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
