"""A mergeable latency histogram with bounded memory, for every percentile journey reports.

Built on DataDog's DDSketch (1 % relative accuracy on every quantile, log-spaced buckets): memory
grows with the *range* of values, not their count, and merging two sketches is exact, so
workers' histograms add up to the same figures one process would have measured. Min and max
are tracked exactly beside it, and so are counts at a given set of bounds: what decides a
percentile objective (the share of samples above its threshold) and what a Prometheus
histogram shows is never read from the sketch. Plain data: imports nothing of ours.
"""

from __future__ import annotations

import math
from bisect import bisect_left
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

    __slots__ = ("_bounds", "_counts", "_max", "_min", "_pending", "_pending_sum", "_sketch")

    def __init__(self, bounds: tuple[float, ...] = ()) -> None:
        """`bounds` (ascending seconds): samples are also counted exactly at each of them."""
        self._sketch = DDSketch(relative_accuracy=RELATIVE_ACCURACY)
        self._min = math.inf
        self._max = -math.inf
        self._pending: dict[int, int] = {}  # bucket key -> samples not yet in the sketch
        self._pending_sum = 0.0
        self._bounds = bounds
        # samples per bucket: [i] are those in (bounds[i-1], bounds[i]], the last above them all
        self._counts = [0] * (len(bounds) + 1)

    def add(self, seconds: float) -> None:
        if self._bounds:
            self._counts[bisect_left(self._bounds, seconds)] += 1
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
        """Add `other`'s samples to this histogram (exact: bucket counts add).

        An empty histogram takes the other's bounds. Raises ValueError for two histograms
        with samples counted at different bounds: their exact counts cannot add up.
        """
        if not other.count:
            return
        if self._bounds != other._bounds:
            if self.count:
                raise ValueError("histograms counted at different bounds do not merge")
            self._bounds, self._counts = other._bounds, [0] * len(other._counts)
        self._fold().merge(other._fold())
        self._min = min(self._min, other._min)
        self._max = max(self._max, other._max)
        counts = self._counts
        for index, samples in enumerate(other._counts):
            counts[index] += samples

    @property
    def bounds(self) -> tuple[float, ...]:
        """The bounds samples are counted at exactly (seconds, ascending)."""
        return self._bounds

    def above(self, threshold: float) -> int | None:
        """How many samples exceed `threshold`, exactly; None if it is not one of the bounds."""
        index = bisect_left(self._bounds, threshold)
        if index == len(self._bounds) or self._bounds[index] != threshold:
            return None
        return sum(self._counts[index + 1 :])

    def cumulative(self, bounds: tuple[float, ...]) -> list[int] | None:
        """Samples ≤ each of `bounds` (a subset of this histogram's), exactly; None if not."""
        out = []
        for bound in bounds:
            above = self.above(bound)
            if above is None:
                return None
            out.append(self.count - above)
        return out

    @property
    def sum(self) -> float:
        """The exact sum of the samples (seconds)."""
        return float(self._fold().sum)

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
        wire: dict[str, Any] = {"sketch": sketch, "min": self._min, "max": self._max}
        if self._bounds:
            wire["bounds"], wire["counts"] = list(self._bounds), list(self._counts)
        return wire

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Histogram:
        """The histogram `to_wire` encoded; an empty mapping is an empty histogram."""
        histogram = cls()
        if data:
            message = SketchMessage.FromString(data["sketch"])
            histogram._sketch = DDSketchProto.from_proto(message)  # type: ignore[no-untyped-call]
            histogram._min, histogram._max = float(data["min"]), float(data["max"])
            if "bounds" in data:
                histogram._bounds = tuple(float(b) for b in data["bounds"])
                histogram._counts = [int(c) for c in data["counts"]]
        return histogram

    def summary(self) -> dict[str, float | None]:
        """p50, p75, p90, p95, p99 and max, rounded to the microsecond, for reports."""
        keys = [*QUANTILES, "max"]
        return {key: None if (v := self.value(key)) is None else round(v, 6) for key in keys}
