"""`journey serve`'s /metrics: the probes' counters and histograms, budgets and burn rates.

One CollectorRegistry per serve (never the process-global one), holding one collector that
reads a consistent snapshot of the tallies and the latest budgets at each scrape: metric
families are built from plain counts, so a journey's histogram carries its own `le` set (the
ladder plus its SLO thresholds, as metrics.prom has). A scrape of 50 journeys × 10 steps is
12,500 lines, formatted by runner/serve/exposition.py rather than `generate_latest`.

Names are the ones the probe outputs use (runner/outputs/prometheus.py, docs/metrics.md), so a
dashboard built on a pushed `journey run` reads serve's series too. Labels are bounded: journey,
engine, target, channel, tenant (capped by the command), location (a flag), and step, result,
reason, objective and window from fixed sets. Budgets are gauges that serve computes from its
history (so a restart keeps them); the alerting itself is Prometheus's (`journey rules`).
Burn-rate series are left out for a window with no events: no data is not a zero burn.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from runner.serve.budget import Budget
from runner.serve.exposition import Writer
from runner.serve.series import Series
from runner.serve.tallies import Buckets, SeriesTally, Tallies

LABELS = ("journey", "engine", "target", "channel", "tenant", "location")
DELAY_BOUNDS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class ServeState:
    """Serve's own figures at one scrape: runs in flight and the bound, per engine."""

    in_flight: Mapping[str, int]
    limits: Mapping[str, int]
    delays: Mapping[str, Buckets]  # start − planned fire time, per engine
    budgets_refreshed: float | None = None  # when the budgets were last computed, Unix time


class DelayTally:
    """How late runs start against their planned (jittered) fire time, per engine."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_engine: dict[str, Buckets] = {}

    def observe(self, engine: str, delay_s: float) -> None:
        with self._lock:
            buckets = self._by_engine.get(engine)
            if buckets is None:
                buckets = self._by_engine[engine] = Buckets(DELAY_BOUNDS)
            buckets.observe(max(0.0, delay_s))

    def snapshot(self) -> dict[str, Buckets]:
        with self._lock:
            return {engine: b.copy() for engine, b in self._by_engine.items()}


class ServeCollector(Collector):
    """Builds every family from the tallies, the budgets and serve's state at each scrape."""

    def __init__(
        self,
        tallies: Tallies,
        budgets: Callable[[], Sequence[Budget]],
        state: Callable[[], ServeState],
        *,
        location: str = "",
    ) -> None:
        self._tallies = tallies
        self._budgets = budgets
        self._state = state
        self._location = location
        self._texts: dict[Hashable, list[str]] = {}  # rendered parts, by series and version

    def labels(self, series: Series) -> list[str]:
        return [
            series.journey,
            series.engine,
            series.target,
            series.channel,
            series.tenant,
            self._location,
        ]

    def collect(self) -> Iterable[Metric]:
        """Every family, whole: what prometheus_client's own exposition reads."""
        tallies = self._tallies.snapshot()
        yield from self._counters(tallies)
        yield from self._histograms(tallies)
        yield from self._timestamps(tallies)
        yield from self._slo(self._budgets())
        yield from self._serve(self._state())

    def render(self) -> bytes:
        """The same families as `collect`, in the text format, re-rendering changed series only.

        Each series' part of the families is rendered once per version of its tally (its
        budgets' part once per budget refresh) and kept until a scrape no longer has it: with 50
        journeys every 30 s, a scrape a second formats the one or two that ran. Same samples as
        `collect` through `generate_latest` (tests/serve/test_serve_metrics.py).
        """
        writer = Writer()
        tallies = self._tallies.snapshot()
        state = self._state()
        by_series: dict[Series, list[Budget]] = {}
        for budget in self._budgets():
            by_series.setdefault(budget.series, []).append(budget)
        texts: dict[Hashable, list[str]] = {}
        series_parts, budget_parts = [], []
        for series, tally in tallies.items():
            key: Hashable = ("series", series, tally.version)
            part = self._texts.get(key)
            if part is None:
                one = {series: tally}
                metrics = [*self._counters(one), *self._histograms(one), *self._timestamps(one)]
                part = [writer.samples(m) for m in metrics]
            series_parts.append(texts.setdefault(key, part))
        for series, budgets in by_series.items():
            key = ("budgets", series, *map(_figures, budgets))
            part = self._texts.get(key)
            if part is None:
                part = [writer.samples(m) for m in self._slo(budgets)]
            budget_parts.append(texts.setdefault(key, part))
        self._texts = texts
        out = []
        empty: dict[Series, SeriesTally] = {}
        heads = [*self._counters(empty), *self._histograms(empty), *self._timestamps(empty)]
        for index, head in enumerate(heads):
            out.append(writer.header(head))
            out.extend(part[index] for part in series_parts)
        for index, head in enumerate(self._slo([])):
            out.append(writer.header(head))
            out.extend(part[index] for part in budget_parts)
        out.extend(writer.header(m) + writer.samples(m) for m in self._serve(state))
        return "".join(out).encode("utf-8")

    def _counters(self, tallies: Mapping[Series, SeriesTally]) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "journey_runs",
            "Scheduled runs by result: the SLI (rechecks and skipped runs are counted apart)",
            labels=[*LABELS, "result"],
        )
        rechecks = CounterMetricFamily(
            "journey_rechecks",
            "Extra runs made sooner while a journey fails, by result; not part of the SLI",
            labels=[*LABELS, "result"],
        )
        skipped = CounterMetricFamily(
            "journey_skipped",
            "Scheduled runs that did not start: busy (the last still runs), bound (serve's "
            "concurrency bound), missed (fired too late); never counted against the shop",
            labels=[*LABELS, "reason"],
        )
        failures = CounterMetricFamily(
            "journey_step_failures",
            "Scheduled runs that ended at this step",
            labels=[*LABELS, "step"],
        )
        for series, tally in tallies.items():
            labels = self.labels(series)
            for result, n in tally.runs.items():
                runs.add_metric([*labels, result], n)
            for result, n in tally.rechecks.items():
                rechecks.add_metric([*labels, result], n)
            for reason, n in tally.skipped.items():
                skipped.add_metric([*labels, reason], n)
            for step, n in tally.step_failures.items():
                failures.add_metric([*labels, step], n)
        yield from (runs, rechecks, skipped, failures)

    def _histograms(self, tallies: Mapping[Series, SeriesTally]) -> Iterator[Metric]:
        latency = HistogramMetricFamily(
            "journey_latency_seconds",
            "End-to-end duration of scheduled runs that made a request (failed ones too)",
            labels=list(LABELS),
        )
        steps = HistogramMetricFamily(
            "journey_step_latency_seconds",
            "Duration of each step of scheduled runs",
            labels=[*LABELS, "step"],
        )
        freshness = HistogramMetricFamily(
            "journey_freshness_seconds",
            "How long each until: step waited for its data to show (POS sync, export)",
            labels=list(LABELS),
        )
        for series, tally in tallies.items():
            labels = self.labels(series)
            latency.add_metric(labels, *_histogram(tally.latency))
            for step, buckets in tally.step_latency.items():
                steps.add_metric([*labels, step], *_histogram(buckets))
            if tally.freshness is not None:
                freshness.add_metric(labels, *_histogram(tally.freshness))
        yield from (latency, steps, freshness)

    def _timestamps(self, tallies: Mapping[Series, SeriesTally]) -> Iterator[Metric]:
        last_run = GaugeMetricFamily(
            "journey_last_run_timestamp_seconds",
            "When the latest run (scheduled or recheck) ended, Unix time",
            labels=list(LABELS),
        )
        last_success = GaugeMetricFamily(
            "journey_last_success_timestamp_seconds",
            "When the latest passing run ended, Unix time",
            labels=list(LABELS),
        )
        for series, tally in tallies.items():
            if tally.last_run is not None:
                last_run.add_metric(self.labels(series), tally.last_run)
            if tally.last_success is not None:
                last_success.add_metric(self.labels(series), tally.last_success)
        yield from (last_run, last_success)

    def _slo(self, budgets: Sequence[Budget]) -> Iterator[Metric]:
        names = [*LABELS, "objective"]
        objective = GaugeMetricFamily(
            "journey_slo_objective_ratio", "The objective: good events / all events", labels=names
        )
        compliance = GaugeMetricFamily(
            "journey_slo_compliance_ratio",
            "Good events / all events of scheduled runs over the SLO window (from the history)",
            labels=names,
        )
        remaining = GaugeMetricFamily(
            "journey_slo_error_budget_remaining_ratio",
            "Share of the SLO window's error budget left: 1 untouched, 0 spent, below 0 overspent",
            labels=names,
        )
        events = GaugeMetricFamily(
            "journey_slo_window_events",
            "Events (runs, or steps) the SLO window holds: how much the figures rest on",
            labels=names,
        )
        burn = GaugeMetricFamily(
            "journey_slo_burn_rate",
            "Error rate over the window / the error budget (1 - objective): 1 spends the "
            "budget exactly over the SLO window; left out for a window without events",
            labels=[*names, "window"],
        )
        for budget in budgets:
            labels = [*self.labels(budget.series), budget.sli.objective]
            objective.add_metric(labels, budget.sli.target)
            events.add_metric(labels, budget.total)
            if budget.compliance is not None:
                compliance.add_metric(labels, budget.compliance)
            if budget.remaining is not None:
                remaining.add_metric(labels, budget.remaining)
            for window, rate in budget.burn.items():
                if rate is not None:
                    burn.add_metric([*labels, window], rate)
        yield from (objective, compliance, remaining, events, burn)

    def _serve(self, state: ServeState) -> Iterator[Metric]:
        in_flight = GaugeMetricFamily(
            "journey_serve_in_flight", "Probe runs in flight now", labels=["engine"]
        )
        limit = GaugeMetricFamily(
            "journey_serve_concurrency_limit",
            "Most probe runs serve lets be in flight at once; one more is skipped (bound)",
            labels=["engine"],
        )
        for engine, n in state.limits.items():
            limit.add_metric([engine], n)
            in_flight.add_metric([engine], state.in_flight.get(engine, 0))
        delay = HistogramMetricFamily(
            "journey_schedule_delay_seconds",
            "How late runs start after their planned (jittered) fire time",
            labels=["engine"],
        )
        for engine, buckets in state.delays.items():
            delay.add_metric([engine], *_histogram(buckets))
        refreshed = GaugeMetricFamily(
            "journey_slo_refreshed_timestamp_seconds",
            "When serve last computed the budgets and burn rates from its history, Unix time",
        )
        if state.budgets_refreshed is not None:
            refreshed.add_metric([], state.budgets_refreshed)
        yield from (in_flight, limit, delay, refreshed)


def _figures(budget: Budget) -> tuple[object, ...]:
    # what a budget's samples show: its part is rendered again when one of them changes
    return (
        budget.sli,
        budget.good,
        budget.total,
        tuple(budget.burn.items()),
        tuple(budget.events.items()),
    )


def _histogram(buckets: Buckets) -> tuple[list[tuple[str, float]], float]:
    # prometheus_client's spelling of `le`, as metrics.prom writes it
    pairs = [(floatToGoString(le), float(n)) for le, n in buckets.cumulative()]  # type: ignore[no-untyped-call]
    pairs.append(("+Inf", float(buckets.total)))
    return pairs, buckets.sum if math.isfinite(buckets.sum) else 0.0
