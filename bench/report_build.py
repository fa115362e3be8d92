"""Time to build the HTML report of a big run, and the size of the file.

Generates a results document of 1,000 journey entries (500 journeys, each run by both the http
and the browser engine, spread over the four channels; 5 steps each; browser entries with page
timings; 1 in 10 entries with 3 failed runs, 1 in 50 with 25 so that grouping failures is
exercised; 1 in 7 missing a step latency objective; every objective with its state, evidence
and margin as runs write them: 20 runs show none of them, so each reads "met, not shown" with
its note, or missed), reads it with `from_json` as `journey report`
does (not timed), renders it with `render_html` 5 times and prints the median build time and the
file size. Screenshots are left out (their size is the screenshots' own). Goal: under 1 s and
under 2 MB.

    .venv/bin/python bench/report_build.py [--journeys 1000] [--steps 5] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.document import from_json  # noqa: E402
from runner.outputs.html import render_html  # noqa: E402

CHANNELS = ("web", "pos", "marketplace", "backoffice")
STEP_NAMES = ("home", "search", "product page", "add to cart", "checkout form", "place order")
REASONS = (
    "expected status 200, got 503",
    "locator '#place-order' not visible after 5s",
    "expected $.items[0].sku to equal 'SKU-123', got null",
)


def percentiles(rng: random.Random, base_s: float) -> dict[str, float]:
    tail = 1 + rng.random()
    return {
        "p50": round(base_s, 6),
        "p75": round(base_s * 1.15, 6),
        "p90": round(base_s * 1.35 * tail, 6),
        "p95": round(base_s * 1.5 * tail, 6),
        "p99": round(base_s * 2.0 * tail, 6),
        "max": round(base_s * 2.6 * tail, 6),
    }


def step_entry(rng: random.Random, name: str, browser: bool, failures: int) -> dict[str, Any]:
    base = rng.uniform(0.2, 1.2) if browser else rng.uniform(0.002, 0.08)
    page = None
    if browser:
        page = {
            key: percentiles(rng, base * share)
            for key, share in (("ttfb_s", 0.2), ("dom_content_loaded_s", 0.5), ("load_s", 0.8))
        }
        page["lcp_s"] = percentiles(rng, base * 0.7)
        page["cls"] = percentiles(rng, 0.02)
    return {
        "name": name,
        "attempts": 20,
        "failures": failures,
        "latency_s": percentiles(rng, base),
        "freshness_s": None,
        "reasons": {rng.choice(REASONS): failures} if failures else {},
        "redirects": [],
        "page": page,
    }


def objective(journey: str, engine: str, step: str | None, kind: str, met: bool) -> dict[str, Any]:
    """An objective as runs write it: 20 samples show neither 99 % nor a p95 (met, not shown)."""
    success = kind == "success"
    if success:
        actual, bad, allowed, margin = (1.0, 0, 0.01, 0.0) if met else (0.85, 3, 0.01, 15.0)
        detail = "20 of 20 runs passed" if met else "17 of 20 runs passed"
        note = (
            "20 runs; 299 needed with no failure to show ≥ 99 %"
            if met
            else "20 runs, 3 failed: worse than ≥ 99 %"
        )
    else:
        actual, bad, allowed = (0.9, 0, 0.05) if met else (2.4, 2, 0.05)
        margin = actual / 2.0
        detail = f"p95 {actual:.3f}s {'within' if met else 'over'} 2s"
        note = (
            "20 samples; p95 ≤ 2 s: a bound needs ≥ 59 samples, more with any above 2 s"
            if met
            else "20 samples, 2 above 2 s: p95 ≤ 2 s missed"
        )
    return {
        "name": f"{journey}{' / ' + step if step else ''} {kind}{'' if success else ' p95'}",
        "journey": journey,
        "step": step,
        "kind": kind,
        "stat": "ratio" if success else "p95",
        "target": 0.99 if success else 2.0,
        "actual": actual,
        "samples": 20,
        "met": met,
        "detail": f"{detail}; {note}" if met else detail,
        "error_budget_remaining": (1.0 if met else -14.0) if success else None,
        "engine": engine,
        "state": "met, not shown" if met else "missed",
        "evidence": {
            "confidence": 0.95,
            "samples": 20,
            "bad": bad,
            "allowed_share": allowed,
            "bound": 0.139108 if met else 0.343,
            "shown": False,
            "needed": (299 if success else 59) if met else None,
            "note": note,
        },
        "margin": round(margin, 4),
    }


def journey_entry(rng: random.Random, index: int, steps: int) -> dict[str, Any]:
    name, engine = f"journey-{index // 2:03d}", ("http", "browser")[index % 2]
    failed_runs = 25 if index % 50 == 7 else 3 if index % 10 == 3 else 0
    names = [STEP_NAMES[i % len(STEP_NAMES)] + ("" if i < 6 else f" {i}") for i in range(steps)]
    failing_step = names[rng.randrange(steps)] if failed_runs else None
    step_entries = [
        step_entry(rng, n, engine == "browser", min(failed_runs, 20) if n == failing_step else 0)
        for n in names
    ]
    objectives = [
        objective(name, engine, None, "success", not failed_runs),
        objective(name, engine, None, "latency", True),
        objective(name, engine, names[-1], "latency", index % 7 != 0),
    ]
    return {
        "name": name,
        "description": f"Synthetic journey {index} for the report benchmark",
        "channel": CHANNELS[index % len(CHANNELS)],
        "tags": ["bench"],
        "tenant": None,
        "engine": engine,
        "file": f"journeys/{name}.yaml",
        "verdict": "fail" if failed_runs or index % 7 == 0 else "pass",
        "attempts": 20 + failed_runs,
        "successes": 20,
        "success_ratio": round(20 / (20 + failed_runs), 6),
        "latency_s": percentiles(rng, sum(s["latency_s"]["p50"] for s in step_entries)),
        "freshness_s": None,
        "steps": step_entries,
        "failures": [
            {
                "iteration": i,
                "step": failing_step,
                "reason": rng.choice(REASONS),
                "started": "2026-11-22T23:27:11.100Z",
                "status": 503,
                "artefacts": [],
                "screenshot": None,
                "trace": None,
            }
            for i in range(failed_runs)
        ],
        "failure_count": failed_runs,
        "objectives": objectives,
        "console_errors": {"Uncaught TypeError: x is null": failed_runs} if failed_runs else {},
        "failed_requests": {"GET /checkout 503": failed_runs} if failed_runs else {},
    }


def results_document(journeys: int, steps: int) -> dict[str, Any]:
    rng = random.Random(1)
    entries = [journey_entry(rng, i, steps) for i in range(journeys)]
    return {
        "schema": 1,
        "tool": {"name": "journey", "version": "0.1.0"},
        "command": "run",
        "target": {"name": "bench", "urls": {"storefront": "http://shop.test"}, "tenant": None},
        "started": "2026-11-22T23:27:10.133Z",
        "ended": "2026-11-22T23:37:10.133Z",
        "duration_s": 600.0,
        "verdict": "fail",
        "reason": "",
        "objectives": [o for e in entries for o in e["objectives"]],
        "journeys": entries,
        "load": None,
        "canary": None,
        "confidence": 0.95,
        "require_evidence": False,
        "command_line": "journey run journeys/ --target targets/bench.yaml --engine http,browser",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=1000, help="journey entries")
    parser.add_argument("--steps", type=int, default=5, help="steps per journey")
    parser.add_argument("--repeat", type=int, default=5, help="builds to take the median of")
    args = parser.parse_args()

    data = results_document(args.journeys, args.steps)
    failures = sum(e["failure_count"] for e in data["journeys"])
    document = from_json(data)
    with tempfile.TemporaryDirectory() as base:
        start = time.perf_counter()
        render_html(document, base_dir=Path(base))  # compiles the templates, once per process
        cold_s = time.perf_counter() - start
        timings, html = [], ""
        for _ in range(args.repeat):
            start = time.perf_counter()
            html = render_html(document, base_dir=Path(base))
            timings.append(time.perf_counter() - start)
    size = len(html.encode("utf-8"))
    print(
        f"journey entries        {args.journeys} ({args.steps} steps each, {failures} failed runs)"
    )
    print(f"build, median of {args.repeat}    {statistics.median(timings):.3f} s (goal < 1 s)")
    print(f"first build (cold)     {cold_s:.3f} s (includes compiling the templates)")
    print(f"file size              {size / 1e6:.2f} MB (goal < 2 MB)")


if __name__ == "__main__":
    main()
