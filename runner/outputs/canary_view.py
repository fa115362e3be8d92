"""The report's canary view: why it decided, each comparison's metrics, both arms side by side.

Two parts, as the report reads: `decision` sits in the summary under the banner (whose
headline is canary_summary's decision sentence): the reasons in words, deciding first, each
linked to its comparison, then the arms and the plan. `comparisons` follows the summary: per
journey and engine, its classification and reason, both arms against the journey's SLO, a
table of its metric lines (a symbol and words for each classification: colour only repeats
them), and its step distributions, baseline above candidate, p50 to p99 in one unit.

The distribution drawing is one small SVG per arm and step, sharing the comparison's scale so
bars compare down the table: the bar is the p50, the line runs on to the p99 with ticks at the
p90 and p95; the baseline's bar is outlined, the candidate's filled, and each row is labelled.
SVG elements carry their own presentation attributes (rect and line: report.css styles only
paths and text), so the view needs no stylesheet of its own.

Built as `Markup` by hand, like charts.py: every text from a document goes through `escape`
here, and the page's Content-Security-Policy forbids any request should one slip. Imports
only the results document, the vocabulary, `charts` and `canary_summary` of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from runner.document import (
    CanaryComparison,
    CanaryDistribution,
    CanarySection,
    Percentiles,
    ResultsDocument,
    TargetInfo,
)
from runner.outputs.canary_summary import (
    class_mark,
    deciding,
    metric_rows,
    names_comparison,
    plan_line,
    signed_percent,
)
from runner.outputs.charts import TimeUnit, format_time, time_unit
from runner.vocabulary import ERROR, FAIL, NOT_RUN, PASS

DRAWING_PX = 240  # a distribution drawing's width: the comparison's largest p99
_SHOWN = ("p50", "p90", "p95", "p99")
_BADGES = {PASS: "✔ PASS", FAIL: "✖ FAIL", ERROR: "⚠ ERROR", NOT_RUN: "○ not run"}
_BAR = "#3b6fb6"  # report.css's --bar
_INK = "#1f2328"


@dataclass(frozen=True, slots=True)
class CanaryView:
    """The canary's two parts of the report, ready to place: in the summary, and after it."""

    decision: Markup
    comparisons: Markup


def canary_view(document: ResultsDocument) -> CanaryView | None:
    """The canary view of `document`; None for a run or a rehearsal (no canary section)."""
    section = document.canary
    if section is None:
        return None
    return CanaryView(_decision(section), _comparisons(section))


def _e(text: object) -> str:
    return str(escape(str(text)))


def _decision(section: CanarySection) -> Markup:
    reasons = "".join(_reason_item(r, section) for r in section.reasons)
    listed = f"<ol>{reasons}</ol>" if reasons else '<p class="note">No reason recorded.</p>'
    arms = f"Baseline {_target(section.baseline)} · candidate {_target(section.candidate)}"
    return Markup(
        '<section class="box" id="canary-decision" aria-labelledby="canary-decision-h">'
        '<h3 id="canary-decision-h">Why: the reasons, deciding first</h3>'
        f'{listed}<p class="muted">{arms}</p><p class="muted">{_e(plan_line(section))}</p>'
        "</section>"
    )


def _reason_item(reason: str, section: CanarySection) -> str:
    href = _reason_href(reason, section)
    return f'<li><a href="{href}">{_e(reason)}</a>' if href else f"<li>{_e(reason)}"


def _reason_href(reason: str, section: CanarySection) -> str:
    # the first comparison the reason names; "" for one naming none (the maximum duration)
    for index, comparison in enumerate(section.comparisons):
        if names_comparison(reason, comparison):
            return f"#canary-{index}"
    return ""


def _target(target: TargetInfo) -> str:
    urls = ", ".join(f"{_e(name)} <code>{_e(url)}</code>" for name, url in target.urls.items())
    return f"<b>{_e(target.name)}</b>" + (f" ({urls})" if urls else "")


def _comparisons(section: CanarySection) -> Markup:
    parts = [
        '<section class="canary" id="canary" aria-labelledby="canary-h">',
        '<h2 id="canary-h">Canary: baseline against candidate</h2>',
        '<p class="muted">Each metric at its latest look. Latency and freshness: the '
        "Hodges-Lehmann shift of the candidate over the baseline, with the interval the test "
        "inverts at the look's boundary, against the margin. Errors and slow runs: the "
        "candidate's rate over the baseline's, with the Bayes factor against its threshold "
        "m/α. ✖ roll back · ✔ pass · ○ undecided · ⚠ not enough data.</p>",
    ]
    if not section.comparisons:
        parts.append('<p class="note">No comparison: no journey ran on both arms.</p>')
    parts += [_comparison(c, i, section) for i, c in enumerate(section.comparisons)]
    parts.append("</section>")
    return Markup("".join(parts))


def _comparison(comparison: CanaryComparison, index: int, section: CanarySection) -> str:
    mark, words, tone = class_mark(comparison.classification)
    decided = " · deciding" if deciding(section, comparison) else ""
    slo = (
        f"Against the journey's SLO: baseline {_badge(comparison.baseline_verdict)}"
        f" · candidate {_badge(comparison.candidate_verdict)}"
    )
    if comparison.slo_note:
        slo += f" · {_e(comparison.slo_note)}"
    return (
        f'<section class="box" id="canary-{index}">'
        f'<h3><span class="{tone}">{mark} {_e(words)}</span> · {_e(comparison.journey)} '
        f"<i>{_e(comparison.engine)}</i>{decided}</h3>"
        f"<p>{_e(comparison.reason)}</p><p>{slo}</p>"
        f"{_metric_table(comparison)}{_distribution_table(comparison.distributions)}"
        "</section>"
    )


def _badge(verdict: str) -> str:
    return f'<b class="v {_e(verdict.replace(" ", "-"))}">{_e(_BADGES.get(verdict, verdict))}</b>'


def _metric_table(comparison: CanaryComparison) -> str:
    if not comparison.metrics:
        return '<p class="note">No metric was judged.</p>'
    head = (
        "<thead><tr><th>Metric<th>Result<th>Baseline<th>Candidate<th>Change [interval]"
        '<th>Margin<th class="n">Look<th>Metric line</thead>'
    )
    rows = "".join(
        f'<tr><td>{_e(r.name)}<td class="{r.tone}">{r.mark} {_e(r.words)}'
        f"<td>{_e(r.baseline)}<td>{_e(r.candidate)}<td>{_e(r.change)}<td>{_e(r.margin)}"
        f'<td class="n">{r.look}<td>{_e(r.reason)}'
        for r in metric_rows(comparison.metrics)
    )
    return f'<table class="canary-metrics">{head}<tbody>{rows}</tbody></table>'


def _values(percentiles: Percentiles) -> list[float | None]:
    return [getattr(percentiles, key) for key in _SHOWN]


def _distribution_table(distributions: Sequence[CanaryDistribution]) -> str:
    """Baseline above candidate for each step, the candidate's change beside each value."""
    if not distributions:
        return ""
    values = [v for d in distributions for p in (d.baseline, d.candidate) for v in _values(p)]
    unit = time_unit(values)
    extent = max((v for v in values if v is not None), default=0.0)
    head = "".join(f'<th class="n">{key} ({unit})' for key in _SHOWN)
    rows = "".join(_distribution_rows(d, unit, extent) for d in distributions)
    return (
        "<h4>Step latency, passed runs: baseline above candidate</h4>"
        f'<table class="canary-dist"><thead><tr><th>Step<th>Arm{head}'
        f"<th>p50 bar, line to p99 (ticks p90, p95)</thead><tbody>{rows}</tbody></table>"
    )


def _distribution_rows(distribution: CanaryDistribution, unit: TimeUnit, extent: float) -> str:
    step = "whole journey" if distribution.step is None else distribution.step
    base, cand = _values(distribution.baseline), _values(distribution.candidate)
    base_cells = "".join(f'<td class="n">{format_time(v, unit)}' for v in base)
    cand_cells = "".join(
        f'<td class="n">{format_time(c, unit)}{_change(b, c)}'
        for b, c in zip(base, cand, strict=True)
    )
    base_bar, cand_bar = _drawing(base, extent, filled=False), _drawing(cand, extent, filled=True)
    return (
        f'<tr><td rowspan="2">{_e(step)}<td>baseline{base_cells}<td>{base_bar}'
        f"<tr><td>candidate{cand_cells}<td>{cand_bar}"
    )


def _change(baseline: float | None, candidate: float | None) -> str:
    if baseline is None or candidate is None or baseline <= 0:
        return ""
    return f' <span class="muted">({signed_percent(candidate / baseline - 1.0)})</span>'


def _tick(x: int) -> str:
    return f'<line x1="{x}" y1="3" x2="{x}" y2="11" stroke="{_INK}"/>'


def _drawing(values: Sequence[float | None], extent: float, *, filled: bool) -> str:
    """The p50 as a bar, a line on to the p99, ticks at the p90 and p95; "" without data."""
    p50, p90, p95, p99 = values
    if extent <= 0 or p50 is None:
        return ""
    scale = DRAWING_PX / extent
    x50 = max(round(p50 * scale), 1)
    fill = _BAR if filled else "#fff"
    shapes = [f'<rect x="0" y="2" width="{x50}" height="10" fill="{fill}" stroke="{_BAR}"/>']
    if p99 is not None and p99 > p50:
        x99 = round(p99 * scale)
        shapes.append(f'<line x1="{x50}" y1="7" x2="{x99}" y2="7" stroke="{_INK}"/>')
        ticks = [x for x in (p90, p95) if x is not None] + [p99]
        shapes += [_tick(round(t * scale)) for t in ticks]
    return f'<svg width="{DRAWING_PX}" height="14" aria-hidden="true">{"".join(shapes)}</svg>'
