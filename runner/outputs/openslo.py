"""`journey rules --format openslo`: the journeys' SLOs as OpenSLO v1 documents.

For SLO tools that read OpenSLO (and generate their own rules) rather than our Prometheus
rules: one `Service` per journey, then one `SLO` per objective of each flow, its indicator an
inline `ratioMetric` of Prometheus counters (good events, all events) over `journey serve`'s
series, the same series the Prometheus rules read (runner/outputs/promql.py), summed over
every target, tenant and location of the flow. Occurrences over a rolling window (`--window`,
30 d): every run, or step, is one event, as serve counts them.

OpenSLO targets lie in [0, 1): a 100 % objective (a `max:` bound, a journey that declares no
success ratio) has no OpenSLO form, and is left out with a warning rather than rounded down
to a target it does not have. Names are RFC 1123 labels (63 characters at most, lower-case
letters, digits and `-`), shortened with a hash of the whole when too long, so two long step
names never collide. Imports spec and serve's SLI model only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from runner.outputs.promql import DEFAULT_WINDOW_S, duration, percent, sli_series
from runner.serve.slis import slis_of
from runner.spec.journey import Journey
from runner.vocabulary import Engine

API_VERSION = "openslo/v1"
MAX_NAME = 63
MAX_DESCRIPTION = 1050  # OpenSLO's bound on every description


@dataclass(frozen=True, slots=True)
class OpenSlo:
    """The documents, in order, and what the user should hear about the objectives left out."""

    documents: list[dict[str, object]]
    warnings: list[str] = field(default_factory=list)

    def render(self) -> str:
        """Multi-document YAML, a document per Service and SLO."""
        return yaml.safe_dump_all(
            self.documents, sort_keys=False, allow_unicode=True, width=1000, explicit_start=True
        )


def openslo_documents(
    journeys: Sequence[Journey], engines: Sequence[Engine], window_s: float = DEFAULT_WINDOW_S
) -> OpenSlo:
    """A Service per journey and an SLO per objective of its flows that `engines` probe."""
    documents: list[dict[str, object]] = []
    warnings: list[str] = []
    names: set[str] = set()
    for journey in journeys:
        service = dns_label(journey.name)
        service = dns_label(journey.name, hashed=True) if service in names else service
        names.add(service)
        documents.append(
            {
                "apiVersion": API_VERSION,
                "kind": "Service",
                "metadata": {"name": service, "displayName": journey.name},
                "spec": {"description": _short(journey.description or journey.name)},
            }
        )
        for engine in journey.flows():
            if engine not in engines:
                continue
            for sli in slis_of(journey, engine):
                series = sli_series(journey, engine, sli)
                if sli.target >= 1 or series is None:
                    why = "OpenSLO targets are below 100 %" if series else "serve has no series"
                    warnings.append(f"{journey.name}: {sli.objective} [{engine}]: left out: {why}")
                    continue
                good, total = series.good_and_total()
                text = f"{journey.name}-{engine}-{sli.objective}"
                name = dns_label(text)
                name = dns_label(text, hashed=True) if name in names else name
                names.add(name)
                title = f"{journey.name} ({engine}) {sli.objective}"
                documents.append(
                    {
                        "apiVersion": API_VERSION,
                        "kind": "SLO",
                        "metadata": {"name": name, "displayName": title},
                        "spec": {
                            "description": _short(
                                f"{title}: {percent(sli.target)} of events good over "
                                f"{duration(window_s)}, as `journey serve` counts them"
                            ),
                            "service": service,
                            "indicator": {
                                "metadata": {"name": name, "displayName": title},
                                "spec": {
                                    "ratioMetric": {
                                        "counter": True,
                                        "good": _prometheus(good),
                                        "total": _prometheus(total),
                                    }
                                },
                            },
                            "timeWindow": [{"duration": duration(window_s), "isRolling": True}],
                            "budgetingMethod": "Occurrences",
                            "objectives": [{"displayName": sli.objective, "target": sli.target}],
                        },
                    }
                )
    return OpenSlo(documents, warnings)


def dns_label(text: str, *, hashed: bool = False) -> str:
    """`checkout-http-step-place-order-p95`: an RFC 1123 label for `text`.

    Shortened to 63 characters with 8 of a hash of `text` when longer, or when `hashed` (two
    texts that read alike once lower-cased and dashed, as `step a.b` and `step a b` do).
    """
    label = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "slo"
    if len(label) <= MAX_NAME and not hashed:
        return label
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{label[: MAX_NAME - 9].rstrip('-')}-{digest}"


def _prometheus(query: str) -> dict[str, object]:
    return {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}


def _short(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"
