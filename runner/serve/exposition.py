"""The text exposition of serve's metric families, formatted fast enough for 50 × 10 steps.

prometheus_client's `generate_latest` escapes and sorts every label of every sample: for a
serve of 50 journeys of 10 steps (12,500 lines, most of them histogram buckets that share all
labels but `le`) that was 124 ms a scrape, measured on this project's 2-core machine
(bench/serve_soak.py: median 116 ms, goal 50 ms). This writes the same families, from the same
`Metric` objects the collector yields, with each distinct label set escaped once per scrape
and `le` appended to it: the same samples, names, types and values (tests/serve compare it with
`generate_latest` through Prometheus's own parser), a few times faster. Only the kinds serve
exports are handled (counter, gauge, histogram); anything else raises ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric
from prometheus_client.utils import floatToGoString

_KINDS = {"counter": "counter", "gauge": "gauge", "histogram": "histogram"}


def render(metrics: Iterable[Metric]) -> bytes:
    """The Prometheus text format (version 0.0.4) of `metrics`."""
    out: list[str] = []
    labels_cache: dict[tuple[tuple[str, str], ...], str] = {}
    values: dict[float, str] = {}  # counts repeat: most buckets hold one of a few values
    for metric in metrics:
        kind = _KINDS.get(metric.type)
        if kind is None:
            raise ValueError(f"cannot render a {metric.type} metric: {metric.name}")
        name = f"{metric.name}_total" if kind == "counter" else metric.name
        help_text = metric.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n")
        for sample in metric.samples:
            items = tuple(sample.labels.items())
            le = None
            if items and items[-1][0] == "le":  # where HistogramMetricFamily puts it
                le, items = items[-1][1], items[:-1]
            elif "le" in sample.labels:
                le = sample.labels["le"]
                items = tuple(item for item in items if item[0] != "le")
            key = items
            text = labels_cache.get(key)
            if text is None:
                text = labels_cache[key] = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(key))
            if le is not None:
                text = f'{text},le="{le}"' if text else f'le="{le}"'
            braces = f"{{{text}}}" if text else ""
            value = values.get(sample.value)
            if value is None:
                value = values[sample.value] = floatToGoString(sample.value)  # type: ignore[no-untyped-call]
            out.append(f"{sample.name}{braces} {value}\n")
    return "".join(out).encode("utf-8")


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value
