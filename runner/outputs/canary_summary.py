"""What a canary's outputs say about it, in words: the decision, the plan, each metric's row.

The report's banner, its canary view, junit.xml and the console all speak of one canary, so
they take their words from here, as summary.py is for runs: this module works the words out
from the document's canary section and returns plain text or frozen rows; nothing here knows
HTML, XML or a console.

The decision leads with what leadership reads in a minute, from the metric that decided it:
"Roll back: checkout › place order is 18 % slower (+12 % to +25 %), beyond the 10 % margin".
The figures are the test's own (the Hodges-Lehmann shift and its interval, the counts the
count test compared), never another statistic beside them. Classifications get a symbol and
words besides their tone, so colour is never the only signal.

Imports only the results document, the vocabulary and `charts` of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from runner.document import (
    CanaryArmFigures,
    CanaryComparison,
    CanaryMetric,
    CanarySection,
    ResultsDocument,
)
from runner.outputs.charts import format_seconds
from runner.vocabulary import HOLD, PASS, PROMOTE, ROLLBACK, VERDICT_HEADLINES, CanaryClass

__all__ = [
    "CLASS_MARKS",
    "MetricRow",
    "arm_words",
    "change_words",
    "class_mark",
    "deciding",
    "decision_words",
    "metric_rows",
    "names_comparison",
    "plan_line",
    "signed_percent",
]

Tone = Literal["ok", "warn", "bad", "none"]
# Each classification's symbol, words and tone; "rollback" and "pass" are the vocabulary's.
CLASS_MARKS: dict[str, tuple[str, str, Tone]] = {
    ROLLBACK: ("✖", "roll back", "bad"),
    PASS: ("✔", PASS, "ok"),
    "inconclusive": ("○", "undecided", "warn"),
    "not enough data": ("⚠", "not enough data", "warn"),
}
_LEADS = {ROLLBACK: "Roll back", HOLD: "Hold", PROMOTE: "Promote"}
_SUFFIXES = {"latency": " latency", "freshness": " freshness", "errors": " errors"}
_TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One metric as a table shows it: what, how it was classified, both arms, the change."""

    name: str
    mark: str
    words: str
    tone: Tone
    baseline: str
    candidate: str
    change: str  # "+18 % [+12 %, +25 %]"; counts: "ratio ≤ 2.1×, BF 251"
    margin: str  # "+10 %"; counts: "1.5×, BF ≥ 250"
    look: int
    reason: str
    metric: CanaryMetric


def signed_percent(change: float) -> str:
    """+0.18 → "+18 %", −0.031 → "−3 %", 0.004 → "+0.4 %", as the metric reasons write it."""
    value = change * 100.0
    text = f"{value:+.1f}" if abs(value) < 1.0 and value != 0.0 else f"{value:+.0f}"
    return text.replace("-", "−") + " %"


def _plain_percent(share: float) -> str:
    # a margin or a size, no sign: 0.1 → "10 %", 0.125 → "12.5 %", 32.1 → "3,211 %"
    value = share * 100
    return f"{value:.3g} %" if abs(value) < 100 else f"{value:,.0f} %"


def decision_words(document: ResultsDocument) -> str:
    """The decision in one sentence, from the reason that decided it.

    "Roll back: checkout › place order is 18 % slower (+12 % to +25 %), beyond the 10 %
    margin"; "Hold: not enough data on checkout latency: needs 705 samples per arm, has 24";
    "Promote: no metric beyond its margin (…)". A canary that errored or was interrupted says
    so with its first reason. "" for a document without a canary section.
    """
    section = document.canary
    if section is None:
        return ""
    metrics = [m for c in section.comparisons for m in c.metrics]
    first = section.reasons[0] if section.reasons else document.reason
    if document.verdict == ROLLBACK:
        return f"{_LEADS[ROLLBACK]}: {_rolled_back(metrics, first, section)}"
    if document.verdict == HOLD:
        held = next((m for m in metrics if m.reason == first), None)
        words = first if held is None else _hold_words(held)
        more = len(section.reasons) - 1
        tail = f" (and {more} more reason{'s' * (more != 1)})" if more > 0 else ""
        return f"{_LEADS[HOLD]}: {words}{tail}"
    if document.verdict == PROMOTE:
        return f"{_LEADS[PROMOTE]}: {_promote_words(metrics, section)}"
    _, words = VERDICT_HEADLINES.get(document.verdict, ("", str(document.verdict).capitalize()))
    return f"{words}: {first}" if first else words


def _rolled_back(metrics: Sequence[CanaryMetric], first: str, section: CanarySection) -> str:
    # the metric the first reason names, else the first beyond its margin, and how many more
    crossed = [m for m in metrics if m.classification == ROLLBACK]
    if not crossed:
        return first
    decider = next((m for m in crossed if m.reason == first), crossed[0])
    more = len(crossed) - 1
    tail = f"; {more} more metric{'s' * (more != 1)} beyond the margin" if more else ""
    return _rollback_words(decider, section) + tail


def _subject(metric: CanaryMetric, section: CanarySection) -> str:
    """The metric's name without its kind: "checkout › place order"; the engine when needed."""
    suffix = _SUFFIXES.get(metric.kind, " slow share")
    subject = metric.name.removesuffix(suffix)
    engines = {c.engine for c in section.comparisons if c.journey == metric.journey}
    if len(engines) > 1 and subject.startswith(metric.journey):
        subject = f"{metric.journey} [{metric.engine}]{subject[len(metric.journey) :]}"
    return subject


def _interval_words(metric: CanaryMetric) -> str:
    low, high = metric.shift_low, metric.shift_high
    if low is not None and high is not None:
        return f" ({signed_percent(low)} to {signed_percent(high)})"
    if low is not None:
        return f" (at least {signed_percent(low)})"
    if high is not None:
        return f" (at most {signed_percent(high)})"
    return ""


def _rollback_words(metric: CanaryMetric, section: CanarySection) -> str:
    subject = _subject(metric, section)
    if metric.kind in ("errors", "slow"):
        base, cand = metric.baseline, metric.candidate
        what = "fails" if metric.kind == "errors" else "is slow"
        over = ""
        if metric.kind == "slow" and metric.threshold_s is not None:
            over = f" over {format_seconds(metric.threshold_s)}"
        return (
            f"{subject} {what} more often: {cand.events or 0} of {cand.samples} candidate runs"
            f"{over} against {base.events or 0} of {base.samples} on the baseline, beyond the "
            f"{metric.margin:g}{_TIMES} margin"
        )
    if metric.shift is None:
        return metric.reason
    size = _plain_percent(abs(metric.shift))
    change = f"is {size} slower" if metric.kind == "latency" else f"shows new data {size} later"
    margin = _plain_percent(metric.margin)
    return f"{subject} {change}{_interval_words(metric)}, beyond the {margin} margin"


def _hold_words(metric: CanaryMetric) -> str:
    if metric.classification != "not enough data":
        return metric.reason
    has = min(metric.baseline.samples, metric.candidate.samples)
    noun = "runs" if metric.kind in ("errors", "slow") else "samples"
    if metric.needed is None:
        return f"not enough data on {metric.name} ({has} {noun} per arm)"
    return f"not enough data on {metric.name}: needs {metric.needed} {noun} per arm, has {has}"


def _promote_words(metrics: Sequence[CanaryMetric], section: CanarySection) -> str:
    looks = f"{section.looks_done} of {section.looks} looks"
    words = f"no metric beyond its margin ({len(metrics)} metrics, {looks})"
    shifted = [m for m in metrics if m.shift is not None and m.margin > 0]
    if not shifted:
        return words
    top = max(shifted, key=lambda m: (m.shift or 0.0) / m.margin)
    change = f"{signed_percent(top.shift or 0.0)}{_interval_words(top)}"
    margin = _plain_percent(top.margin)
    return f"{words}; largest change: {_subject(top, section)} {change} against a {margin} margin"


def plan_line(section: CanarySection) -> str:
    """The plan and how far it went, in one line.

    "4 of 12 looks, decided early · 75 runs per arm per look after 10 warm-up · m = 6
    metrics, each at α/m = 0.0033 · margins: latency +10 % (floor 5 ms), errors 1.5×"
    """
    looks = f"{section.looks_done} of {section.looks} looks"
    if section.early:
        looks += ", decided early"
    runs = f"{section.iterations} runs per arm per look after {section.warmup} warm-up"
    m = section.family_size
    level = section.alpha / m if m else section.alpha
    family = f"m = {m} metric{'s' * (m != 1)}, each at α/m = {level:.2g}"
    parts = [looks, runs, family]
    margins = _margin_words(section.margins)
    if margins:
        parts.append(f"margins: {margins}")
    return " · ".join(parts)


def _margin_words(margins: Mapping[str, float]) -> str:
    words = [f"{k} +{_plain_percent(margins[k])}" for k in ("latency", "freshness") if k in margins]
    if words and "floor_s" in margins:
        words[0] += f" (floor {format_seconds(margins['floor_s'])})"
    words += [f"{key} {margins[key]:g}{_TIMES}" for key in ("errors", "slow") if key in margins]
    return ", ".join(words)


def deciding(section: CanarySection, comparison: CanaryComparison) -> bool:
    """Whether any of the decision's reasons names `comparison` (see names_comparison)."""
    return any(names_comparison(reason, comparison) for reason in section.reasons)


def names_comparison(reason: str, comparison: CanaryComparison) -> bool:
    """Whether `reason` is about `comparison`: one of its metric lines, or its SLOs.

    SLO reasons start with the journey's label, "checkout [http]: " (or "checkout: " when the
    canary compared one journey on one engine, the only case the label drops the engine).
    """
    if any(reason == m.reason for m in comparison.metrics):
        return True
    return reason.startswith(
        (f"{comparison.journey} [{comparison.engine}]: ", f"{comparison.journey}: ")
    )


def arm_words(metric: CanaryMetric, arm: CanaryArmFigures) -> str:
    """One arm's figures: "median 230 ms of 120"; counts: "2 of 120 runs (1.7 %)"."""
    if metric.kind in ("errors", "slow"):
        events = arm.events or 0
        share = f" ({events / arm.samples * 100:.2g} %)" if arm.samples else ""
        return f"{events} of {arm.samples}{share}"
    return f"median {format_seconds(arm.median_s)} of {arm.samples}"


def change_words(metric: CanaryMetric) -> tuple[str, str]:
    """The metric's change and its margin, as the test saw them at its look.

    Latency, freshness: ("+18 % [+12 %, +25 %]", "+10 %"); counts: ("ratio ≤ 2.1×, BF 251",
    "1.5×, BF ≥ 250"). An interval end that is unbounded reads ∞.
    """
    if metric.kind in ("errors", "slow"):
        high = "∞" if metric.ratio_high is None else f"{metric.ratio_high:.2g}"
        change = f"ratio ≤ {high}{_TIMES}"
        if metric.bayes_factor is not None:
            change += f", BF {metric.bayes_factor:.3g}"
        return change, f"{metric.margin:g}{_TIMES}, BF ≥ {metric.boundary:g}"
    margin = f"+{_plain_percent(metric.margin)}"
    if metric.shift is None:
        return ("—" if metric.z is None else f"z {metric.z:.2f} vs {metric.boundary:.2f}"), margin
    low = "−∞" if metric.shift_low is None else signed_percent(metric.shift_low)
    high = "+∞" if metric.shift_high is None else signed_percent(metric.shift_high)
    return f"{signed_percent(metric.shift)} [{low}, {high}]", margin


def metric_rows(metrics: Iterable[CanaryMetric]) -> list[MetricRow]:
    """Each metric as a row, in the family's order (the journey, its steps, then counts)."""
    rows = []
    for metric in metrics:
        mark, words, tone = class_mark(metric.classification)
        change, margin = change_words(metric)
        rows.append(
            MetricRow(
                name=metric.name,
                mark=mark,
                words=words,
                tone=tone,
                baseline=arm_words(metric, metric.baseline),
                candidate=arm_words(metric, metric.candidate),
                change=change,
                margin=margin,
                look=metric.look,
                reason=metric.reason,
                metric=metric,
            )
        )
    return rows


def class_mark(classification: CanaryClass | str) -> tuple[str, str, Tone]:
    """The symbol, words and tone of a classification; an unknown one (a newer file) is a "?"."""
    return CLASS_MARKS.get(classification, ("?", str(classification), "none"))
