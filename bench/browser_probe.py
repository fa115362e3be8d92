"""Overhead of journey's browser engine against the same checkout hand-written with Playwright.

Runs the shipped checkout journey's browser flow (home → search → product → add to cart →
checkout form → fill → place order) through journey's engine and through a hand-written
Playwright script doing the same steps and checks, alternating run by run, in one Chromium
(same binary, same flags) against one demo shop on loopback. Prints the ratio of median wall
time per run, with journey's default (a trace recorded, kept only on failure) and with
`--trace off`. Goal: ≤ 1.10.

    .venv/bin/python bench/browser_probe.py [--iterations 30]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.demoshop.process import running_demo_shop  # noqa: E402
from runner.engines.browser import BrowserSession  # noqa: E402
from runner.redact import Redactor  # noqa: E402
from runner.spec.loader import load_journeys  # noqa: E402
from runner.spec.target import Target  # noqa: E402

QUERIES = [row["query"] for row in csv.DictReader((ROOT / "journeys/data/products.csv").open())]


def hand_written_checkout(browser: Browser, base: str) -> None:
    """The checkout as one would write it by hand with Playwright; raises on any miss."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{base}/", wait_until="load")
        page.locator("#q").first.fill(random.choice(QUERIES))
        page.keyboard.press("Enter")
        expect(page.locator(".product-card").first).to_be_visible()
        page.locator(".product-card a.product-link").first.click()
        expect(page.locator("#add-to-cart").first).to_be_visible()
        page.get_by_text("Add to cart").first.click()
        expect(page.locator(".cart-line").first).to_be_visible()
        page.locator("#checkout-link").first.click()
        expect(page.locator("#place-order").first).to_be_visible()
        page.locator("#email").first.fill(f"probe+{random.getrandbits(64):x}@example.test")
        page.locator("#name").first.fill("Probe Shopper")
        page.locator("#address").first.fill("1 Test Street, Testville")
        page.locator("#card_number").first.fill("4242424242424242")
        page.locator("#place-order").first.click()
        page.wait_for_url("**/orders/*")
        expect(page.locator(".order-number").first).to_contain_text("ORD-")
        assert page.locator(".order-number").first.inner_text().strip()
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    (checkout,) = load_journeys([str(ROOT / "journeys/checkout.yaml")])
    timings: dict[str, list[float]] = {"traced": [], "untraced": [], "hand": []}
    with tempfile.TemporaryDirectory() as folder:
        with running_demo_shop(Path(folder), quiet=True) as base:
            target = Target.single(base)
            artefacts = Path(folder) / "artefacts"
            scrub = Redactor().scrub
            with BrowserSession(artefacts=artefacts, scrub=scrub) as session:
                # the hand-written script uses the same Chromium, launched the same way
                hand_browser = session._browser

                def ours(index: int, trace: bool) -> None:
                    session.trace = trace
                    result = session.run_journey(checkout, target, index)
                    if result.outcome != "passed":
                        raise SystemExit(f"journey run failed: {result.failure}")

                for index in range(args.warmup + args.iterations):
                    for kind, run in (
                        ("traced", lambda i=index: ours(i, True)),
                        ("untraced", lambda i=index: ours(i, False)),
                        ("hand", lambda: hand_written_checkout(hand_browser, base)),
                    ):
                        t0 = time.perf_counter()
                        run()
                        elapsed = time.perf_counter() - t0
                        if index >= args.warmup:
                            timings[kind].append(elapsed)
    medians = {kind: statistics.median(values) * 1000 for kind, values in timings.items()}
    print(f"iterations: {args.iterations} each, alternating, after {args.warmup} warm-up")
    print(
        f"journey browser engine (trace on failure): median {medians['traced']:.0f} ms per checkout"
    )
    print(
        f"journey browser engine (--trace off)     : median {medians['untraced']:.0f} ms per checkout"
    )
    print(
        f"hand-written Playwright                  : median {medians['hand']:.0f} ms per checkout"
    )
    print(
        f"ratio journey / hand-written, default    : {medians['traced'] / medians['hand']:.3f}  (goal <= 1.10)"
    )
    print(f"ratio journey / hand-written, trace off  : {medians['untraced'] / medians['hand']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
