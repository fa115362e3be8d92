"""A mergeable latency histogram with bounded memory, for every percentile journey reports.

Built on DataDog's DDSketch (1 % relative accuracy on every quantile, log-spaced buckets): memory
grows with the *range* of values, not their count, and merging two sketches is exact, so
workers' histograms add up to the same figures one process would have measured. Min and max
are tracked exactly beside it. Plain data: imports nothing of ours.
"""

from __future__ import annotations

import math
from typing import Any

from ddsketch import DDSketch
from ddsketch.pb.ddsketch_pb2 import DDSketch as SketchMessage
from ddsketch.pb.proto import DDSketchProto

RELATIVE_ACCURACY = 0.01
QUANTILES = {"p50": 0.50, "p75": 0.75, "p90": 0.90, "p95": 0.95, "p99": 0.99}


class Histogram:
    """Seconds in, quantiles out. Empty histograms answer None, never 0."""

    __slots__ = ("_max", "_min", "_sketch")

    def __init__(self) -> None:
        self._sketch = DDSketch(relative_accuracy=RELATIVE_ACCURACY)
        self._min = math.inf
        self._max = -math.inf

    def add(self, seconds: float) -> None:
        self._sketch.add(seconds if seconds > 0.0 else 0.0)
        if seconds < self._min:
            self._min = seconds
        if seconds > self._max:
            self._max = seconds

    def merge(self, other: Histogram) -> None:
        """Add `other`'s samples to this histogram (exact: bucket counts add)."""
        if other.count:
            self._sketch.merge(other._sketch)
            self._min = min(self._min, other._min)
            self._max = max(self._max, other._max)

    @property
    def count(self) -> int:
        return int(self._sketch.count)

    @property
    def max(self) -> float | None:
        return self._max if self.count else None

    @property
    def min(self) -> float | None:
        return self._min if self.count else None

    @property
    def mean(self) -> float | None:
        return self._sketch.sum / self._sketch.count if self.count else None

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0..1), clamped to the exact min and max; None when empty."""
        if not self.count:
            return None
        value = self._sketch.get_quantile_value(q)
        return None if value is None else min(max(value, self._min), self._max)

    def value(self, key: str) -> float | None:
        """A named statistic: `p50`…`p99` or `max`."""
        return self.max if key == "max" else self.quantile(QUANTILES[key])

    def to_wire(self) -> dict[str, Any]:
        """A form that crosses processes (msgpack, JSON): DDSketch's own protobuf encoding."""
        if not self.count:
            return {}
        sketch = DDSketchProto.to_proto(self._sketch).SerializeToString()  # type: ignore[no-untyped-call]
        return {"sketch": sketch, "min": self._min, "max": self._max}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Histogram:
        """The histogram `to_wire` encoded; an empty mapping is an empty histogram."""
        histogram = cls()
        if data:
            message = SketchMessage.FromString(data["sketch"])
            histogram._sketch = DDSketchProto.from_proto(message)  # type: ignore[no-untyped-call]
            histogram._min, histogram._max = float(data["min"]), float(data["max"])
        return histogram

    def summary(self) -> dict[str, float | None]:
        """p50, p75, p90, p95, p99 and max, rounded to the microsecond, for reports."""
        keys = [*QUANTILES, "max"]
        return {key: None if (v := self.value(key)) is None else round(v, 6) for key in keys}
