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
Imports only `redact` and the typed results document of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Literal

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from runner.document import JourneyEntry, LoadSection, Percentiles, ResultsDocument
from runner.redact import Redactor

QUANTILES = {"0.5": "p50", "0.95": "p95", "0.99": "p99"}
Kind = Literal["counter", "gauge"]


def render_prometheus(document: ResultsDocument) -> str:
    """The exposition text of a results document's totals.

    Missing optional figures (a percentile of a step that never ran, a load section of a
    `run`) are left out, not zero.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ResultsCollector(document))
    return generate_latest(registry).decode("utf-8")


def write_prometheus(document: ResultsDocument, path: Path, redactor: Redactor) -> None:
    """Write the exposition text to `path`, scrubbed of secrets (a label may quote one)."""
    path.write_text(redactor.scrub(render_prometheus(document)), encoding="utf-8")


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

    def __init__(self, document: ResultsDocument) -> None:
        self._document = document

    def collect(self) -> Iterable[Metric]:
        document, out = self._document, _Families()
        common = {"target": document.target.name, "tenant": document.target.tenant or ""}
        for journey in document.journeys:
            _add_journey(out, journey, common)
        for objective in document.objectives:
            labels = {
                "objective": objective.name,
                "journey": objective.journey,
                "step": objective.step or "",
                "kind": objective.kind,
                "engine": objective.engine or "",
                **common,
            }
            doc = "1 if the objective was met, 0 if missed"
            out.add("gauge", "journey_objective_met", doc, labels, objective.met)
        verdict = {"verdict": document.verdict, "command": document.command, **common}
        out.add("gauge", "journey_verdict", "1 for the run's verdict", verdict, 1)
        if document.load is not None:
            _add_load(out, document.load, common)
        return out.collect()


def _add_journey(out: _Families, journey: JourneyEntry, common: Mapping[str, str]) -> None:
    labels = {
        "journey": journey.name,
        "engine": journey.engine,
        "channel": journey.channel,
        "target": common["target"],
        "tenant": journey.tenant or common["tenant"],
    }
    out.add("counter", "journey_runs", "Journey runs started", labels, journey.attempts)
    doc = "Journey runs that failed or errored"
    out.add("counter", "journey_run_failures", doc, labels, journey.attempts - journey.successes)
    doc = "Journey latency percentile, whole journey"
    _add_quantiles(out, "journey_latency_seconds", doc, labels, journey.latency_s)
    doc = "Data propagation delay percentile (e.g. a sale until stock shows it)"
    _add_quantiles(out, "journey_freshness_seconds", doc, labels, journey.freshness_s)
    for step in journey.steps:
        step_labels = {"journey": labels["journey"], "step": step.name}
        step_labels |= {k: labels[k] for k in ("engine", "channel", "target", "tenant")}
        doc = "Step attempts (one request, or one browser action)"
        out.add("counter", "journey_step_requests", doc, step_labels, step.attempts)
        doc = "Step attempts that failed"
        out.add("counter", "journey_step_failures", doc, step_labels, step.failures)
        doc = "Step latency percentile"
        _add_quantiles(out, "journey_step_latency_seconds", doc, step_labels, step.latency_s)


def _add_quantiles(
    out: _Families,
    name: str,
    doc: str,
    labels: Mapping[str, str],
    percentiles: Percentiles | None,
) -> None:
    if percentiles is None:
        return
    for quantile, key in QUANTILES.items():
        value = getattr(percentiles, key)
        if value is not None:
            out.add("gauge", name, doc, {**labels, "quantile": quantile}, value)


def _add_load(out: _Families, load: LoadSection, common: Mapping[str, str]) -> None:
    labels = {"profile": load.profile, **common}
    requests = sum(stage.requests for stage in load.stages)
    failures = sum(stage.failures for stage in load.stages)
    doc = "Requests sent during the rehearsal's stages"
    out.add("counter", "journey_load_requests", doc, labels, requests)
    doc = "Requests that failed during the rehearsal's stages"
    out.add("counter", "journey_load_request_failures", doc, labels, failures)
    name = "journey_load_throughput_iterations_per_second"
    doc = "Journey iterations per second: asked by the profile (open model) and achieved"
    for kind, value in (
        ("asked", load.throughput.asked_per_s),
        ("achieved", load.throughput.achieved_per_s),
    ):
        if value is not None:
            out.add("gauge", name, doc, {**labels, "kind": kind}, value)
    doc = "1 if the safety rail aborted the rehearsal"
    out.add("gauge", "journey_load_aborted", doc, labels, load.aborted is not None)
    doc = "1 if the load generator ran out of CPU, so the figures may understate the target"
    out.add("gauge", "journey_load_generator_overloaded", doc, labels, load.generator.overloaded)
    doc = "Iterations the open model could not start on time"
    out.add("counter", "journey_load_dropped_iterations", doc, labels, load.dropped_iterations)
