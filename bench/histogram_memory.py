"""Memory, accuracy and speed of journey's latency Histogram over a million samples.

Draws N latencies from a realistic mix (mostly fast pages, a slow share, a long tail, a few
timeouts: lognormal components), records them into `runner.histogram.Histogram`, and prints:
the memory the histogram holds afterwards (tracemalloc, counting only what was allocated
after the samples were drawn), the relative error of p50/p90/p95/p99/p99.9 and max against the
exact percentiles of the same samples (sorted in Python: numpy is not a dependency), and the
time per add(). Goals: ≤ 10 MB and ≤ 1 % error on every percentile.

    .venv/bin/python bench/histogram_memory.py [--samples 1000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.histogram import Histogram  # noqa: E402

MEMORY_GOAL_BYTES = 10 * 1024 * 1024
ERROR_GOAL = 0.01
QUANTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "p999": 0.999}
# (share, median seconds, sigma): cached pages and API calls, uncached pages and checkout,
# a slow tail (cold caches, lock waits), and requests that ran into a 30 s timeout.
MIX = [(0.880, 0.040, 0.5), (0.100, 0.300, 0.6), (0.019, 2.0, 0.8), (0.001, 30.0, 0.05)]


def draw_latencies(count: int, seed: int) -> list[float]:
    """`count` latencies in seconds from MIX, reproducible for a seed."""
    rng = random.Random(seed)
    shares = [share for share, _, _ in MIX]
    components = rng.choices(range(len(MIX)), weights=shares, k=count)
    return [rng.lognormvariate(math.log(MIX[c][1]), MIX[c][2]) for c in components]


def exact_quantile(ordered: list[float], q: float) -> float:
    """The sample at rank q * (n - 1), rounded down: the rank DDSketch estimates."""
    return ordered[int(q * (len(ordered) - 1))]


def measure_memory(samples: list[float]) -> tuple[Histogram, int, int]:
    """The filled histogram, the bytes it holds, and the peak bytes while filling it."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        histogram = Histogram()
        for value in samples:
            histogram.add(value)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return histogram, after - before, peak - before


def time_adds(samples: list[float]) -> float:
    """Seconds per add() into a fresh histogram, without tracemalloc's overhead."""
    histogram = Histogram()
    add = histogram.add
    t0 = time.perf_counter()
    for value in samples:
        add(value)
    return (time.perf_counter() - t0) / len(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    samples = draw_latencies(args.samples, args.seed)
    histogram, held, peak = measure_memory(samples)
    per_add_s = time_adds(samples)
    ordered = sorted(samples)

    print(f"samples: {args.samples:,} (lognormal mix, seed {args.seed})")
    print(f"range: {ordered[0] * 1000:.2f} ms to {ordered[-1]:.2f} s")
    print(
        f"memory held by the histogram: {held / 1024:.1f} KiB "
        f"(peak while filling {peak / 1024:.1f} KiB; goal <= {MEMORY_GOAL_BYTES / 2**20:g} MiB)"
    )
    print(f"wire size: {len(histogram.to_wire().get('sketch', b'')) / 1024:.1f} KiB")
    print(f"add(): {per_add_s * 1e9:.0f} ns per sample")
    print(f"{'stat':>5}  {'exact':>10}  {'histogram':>10}  {'error':>7}")
    worst = 0.0
    rows = [
        (key, exact_quantile(ordered, q), histogram.quantile(q)) for key, q in QUANTILES.items()
    ]
    rows.append(("max", ordered[-1], histogram.max))
    for key, exact, estimate in rows:
        if estimate is None:
            raise SystemExit(f"{key}: the histogram answered None for {args.samples} samples")
        error = abs(estimate - exact) / exact
        worst = max(worst, error)
        print(f"{key:>5}  {exact:>9.4f}s  {estimate:>9.4f}s  {error:>7.3%}")
    memory_ok, error_ok = held <= MEMORY_GOAL_BYTES, worst <= ERROR_GOAL
    print(f"memory goal (<= 10 MiB): {'met' if memory_ok else 'MISSED'}")
    print(
        f"error goal (<= 1 % on every stat, worst {worst:.3%}): {'met' if error_ok else 'MISSED'}"
    )
    return 0 if memory_ok and error_ok else 1


if __name__ == "__main__":
    sys.exit(main())
