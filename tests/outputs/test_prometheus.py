"""metrics.prom, checked by its consumer: prometheus_client's own text parser.

Documents: run-pass.json (a real `journey run journeys` against the demo shop, http engine,
with freshness journeys) and the load documents of test_html_load (real `journey load smoke`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from runner.document import from_json
from runner.outputs.prometheus import render_prometheus, write_prometheus
from runner.redact import Redactor

DATA = Path(__file__).parent / "data"
JOURNEY_LABELS = {"journey", "engine", "channel", "target", "tenant"}


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return document


def samples(text: str) -> dict[str, list[Sample]]:
    """Samples by sample name (`journey_runs_total`, not the family's `journey_runs`)."""
    found: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def one(found: dict[str, list[Sample]], name: str, **labels: str) -> float:
    matches = [s for s in found[name] if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matches) == 1, (name, labels, matches)
    return float(matches[0].value)


def test_run_totals_per_journey_and_step() -> None:
    document = load("run-pass.json")
    found = samples(render_prometheus(from_json(document)))

    runs = found["journey_runs_total"]
    assert len(runs) == len(document["journeys"])
    for journey in document["journeys"]:
        labels = {"journey": journey["name"], "engine": journey["engine"]}
        assert one(found, "journey_runs_total", **labels) == journey["attempts"]
        failed = journey["attempts"] - journey["successes"]
        assert one(found, "journey_run_failures_total", **labels) == failed
        for step in journey["steps"]:
            assert (
                one(found, "journey_step_requests_total", step=step["name"], **labels)
                == step["attempts"]
            )
            assert (
                one(found, "journey_step_failures_total", step=step["name"], **labels)
                == step["failures"]
            )
            p95 = one(
                found, "journey_step_latency_seconds", step=step["name"], quantile="0.95", **labels
            )
            assert p95 == step["latency_s"]["p95"]
    assert all(set(s.labels) == JOURNEY_LABELS for s in runs)
    assert {s.labels["target"] for s in runs} == {"demo-shop"}
    assert {s.labels["tenant"] for s in runs} == {""}
    quantiles = {s.labels["quantile"] for s in found["journey_step_latency_seconds"]}
    assert quantiles == {"0.5", "0.95", "0.99"}


def test_freshness_only_where_measured() -> None:
    document = load("run-pass.json")
    found = samples(render_prometheus(from_json(document)))

    fresh = {j["name"]: j["freshness_s"] for j in document["journeys"] if j["freshness_s"]}
    assert {s.labels["journey"] for s in found["journey_freshness_seconds"]} == set(fresh)
    for name, percentiles in fresh.items():
        assert (
            one(found, "journey_freshness_seconds", journey=name, quantile="0.5")
            == percentiles["p50"]
        )


def test_objectives_and_verdict() -> None:
    document = load("run-fail-browser.json")
    found = samples(render_prometheus(from_json(document)))

    met = found["journey_objective_met"]
    assert len(met) == len(document["objectives"])
    for objective in document["objectives"]:
        engine = objective.get("engine") or ""  # the same name may judge two engines
        value = one(found, "journey_objective_met", objective=objective["name"], engine=engine)
        assert value == (1.0 if objective["met"] else 0.0)
    assert [(s.labels["verdict"], s.value) for s in found["journey_verdict"]] == [("fail", 1.0)]
    assert {s.labels["step"] for s in met} >= {""}  # journey-wide objectives: step ""


def test_load_totals_of_an_aborted_rehearsal() -> None:
    document = load("load-aborted.json")
    found = samples(render_prometheus(from_json(document)))
    section = document["load"]

    labels = {"profile": "smoke", "target": document["target"]["name"], "tenant": ""}
    assert one(found, "journey_load_aborted", **labels) == 1.0
    assert one(found, "journey_verdict", verdict="aborted", command="load") == 1.0
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
    text = render_prometheus(from_json(load("load-fail-probe.json")))
    families = list(text_string_to_metric_families(text))

    for family in families:
        assert family.name.startswith("journey_")
        for sample in family.samples:
            if family.type == "counter":
                assert sample.name == family.name + "_total"
            assert "id" not in sample.labels
    assert "_created" not in text
    assert not any(f.type == "counter" and f.name.endswith("_seconds") for f in families)


def test_a_run_without_load_has_no_load_metrics() -> None:
    text = render_prometheus(from_json(load("run-pass.json")))

    assert "journey_load_" not in text


def test_same_labels_twice_are_summed_not_repeated() -> None:
    document = load("run-pass.json")
    document["journeys"].append(dict(document["journeys"][0]))
    first = document["journeys"][0]
    found = samples(render_prometheus(from_json(document)))

    runs = one(found, "journey_runs_total", journey=first["name"], engine=first["engine"])
    assert runs == 2 * first["attempts"]


def test_label_values_are_escaped_and_tenant_kept() -> None:
    document = load("run-pass.json")
    document["journeys"][0]["name"] = 'say "hi"\\\nnow'
    document["journeys"][1]["tenant"] = "eu-1"
    found = samples(render_prometheus(from_json(document)))

    assert (
        one(found, "journey_runs_total", journey='say "hi"\\\nnow')
        == document["journeys"][0]["attempts"]
    )
    assert (
        one(found, "journey_runs_total", journey=document["journeys"][1]["name"], tenant="eu-1") > 0
    )


def test_written_file_is_scrubbed(tmp_path: Path) -> None:
    document = load("run-pass.json")
    document["target"]["name"] = "shop-hunter22"
    path = tmp_path / "metrics.prom"

    write_prometheus(from_json(document), path, Redactor(["hunter22"]))

    text = path.read_text(encoding="utf-8")
    assert "hunter22" not in text
    assert {s.labels["target"] for s in samples(text)["journey_runs_total"]} == {"shop-***"}
