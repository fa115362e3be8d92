"""The thresholds a run's objectives judge, and the exact bucket bounds they give histograms.

A percentile objective is decided on the count of samples above its threshold, kept exactly
(never read from the sketch), and Prometheus histograms need exact buckets too. So every
histogram of a run counts samples at one set of bounds: a web-latency ladder from 5 ms to 60 s
plus every latency and freshness threshold of the run's journeys (and load profile), so that
histograms of different journeys and seconds merge. Each journey's own bucket set, what its
Prometheus histogram shows, is the ladder plus its own thresholds: adding a journey never
changes another's `le` set.
"""

from __future__ import annotations

from collections.abc import Iterable

from runner.spec.journey import Journey
from runner.spec.loadprofile import LoadProfile
from runner.spec.slo import JourneySlo, Percentiles

# seconds: what a shopper notices (5 ms … 1 s) through what a slow back office takes (60 s)
LADDER: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)


def slo_thresholds(slo: JourneySlo | None) -> set[float]:
    """Every latency and freshness threshold of a journey's SLO, its steps' included."""
    if slo is None:
        return set()
    found = _of(slo.latency) | _of(slo.freshness)
    for step in slo.steps.values():
        found |= _of(step) | _of(step.freshness)
    return found


def journey_bounds(journey: Journey) -> tuple[float, ...]:
    """The bucket bounds a journey's histograms show: the ladder and its own thresholds."""
    return tuple(sorted(set(LADDER) | slo_thresholds(journey.slo)))


def run_bounds(
    journeys: Iterable[Journey], profile: LoadProfile | None = None
) -> tuple[float, ...]:
    """The bounds every histogram of a run counts at: the ladder and every threshold."""
    found = set(LADDER)
    for journey in journeys:
        found |= slo_thresholds(journey.slo)
    if profile is not None:
        found |= _of(profile.slo.latency)
    return tuple(sorted(found))


def _of(bounds: Percentiles | None) -> set[float]:
    return set() if bounds is None else {float(limit) for _, limit in bounds.bounds()}
