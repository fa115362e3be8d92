"""Service-level objectives as users declare them on a journey.

Only the declaration lives here; judging a run against it is `runner/slo.py`. Percentile keys
are a closed set so that reports and Prometheus labels stay bounded.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from runner.spec.units import Duration, Ratio

PERCENTILE_KEYS = ("p50", "p75", "p90", "p95", "p99", "max")


class Percentiles(BaseModel):
    """Upper bounds on latency (or freshness) percentiles, in seconds: `{p95: 4s, max: 10s}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    p50: Duration | None = None
    p75: Duration | None = None
    p90: Duration | None = None
    p95: Duration | None = None
    p99: Duration | None = None
    max: Duration | None = None

    def bounds(self) -> list[tuple[str, float]]:
        """The bounds that were set, as (key, seconds), in percentile order."""
        return [
            (key, value) for key in PERCENTILE_KEYS if (value := getattr(self, key)) is not None
        ]


class StepSlo(Percentiles):
    """Objectives of one step: latency percentiles, and freshness for an `until:` step."""

    success: Ratio | None = None
    freshness: Percentiles | None = None


class JourneySlo(BaseModel):
    """A journey's objectives: success ratio, end-to-end latency, freshness, per-step bounds.

    Without `success:` a journey is judged on success 100%: a probe whose runs fail is never
    green, whatever latency bounds it declares.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    success: Ratio | None = None
    latency: Percentiles | None = None
    freshness: Percentiles | None = None
    steps: dict[str, StepSlo] = {}
