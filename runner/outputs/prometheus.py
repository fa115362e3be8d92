"""metrics.prom: a run's totals in the Prometheus text exposition format.

Rendered from the results document only, like every output, through prometheus_client: one
fresh `CollectorRegistry` per call holding one collector that reads the document, so nothing
leaks between runs and no process-global registry is touched; `registry_of` hands that
registry to `journey run --push-to` (runner/outputs/pushgateway.py), so a Pushgateway gets the
very families of the file. Metrics are built as metric families, not `Counter` or `Histogram`
objects, so they carry the document's exact totals and no `_created` series (a file of totals
has no creation time worth scraping).

Names follow the exposition conventions and `promtool check metrics`: base units (`_seconds`),
`_total` for counters, ratios as 0 to 1, `_timestamp_seconds` for Unix times. Latency and
freshness are histograms built from the document's exact bucket counts (`Buckets`), never
gauges with a `quantile` label: Prometheus can aggregate and re-derive any quantile from
buckets, and the judge places a bound at each SLO threshold, so "how many runs were over 2 s"
is read exactly. Each journey has its own `le` set (the web ladder plus its own thresholds),
so adding a journey never changes another's series. A journey or step without buckets (an
older document, or no samples) gets no histogram rather than an empty one that would claim
"0 runs measured" beside percentiles that say otherwise.

Labels are bounded: `journey`, `step`, `engine`, `channel`, `target` (the target's *name*,
never a URL with ids), `tenant` ("" when there is none), `result` (success | failure),
`objective` and `kind` (from the spec), `profile` (from the load profile). Rows whose labels
coincide are merged so that a series occurs once: counters and histograms add up (histograms
at the bounds both share, which stays exact), timestamps keep the latest, other gauges the
first. docs/metrics.md lists every family. Imports only `redact` and the typed document.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from runner.document import Buckets, JourneyEntry, LoadSection, ResultsDocument
from runner.redact import Redactor

logger = logging.getLogger(__name__)

Kind = Literal["counter", "gauge", "histogram"]
Merge = Literal["sum", "first", "latest"]


def render_prometheus(document: ResultsDocument) -> str:
    """The exposition text of a results document's totals.

    Missing optional figures (buckets of a journey that never ran, a `last_success` of a
    journey that never passed, a load section of a `run`) are left out, not zero. Raises
    ValueError when a journey's buckets hold fewer counts than bounds (a malformed document):
    a histogram cannot be guessed.
    """
    return generate_latest(registry_of(document)).decode("utf-8")


def registry_of(document: ResultsDocument) -> CollectorRegistry:
    """A fresh registry holding the document's families, which metrics.prom renders.

    For a consumer that takes a registry rather than text (`push_to_gateway`); the families are
    read from the document when the registry is collected, with the errors `render_prometheus`
    lists. Nothing is scrubbed here: whoever sends or writes the text scrubs it.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ResultsCollector(document))
    return registry


def write_prometheus(document: ResultsDocument, path: Path, redactor: Redactor) -> None:
    """Write the exposition text to `path`, scrubbed of secrets (a label may quote one)."""
    path.write_text(redactor.scrub(render_prometheus(document)), encoding="utf-8")


@dataclass(slots=True)
class _Histogram:
    """One histogram series: cumulative count at each finite bound, the count and the sum."""

    cumulative: dict[float, float]
    count: float
    sum: float

    @classmethod
    def of(cls, buckets: Buckets) -> _Histogram:
        pairs = zip(buckets.le, buckets.cumulative, strict=True)
        cumulative = {float(le): float(n) for le, n in sorted(pairs) if not math.isinf(le)}
        return cls(cumulative, float(buckets.count), float(buckets.sum))

    def absorb(self, other: _Histogram) -> None:
        # Exact at the bounds both hold; a bound only one of them has cannot be split.
        common = self.cumulative.keys() & other.cumulative.keys()
        self.cumulative = {le: self.cumulative[le] + other.cumulative[le] for le in sorted(common)}
        self.count += other.count
        self.sum += other.sum

    def buckets(self) -> list[tuple[str, float]]:
        # prometheus_client's own spelling of `le` ("0.005", "60.0"), so these series are the
        # ones a client_python exporter (`journey serve`) writes for the same bound.
        finite = [
            (floatToGoString(le), n)  # type: ignore[no-untyped-call]
            for le, n in self.cumulative.items()
        ]
        return [*finite, ("+Inf", self.count)]


class _Families:
    """Metric families keyed by name, each series added once and merged by its family's rule."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[Kind, str, list[str]]] = {}
        self._series: dict[str, dict[tuple[str, ...], float | _Histogram]] = {}

    def _slot(
        self, kind: Kind, name: str, doc: str, labels: Mapping[str, str]
    ) -> dict[tuple[str, ...], float | _Histogram]:
        if name not in self._docs:
            self._docs[name] = (kind, doc, list(labels))
            self._series[name] = {}
        return self._series[name]

    def add(
        self,
        kind: Literal["counter", "gauge"],
        name: str,
        doc: str,
        labels: Mapping[str, str],
        value: float,
        *,
        merge: Merge | None = None,
    ) -> None:
        rule = merge or ("sum" if kind == "counter" else "first")
        series, key = self._slot(kind, name, doc, labels), tuple(labels.values())
        old = series.get(key)
        if not isinstance(old, float):
            series[key] = float(value)
        elif rule == "sum":
            series[key] = old + float(value)
        elif rule == "latest":
            series[key] = max(old, float(value))

    def add_histogram(
        self, name: str, doc: str, labels: Mapping[str, str], buckets: Buckets
    ) -> None:
        series, key = self._slot("histogram", name, doc, labels), tuple(labels.values())
        new, old = _Histogram.of(buckets), series.get(key)
        if isinstance(old, _Histogram):
            old.absorb(new)
        else:
            series[key] = new

    def collect(self) -> Iterator[Metric]:
        for name, (kind, doc, labels) in self._docs.items():
            if kind == "histogram":
                histograms = HistogramMetricFamily(name, doc, labels=labels)
                for key, value in self._series[name].items():
                    if isinstance(value, _Histogram):
                        histograms.add_metric(list(key), value.buckets(), value.sum)
                yield histograms
                continue
            family: CounterMetricFamily | GaugeMetricFamily
            if kind == "counter":
                family = CounterMetricFamily(name, doc, labels=labels)
            else:
                family = GaugeMetricFamily(name, doc, labels=labels)
            for key, value in self._series[name].items():
                if isinstance(value, float):
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
    doc = "Journey runs ended, by result (failure: failed or errored)"
    failures = journey.attempts - journey.successes
    for result, runs in (("success", journey.successes), ("failure", failures)):
        out.add("counter", "journey_runs", doc, {**labels, "result": result}, runs)
    _add_timestamp(
        out,
        "journey_last_run_timestamp_seconds",
        "When the latest run ended",
        labels,
        journey.last_run,
    )
    _add_timestamp(
        out,
        "journey_last_success_timestamp_seconds",
        "When the latest passing run ended",
        labels,
        journey.last_success,
    )
    if journey.latency_buckets is not None:
        doc = "Journey latency, end to end, of every run that made a request"
        out.add_histogram("journey_latency_seconds", doc, labels, journey.latency_buckets)
    if journey.freshness_buckets is not None:
        doc = "Data propagation delay (e.g. a sale until stock shows it)"
        out.add_histogram("journey_freshness_seconds", doc, labels, journey.freshness_buckets)
    for step in journey.steps:
        step_labels = {"journey": labels["journey"], "step": step.name}
        step_labels |= {k: labels[k] for k in ("engine", "channel", "target", "tenant")}
        doc = "Step attempts (one request, or one browser action)"
        out.add("counter", "journey_step_requests", doc, step_labels, step.attempts)
        doc = "Step attempts that failed"
        out.add("counter", "journey_step_failures", doc, step_labels, step.failures)
        if step.latency_buckets is not None:
            doc = "Step latency"
            out.add_histogram(
                "journey_step_latency_seconds", doc, step_labels, step.latency_buckets
            )


def _add_timestamp(
    out: _Families, name: str, doc: str, labels: Mapping[str, str], when: str | None
) -> None:
    if when is None:
        return
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        # A hand-edited results.json must not stop the other outputs: leave the sample out.
        logger.warning("%s: not an ISO 8601 time, left out: %r", name, when)
        return
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the document writes UTC
    out.add("gauge", name, doc, labels, moment.timestamp(), merge="latest")


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
