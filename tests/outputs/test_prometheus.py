"""metrics.prom, checked by its consumer: prometheus_client's own text parser.

Documents: run-pass.json (a real `journey run journeys` against the demo shop, http engine,
with freshness journeys), run-fail-browser.json, and the load documents of test_html_load (real
`journey load smoke`). They predate exact buckets, so `with_buckets` adds them as the judge
will: synthetic samples spread over each journey's percentiles, counted exactly into the web
ladder plus the journey's own thresholds, with every latency and freshness objective's
evidence counted from the same samples.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from runner.document import from_json
from runner.outputs.prometheus import render_prometheus, write_prometheus
from runner.redact import Redactor
from runner.vocabulary import ABORTED, FAIL

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
JOURNEY_LABELS = {"journey", "engine", "channel", "target", "tenant"}
HISTOGRAMS = (
    "journey_latency_seconds",
    "journey_step_latency_seconds",
    "journey_freshness_seconds",
)
# the judge's web-latency ladder, 5 ms to 60 s (runner/spec/thresholds.py); each journey adds
# its own latency and freshness thresholds, steps' included
LADDER = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
ALLOWED = {"p50": 0.5, "p75": 0.25, "p90": 0.1, "p95": 0.05, "p99": 0.01, "max": 0.0}


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return document


def spread(percentiles: dict[str, float | None] | None, n: int) -> list[float]:
    """`n` samples whose shape follows `percentiles` (linear between p50, p95 and max)."""
    known = {k: v for k, v in (percentiles or {}).items() if v is not None}
    p50 = known.get("p50", 0.05)
    p95, top = known.get("p95", 2 * p50), known.get("max", 3 * p50)
    points = [(0.0, 0.8 * p50), (0.5, p50), (0.95, p95), (1.0, top)]
    out = []
    for i in range(n):
        q = (i + 0.5) / n
        (q0, v0), (q1, v1) = next((a, b) for a, b in itertools.pairwise(points) if q <= b[0])
        out.append(round(v0 + (v1 - v0) * (q - q0) / (q1 - q0), 6))
    return out


def buckets(samples: list[float], bounds: Iterable[float]) -> dict[str, Any]:
    le = sorted(set(bounds))
    return {
        "le": le,
        "cumulative": [sum(1 for s in samples if s <= bound) for bound in le],
        "count": len(samples),
        "sum": round(sum(samples), 6),
    }


def thresholds(document: dict[str, Any], journey: dict[str, Any]) -> set[float]:
    """Every latency and freshness target of a journey's objectives, its steps' included."""
    return {
        float(o["target"])
        for o in document["objectives"]
        if (o["journey"], o["engine"]) == (journey["name"], journey["engine"])
        and o["kind"] in ("latency", "freshness")
    }


def with_buckets(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with exact buckets, last-run times and evidence, as the judge will write them.

    Each journey's latency samples are one per attempt; each step's one per step attempt;
    freshness one per attempt where the journey measures it. Latency and freshness objectives
    get evidence counted from those samples: bad = samples above the target.
    """
    samples: dict[tuple[str, str, str | None, str], list[float]] = {}
    for journey in document["journeys"]:
        name, engine = journey["name"], journey["engine"]
        latency = spread(journey["latency_s"], journey["attempts"])
        samples[name, engine, None, "latency"] = latency
        bounds = set(LADDER) | thresholds(document, journey)  # one set for all its histograms
        journey["latency_buckets"] = buckets(latency, bounds)
        if journey["freshness_s"] is not None:
            fresh = spread(journey["freshness_s"], journey["attempts"])
            samples[name, engine, None, "freshness"] = fresh
            journey["freshness_buckets"] = buckets(fresh, bounds)
        for step in journey["steps"]:
            step_latency = spread(step["latency_s"], step["attempts"])
            samples[name, engine, step["name"], "latency"] = step_latency
            step["latency_buckets"] = buckets(step_latency, bounds)
        journey["last_run"] = document["ended"] if journey["attempts"] else None
        journey["last_success"] = document["ended"] if journey["successes"] else None
    for objective in document["objectives"]:
        key = (objective["journey"], objective["engine"], objective["step"], objective["kind"])
        if key not in samples:
            continue  # a success ratio, or the load profile's own objective
        seen = samples[key]
        objective["samples"] = len(seen)
        objective["evidence"] = {
            "confidence": 0.95,
            "samples": len(seen),
            "bad": sum(1 for s in seen if s > objective["target"]),
            "allowed_share": ALLOWED[objective["stat"]],
            "bound": None,
            "shown": False,
        }
    return document


def samples(text: str) -> dict[str, list[Sample]]:
    """Samples by sample name (`journey_runs_total`, not the family's `journey_runs`)."""
    found: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def matching(found: dict[str, list[Sample]], name: str, **labels: str) -> list[Sample]:
    return [s for s in found.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]


def one(found: dict[str, list[Sample]], name: str, **labels: str) -> float:
    matches = matching(found, name, **labels)
    assert len(matches) == 1, (name, labels, matches)
    return float(matches[0].value)


def histogram(
    found: dict[str, list[Sample]], name: str, **labels: str
) -> tuple[dict[float, float], float, float]:
    """One series' buckets (le → cumulative count, +Inf included), count and sum."""
    bucket_samples = matching(found, f"{name}_bucket", **labels)
    assert len({tuple(sorted(s.labels.items())) for s in bucket_samples}) == len(bucket_samples)
    series = {float(s.labels["le"]): float(s.value) for s in bucket_samples}
    return series, one(found, f"{name}_count", **labels), one(found, f"{name}_sum", **labels)


def test_runs_by_result_and_step_totals_per_journey() -> None:
    document = load("run-fail-browser.json")
    found = samples(render_prometheus(from_json(document)))

    runs = found["journey_runs_total"]
    assert len(runs) == 2 * len(document["journeys"])  # success and failure, 0 included
    for journey in document["journeys"]:
        labels = {"journey": journey["name"], "engine": journey["engine"]}
        assert one(found, "journey_runs_total", result="success", **labels) == journey["successes"]
        failed = journey["attempts"] - journey["successes"]
        assert one(found, "journey_runs_total", result="failure", **labels) == failed
        for step in journey["steps"]:
            assert (
                one(found, "journey_step_requests_total", step=step["name"], **labels)
                == step["attempts"]
            )
            assert (
                one(found, "journey_step_failures_total", step=step["name"], **labels)
                == step["failures"]
            )
    assert all(set(s.labels) == JOURNEY_LABELS | {"result"} for s in runs)
    assert {s.labels["target"] for s in runs} == {"demo-shop"}
    assert {s.labels["tenant"] for s in runs} == {""}
    assert "journey_run_failures_total" not in found  # result="failure" says it


def test_histograms_hold_the_exact_buckets_of_each_journey_and_step() -> None:
    document = with_buckets(load("run-fail-browser.json"))
    found = samples(render_prometheus(from_json(document)))

    for journey in document["journeys"]:
        labels = {"journey": journey["name"], "engine": journey["engine"]}
        series = [("journey_latency_seconds", labels, journey["latency_buckets"])]
        if journey.get("freshness_buckets") is not None:
            series.append(("journey_freshness_seconds", labels, journey["freshness_buckets"]))
        series += [
            ("journey_step_latency_seconds", {**labels, "step": s["name"]}, s["latency_buckets"])
            for s in journey["steps"]
        ]
        for name, where, expected in series:
            got, count, total = histogram(found, name, **where)
            assert list(got) == sorted(got) and list(got)[-1] == math.inf
            counts = list(got.values())
            assert counts == sorted(counts)  # cumulative
            assert got == {
                **dict(zip(expected["le"], expected["cumulative"], strict=True)),
                math.inf: count,
            }
            assert count == expected["count"] and total == expected["sum"]
        assert histogram(found, "journey_latency_seconds", **labels)[1] == journey["attempts"]
        for step in journey["steps"]:
            _, count, _ = histogram(
                found, "journey_step_latency_seconds", step=step["name"], **labels
            )
            assert count == step["attempts"]


def test_every_threshold_is_a_bound_and_counts_above_it_are_the_evidence() -> None:
    document = with_buckets(load("run-fail-browser.json"))
    found = samples(render_prometheus(from_json(document)))

    judged = [o for o in document["objectives"] if o.get("evidence") is not None]
    assert any(o["evidence"]["bad"] > 0 for o in judged)  # not a vacuous check
    rendered = 0
    for objective in judged:
        labels = {"journey": objective["journey"], "engine": objective["engine"]}
        if objective["kind"] == "freshness":
            assert objective["step"] is None  # step freshness is judged, not exported
            name = "journey_freshness_seconds"
        elif objective["step"] is not None:
            name, labels = "journey_step_latency_seconds", {**labels, "step": objective["step"]}
        else:
            name = "journey_latency_seconds"
        got, count, _ = histogram(found, name, **labels)
        assert objective["target"] in got, (objective["name"], sorted(got))
        assert count - got[objective["target"]] == objective["evidence"]["bad"], objective["name"]
        rendered += 1
    # every latency and freshness objective but pos-sync's step freshness (no evidence here)
    assert rendered == len(judged) == 14


def test_a_document_without_buckets_has_no_histograms() -> None:
    found = samples(render_prometheus(from_json(load("run-pass.json"))))

    for name in HISTOGRAMS:
        assert not any(k.startswith(name) for k in found), name


def test_a_journey_s_bounds_are_its_own() -> None:
    document = with_buckets(load("run-pass.json"))
    found = samples(render_prometheus(from_json(document)))

    for journey in document["journeys"]:
        got, _, _ = histogram(found, "journey_latency_seconds", journey=journey["name"])
        assert set(got) == {*journey["latency_buckets"]["le"], math.inf}
    checkout, _, _ = histogram(found, "journey_latency_seconds", journey="checkout")
    search, _, _ = histogram(found, "journey_latency_seconds", journey="search")
    assert 4.0 in checkout and 4.0 not in search  # checkout's p95 4 s is checkout's bound only


def test_freshness_only_where_measured() -> None:
    document = with_buckets(load("run-pass.json"))
    found = samples(render_prometheus(from_json(document)))

    fresh = {j["name"] for j in document["journeys"] if j["freshness_s"]}
    assert {s.labels["journey"] for s in found["journey_freshness_seconds_count"]} == fresh
    for journey in document["journeys"]:
        if journey["name"] in fresh:
            _, count, _ = histogram(found, "journey_freshness_seconds", journey=journey["name"])
            assert count == journey["freshness_buckets"]["count"]


def test_last_run_and_last_success_are_unix_times_left_out_when_none() -> None:
    document = with_buckets(load("run-fail-browser.json"))
    document["journeys"][0]["last_run"] = "2026-11-22T23:27:09.761000+00:00"  # not ended
    document["journeys"][0]["last_success"] = None
    found = samples(render_prometheus(from_json(document)))

    ended = datetime.fromisoformat(document["ended"]).timestamp()
    first = {"journey": document["journeys"][0]["name"], "engine": "http"}
    assert one(found, "journey_last_run_timestamp_seconds", **first) == 1795390029.761
    assert not matching(found, "journey_last_success_timestamp_seconds", **first)
    never = [j for j in document["journeys"] if j["successes"] == 0]
    assert never  # checkout over http never passed
    for journey in never:
        labels = {"journey": journey["name"], "engine": journey["engine"]}
        assert not matching(found, "journey_last_success_timestamp_seconds", **labels)
        assert one(found, "journey_last_run_timestamp_seconds", **labels) == ended
    assert all(set(s.labels) == JOURNEY_LABELS for s in found["journey_last_run_timestamp_seconds"])


def test_objectives_and_verdict() -> None:
    document = load("run-fail-browser.json")
    found = samples(render_prometheus(from_json(document)))

    met = found["journey_objective_met"]
    assert len(met) == len(document["objectives"])
    for objective in document["objectives"]:
        engine = objective.get("engine") or ""  # the same name may judge two engines
        value = one(found, "journey_objective_met", objective=objective["name"], engine=engine)
        assert value == (1.0 if objective["met"] else 0.0)
    assert [(s.labels["verdict"], s.value) for s in found["journey_verdict"]] == [(FAIL, 1.0)]
    assert {s.labels["step"] for s in met} >= {""}  # journey-wide objectives: step ""


def test_load_totals_of_an_aborted_rehearsal() -> None:
    document = load("load-aborted.json")
    found = samples(render_prometheus(from_json(document)))
    section = document["load"]

    labels = {"profile": "smoke", "target": document["target"]["name"], "tenant": ""}
    assert one(found, "journey_load_aborted", **labels) == 1.0
    assert one(found, "journey_verdict", verdict=ABORTED, command="load") == 1.0
    requests = sum(stage["requests"] for stage in section["stages"])
    assert one(found, "journey_load_requests_total", **labels) == requests
    throughput = found["journey_load_throughput_iterations_per_second"]
    # Closed model: nothing asked in iterations/s, so only the achieved figure.
    assert [(s.labels["kind"], s.value) for s in throughput] == [
        ("achieved", section["throughput"]["achieved_per_s"])
    ]
    assert one(found, "journey_load_generator_overloaded") == 0.0
    # The profile's own objectives come first, then the journeys' (the probes' browser too).
    assert one(found, "journey_objective_met", objective="smoke: request error ratio") == 0.0
    engines = {s.labels["engine"] for s in found["journey_runs_total"]}
    assert engines == {"http", "browser"}


def test_load_that_passed_is_not_aborted_and_asked_shows_for_open_model() -> None:
    document = load("load-pass.json")
    document["load"]["throughput"]["asked_per_s"] = 40.0
    found = samples(render_prometheus(from_json(document)))

    assert one(found, "journey_load_aborted") == 0.0
    assert one(found, "journey_load_throughput_iterations_per_second", kind="asked") == 40.0


def test_names_follow_the_conventions_and_no_created_series() -> None:
    text = render_prometheus(from_json(with_buckets(load("load-fail-probe.json"))))
    families = list(text_string_to_metric_families(text))

    assert {f.name for f in families if f.type == "histogram"} == {
        "journey_latency_seconds",
        "journey_step_latency_seconds",
    }
    for family in families:
        assert family.name.startswith("journey_")
        for sample in family.samples:
            if family.type == "counter":
                assert sample.name == family.name + "_total"
            assert "id" not in sample.labels and "quantile" not in sample.labels
    assert "_created" not in text
    assert not any(f.type == "counter" and f.name.endswith("_seconds") for f in families)


def test_a_run_without_load_has_no_load_metrics() -> None:
    text = render_prometheus(from_json(load("run-pass.json")))

    assert "journey_load_" not in text


def test_same_labels_twice_are_summed_not_repeated() -> None:
    document = with_buckets(load("run-pass.json"))
    document["journeys"].append(json.loads(json.dumps(document["journeys"][0])))
    first = document["journeys"][0]
    found = samples(render_prometheus(from_json(document)))

    labels = {"journey": first["name"], "engine": first["engine"]}
    assert one(found, "journey_runs_total", result="success", **labels) == 2 * first["successes"]
    got, count, total = histogram(found, "journey_latency_seconds", **labels)
    assert count == 2 * first["latency_buckets"]["count"]
    assert total == 2 * first["latency_buckets"]["sum"]
    assert got[0.005] == 2 * first["latency_buckets"]["cumulative"][0]


def test_same_labels_with_other_bounds_keep_the_bounds_both_hold() -> None:
    document = with_buckets(load("run-pass.json"))
    copy = json.loads(json.dumps(document["journeys"][0]))
    copy["latency_buckets"] = {
        "le": [0.01, 1.0, 7.0],
        "cumulative": [2, 3, 3],
        "count": 3,
        "sum": 1,
    }
    document["journeys"].append(copy)
    first = document["journeys"][0]["latency_buckets"]
    found = samples(render_prometheus(from_json(document)))

    got, count, _ = histogram(found, "journey_latency_seconds", journey=copy["name"])
    at = dict(zip(first["le"], first["cumulative"], strict=True))
    assert got == {0.01: at[0.01] + 2, 1.0: at[1.0] + 3, math.inf: first["count"] + 3}
    assert count == first["count"] + 3


def test_label_values_are_escaped_and_tenant_kept() -> None:
    document = load("run-pass.json")
    document["journeys"][0]["name"] = 'say "hi"\\\nnow'
    document["journeys"][1]["tenant"] = "eu-1"
    found = samples(render_prometheus(from_json(document)))

    assert (
        one(found, "journey_runs_total", journey='say "hi"\\\nnow', result="success")
        == document["journeys"][0]["successes"]
    )
    assert (
        one(
            found,
            "journey_runs_total",
            journey=document["journeys"][1]["name"],
            tenant="eu-1",
            result="success",
        )
        > 0
    )


def test_written_file_is_scrubbed(tmp_path: Path) -> None:
    document = load("run-pass.json")
    document["target"]["name"] = "shop-hunter22"
    path = tmp_path / "metrics.prom"

    write_prometheus(from_json(document), path, Redactor(["hunter22"]))

    text = path.read_text(encoding="utf-8")
    assert "hunter22" not in text
    assert {s.labels["target"] for s in samples(text)["journey_runs_total"]} == {"shop-***"}


DOC_ROW = re.compile(r"^\| `(journey_\w+)` \| (\w+) \| ([^|]*) \|", re.MULTILINE)


def test_every_family_is_documented_with_its_type_and_labels() -> None:
    # metrics.prom's families: the tables before serve's own (tests/serve/test_serve_metrics.py)
    text = (ROOT / "docs" / "metrics.md").read_text().split("\n## journey serve\n")[0]
    documented = {
        name: (kind, set(re.findall(r"`(\w+)`", labels)))
        for name, kind, labels in DOC_ROW.findall(text)
    }
    rendered: dict[str, tuple[str, set[str]]] = {}
    for document in (with_buckets(load("run-pass.json")), with_buckets(load("load-pass.json"))):
        if document["load"] is not None:
            document["load"]["throughput"]["asked_per_s"] = 40.0  # open model: "asked" too
        for family in text_string_to_metric_families(render_prometheus(from_json(document))):
            for sample in family.samples:
                rendered[sample.name] = (family.type, set(sample.labels))

    assert rendered == documented
