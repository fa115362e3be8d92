"""What `journey serve` probes and keeps history of: one flow of one journey against one target.

A series is the unit every figure of serve is kept per: its history rows, its SLIs' tallies,
its Prometheus label set (location aside: where a probe ran from is not what it probed). Its
fields are bounded labels, never a URL with ids, so the number of series stays the number of
journeys × engines × targets × tenants. Plain data: imports only the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.vocabulary import Engine


@dataclass(frozen=True, slots=True, order=True)
class Series:
    """One probed thing: a journey's flow against one target (its labels, location aside).

    Ordered so that listings and tests read the same whatever order series were recorded in.
    """

    journey: str
    engine: Engine  # "http" | "browser"
    target: str  # the target's name (Target.name), never a URL with ids
    tenant: str  # "" when there is none; capped tenants read "other"
    channel: str
