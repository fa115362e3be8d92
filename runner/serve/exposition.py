"""The text exposition of serve's metric families, formatted fast enough for 50 × 10 steps.

prometheus_client's `generate_latest` escapes and sorts every label of every sample: for a
serve of 50 journeys of 10 steps (12,500 lines, most of them histogram buckets that share all
labels but `le`) that was 124 ms a scrape, measured on this project's 2-core machine
(bench/serve_soak.py: median 116 ms, goal 50 ms). `Writer` formats the same `Metric` objects
the collector yields, each distinct label set escaped once and `le` appended to it: 31 ms when
every series changed; and the collector keeps each series' text until its tally changes
(runner/serve/metrics.py `ServeCollector.render`), so a scrape formats only the series that ran
since the last (4.8 ms median in the bench). The same samples, names, types and values as
`generate_latest` (tests/serve/test_serve_metrics.py compares them through Prometheus's own
parser). Only the kinds serve exports are handled (counter, gauge, histogram); anything else
raises ValueError.
"""

from __future__ import annotations

from prometheus_client.core import Metric
from prometheus_client.utils import floatToGoString

_KINDS = {"counter": "counter", "gauge": "gauge", "histogram": "histogram"}


class Writer:
    """Formats families; each distinct label set (`le` aside) is escaped once per writer."""

    def __init__(self) -> None:
        self._labels: dict[tuple[tuple[str, str], ...], str] = {}
        self._values: dict[float, str] = {}  # counts repeat: most buckets hold a few values

    def header(self, metric: Metric) -> str:
        """`# HELP` and `# TYPE` of a family."""
        kind = _KINDS.get(metric.type)
        if kind is None:
            raise ValueError(f"cannot render a {metric.type} metric: {metric.name}")
        name = f"{metric.name}_total" if kind == "counter" else metric.name
        help_text = metric.documentation.replace("\\", r"\\").replace("\n", r"\n")
        return f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"

    def samples(self, metric: Metric) -> str:
        """Every sample line of a family (or of one series' part of it)."""
        out = []
        for sample in metric.samples:
            items = tuple(sample.labels.items())
            le = None
            if items and items[-1][0] == "le":  # where HistogramMetricFamily puts it
                le, items = items[-1][1], items[:-1]
            elif "le" in sample.labels:
                le = sample.labels["le"]
                items = tuple(item for item in items if item[0] != "le")
            text = self._labels.get(items)
            if text is None:
                pairs = sorted(items)
                text = self._labels[items] = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
            if le is not None:
                text = f'{text},le="{le}"' if text else f'le="{le}"'
            braces = f"{{{text}}}" if text else ""
            value = self._values.get(sample.value)
            if value is None:
                value = self._values[sample.value] = floatToGoString(sample.value)  # type: ignore[no-untyped-call]
            out.append(f"{sample.name}{braces} {value}\n")
        return "".join(out)


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value
