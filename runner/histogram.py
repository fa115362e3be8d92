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


_MAPPING = DDSketch(relative_accuracy=RELATIVE_ACCURACY)._mapping
# LogarithmicMapping.key, inlined with its own constants (a test holds the two equal)
_MIN_INDEXABLE: float = _MAPPING.min_possible
_MULTIPLIER: float = _MAPPING._multiplier
_OFFSET: float = _MAPPING._offset


class Histogram:
    """Seconds in, quantiles out. Empty histograms answer None, never 0.

    `add` runs for every step of every load iteration, so it only counts the sample in its
    bucket (the sketch's own key for it); the counts are folded into the sketch, in bulk and
    with the same result as adding one by one, before anything reads it.
    """

    __slots__ = ("_max", "_min", "_pending", "_pending_sum", "_sketch")

    def __init__(self) -> None:
        self._sketch = DDSketch(relative_accuracy=RELATIVE_ACCURACY)
        self._min = math.inf
        self._max = -math.inf
        self._pending: dict[int, int] = {}  # bucket key -> samples not yet in the sketch
        self._pending_sum = 0.0

    def add(self, seconds: float) -> None:
        if seconds > _MIN_INDEXABLE:
            key = int(math.ceil(math.log(seconds, 2) * _MULTIPLIER) + _OFFSET)
            self._pending[key] = self._pending.get(key, 0) + 1
            self._pending_sum += seconds
        else:
            self._sketch.add(seconds if seconds > 0.0 else 0.0)  # the zero bucket
        if seconds < self._min:
            self._min = seconds
        if seconds > self._max:
            self._max = seconds

    def _fold(self) -> DDSketch:
        """The sketch with every pending sample in it, as `DDSketch.add` would have put them."""
        sketch = self._sketch
        if self._pending:
            count = 0
            for key, samples in self._pending.items():
                sketch._store.add(key, samples)
                count += samples
            sketch._count += count
            sketch._sum += self._pending_sum
            sketch._min = min(sketch._min, self._min)
            sketch._max = max(sketch._max, self._max)
            self._pending = {}
            self._pending_sum = 0.0
        return sketch

    def merge(self, other: Histogram) -> None:
        """Add `other`'s samples to this histogram (exact: bucket counts add)."""
        if other.count:
            self._fold().merge(other._fold())
            self._min = min(self._min, other._min)
            self._max = max(self._max, other._max)

    @property
    def count(self) -> int:
        return int(self._fold().count)

    @property
    def max(self) -> float | None:
        return self._max if self.count else None

    @property
    def min(self) -> float | None:
        return self._min if self.count else None

    @property
    def mean(self) -> float | None:
        sketch = self._fold()
        return sketch.sum / sketch.count if sketch.count else None

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0..1), clamped to the exact min and max; None when empty."""
        if not self.count:
            return None
        value = self._fold().get_quantile_value(q)
        return None if value is None else min(max(value, self._min), self._max)

    def value(self, key: str) -> float | None:
        """A named statistic: `p50`…`p99` or `max`."""
        return self.max if key == "max" else self.quantile(QUANTILES[key])

    def to_wire(self) -> dict[str, Any]:
        """A form that crosses processes (msgpack, JSON): DDSketch's own protobuf encoding."""
        if not self.count:
            return {}
        sketch = DDSketchProto.to_proto(self._fold()).SerializeToString()  # type: ignore[no-untyped-call]
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
