"""metrics.prom: a run's totals in the Prometheus text exposition format.

Rendered from the results document only, like every output, through prometheus_client: one
fresh `CollectorRegistry` per call holding one collector that reads the document, so nothing
leaks between runs and no process-global registry is touched. Counters are built as metric
families, not `Counter` objects, so they carry the document's totals and no `_created` series
(a file of totals has no creation time worth scraping).

Names follow the exposition conventions: base units (`_seconds`), `_total` for counters, ratios
as 0 to 1. Labels are bounded: `journey`, `step`, `engine`, `channel`, `target` (the target's
*name*, never a URL with ids), `tenant` ("" when there is none), `objective` (names from the
spec), `profile` and `stage` (from the load profile). Percentiles are gauges with a `quantile`
label, since results hold percentiles from histograms, not the sum a Summary would need. Rows
whose labels coincide are summed (counters) or the first kept (gauges): a series must occur once.
Imports only `redact` of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from runner.redact import Redactor

QUANTILES = {"0.5": "p50", "0.95": "p95", "0.99": "p99"}
Kind = Literal["counter", "gauge"]


def render_prometheus(results: Mapping[str, Any]) -> str:
    """The exposition text of a results document's totals.

    Raises KeyError only for a document lacking schema-required keys; missing optional figures
    (a percentile of a step that never ran, a load section of a `run`) are left out, not zero.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ResultsCollector(results))
    return generate_latest(registry).decode("utf-8")


def write_prometheus(results: Mapping[str, Any], path: Path, redactor: Redactor) -> None:
    """Write the exposition text to `path`, scrubbed of secrets (a label may quote one)."""
    path.write_text(redactor.scrub(render_prometheus(results)), encoding="utf-8")


class _Families:
    """Metric families keyed by name, each series added once: counters sum, gauges keep first."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[Kind, str, list[str]]] = {}
        self._series: dict[str, dict[tuple[str, ...], float]] = {}

    def add(self, kind: Kind, name: str, doc: str, labels: Mapping[str, str], value: float) -> None:
        if name not in self._docs:
            self._docs[name] = (kind, doc, list(labels))
            self._series[name] = {}
        key, series = tuple(labels.values()), self._series[name]
        if key not in series:
            series[key] = float(value)
        elif kind == "counter":
            series[key] += float(value)

    def collect(self) -> Iterator[Metric]:
        for name, (kind, doc, labels) in self._docs.items():
            family: CounterMetricFamily | GaugeMetricFamily
            if kind == "counter":
                family = CounterMetricFamily(name, doc, labels=labels)
            else:
                family = GaugeMetricFamily(name, doc, labels=labels)
            for key, value in self._series[name].items():
                family.add_metric(list(key), value)
            yield family


class _ResultsCollector(Collector):
    """Reads one results document at collection time; registered on a fresh registry."""

    def __init__(self, results: Mapping[str, Any]) -> None:
        self._results = results

    def collect(self) -> Iterable[Metric]:
        results, out = self._results, _Families()
        target = results["target"]
        common = {"target": str(target.get("name", "")), "tenant": target.get("tenant") or ""}
        for journey in results["journeys"]:
            _add_journey(out, journey, common)
        for objective in results.get("objectives") or ():
            labels = {
                "objective": objective["name"],
                "journey": objective["journey"],
                "step": objective.get("step") or "",
                "kind": objective["kind"],
                "engine": objective.get("engine") or "",
                **common,
            }
            doc = "1 if the objective was met, 0 if missed"
            out.add("gauge", "journey_objective_met", doc, labels, objective["met"])
        verdict = {"verdict": results["verdict"], "command": results["command"], **common}
        out.add("gauge", "journey_verdict", "1 for the run's verdict", verdict, 1)
        if results.get("load"):
            _add_load(out, results["load"], common)
        return out.collect()


def _add_journey(out: _Families, journey: Mapping[str, Any], common: Mapping[str, str]) -> None:
    labels = {
        "journey": journey["name"],
        "engine": journey.get("engine") or "http",
        "channel": journey.get("channel") or "",
        "target": common["target"],
        "tenant": journey.get("tenant") or common["tenant"],
    }
    attempts, successes = journey.get("attempts") or 0, journey.get("successes") or 0
    out.add("counter", "journey_runs", "Journey runs started", labels, attempts)
    doc = "Journey runs that failed or errored"
    out.add("counter", "journey_run_failures", doc, labels, attempts - successes)
    doc = "Journey latency percentile, whole journey"
    _add_quantiles(out, "journey_latency_seconds", doc, labels, journey.get("latency_s"))
    doc = "Data propagation delay percentile (e.g. a sale until stock shows it)"
    _add_quantiles(out, "journey_freshness_seconds", doc, labels, journey.get("freshness_s"))
    for step in journey.get("steps") or ():
        step_labels = {"journey": labels["journey"], "step": step["name"]}
        step_labels |= {k: labels[k] for k in ("engine", "channel", "target", "tenant")}
        doc = "Step attempts (one request, or one browser action)"
        out.add("counter", "journey_step_requests", doc, step_labels, step["attempts"])
        doc = "Step attempts that failed"
        out.add("counter", "journey_step_failures", doc, step_labels, step["failures"])
        doc = "Step latency percentile"
        _add_quantiles(out, "journey_step_latency_seconds", doc, step_labels, step.get("latency_s"))


def _add_quantiles(
    out: _Families,
    name: str,
    doc: str,
    labels: Mapping[str, str],
    percentiles: Mapping[str, float | None] | None,
) -> None:
    for quantile, key in QUANTILES.items():
        value = (percentiles or {}).get(key)
        if value is not None:
            out.add("gauge", name, doc, {**labels, "quantile": quantile}, value)


def _add_load(out: _Families, load: Mapping[str, Any], common: Mapping[str, str]) -> None:
    labels = {"profile": str(load.get("profile", "")), **common}
    stages = load.get("stages") or ()
    requests = sum(int(s.get("requests") or 0) for s in stages)
    failures = sum(int(s.get("failures") or 0) for s in stages)
    doc = "Requests sent during the rehearsal's stages"
    out.add("counter", "journey_load_requests", doc, labels, requests)
    doc = "Requests that failed during the rehearsal's stages"
    out.add("counter", "journey_load_request_failures", doc, labels, failures)
    throughput = load.get("throughput") or {}
    name = "journey_load_throughput_iterations_per_second"
    doc = "Journey iterations per second: asked by the profile (open model) and achieved"
    for kind in ("asked", "achieved"):
        value = throughput.get(f"{kind}_per_s")
        if value is not None:
            out.add("gauge", name, doc, {**labels, "kind": kind}, value)
    doc = "1 if the safety rail aborted the rehearsal"
    out.add("gauge", "journey_load_aborted", doc, labels, bool(load.get("aborted")))
    overloaded = bool((load.get("generator") or {}).get("overloaded"))
    doc = "1 if the load generator ran out of CPU, so the figures may understate the target"
    out.add("gauge", "journey_load_generator_overloaded", doc, labels, overloaded)
    doc = "Iterations the open model could not start on time"
    dropped = load.get("dropped_iterations") or 0
    out.add("counter", "journey_load_dropped_iterations", doc, labels, dropped)
