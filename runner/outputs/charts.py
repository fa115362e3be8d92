"""Inline SVG charts for the HTML report, and the number formats they share with its tables.

The report must open with no request to any host, so charts are SVG text written into the
page, styled by the page's own CSS, so that each chart carries no styling of its own: a report
of 1,000 journeys holds 6,000 of them and must stay under 2 MB. Hence the terse markup: integer
pixels, each bar with its whisker one `<path>`, no viewBox (CSS sizes each SVG in pixels, so
user units are pixels), labels in the HTML beside the drawing rather than in it.

Times in a table or a chart are in one unit, seconds or milliseconds (`time_unit`): a column
reading "850 ms" above "1.2 s" makes the reader compare digits of different sizes. Prose keeps
`format_seconds`, which picks the unit of each value.

The waterfall is drawn one row per step, as the last column of the step table (like a
browser's network panel): each row's SVG shares the journey's time scale, so the rows line up
into one waterfall while the step's name and numbers sit on the same line.

Every label is escaped here, since the result is `Markup` that the template will not escape
again. Imports only the results document of ours (its Percentiles and Iterations).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from runner.document import Iterations, Percentiles

PERCENTILES = ("p50", "p75", "p90", "p95", "p99", "max")
WATERFALL_PX = 300  # width of a waterfall row's drawing; report.css gives its SVG this width
LADDER_PX = 270  # likewise for the percentile ladder's longest bar
_BAR_PX = 12
_LADDER_ROW_PX = 15  # the ladder's bar pitch, its labels' line height in report.css

TimeUnit = Literal["s", "ms"]


@dataclass(frozen=True, slots=True)
class Goal:
    """A latency objective as a chart draws it: a line at `target_s`, labelled `stat ≤ target`."""

    stat: str
    target_s: float


@dataclass(frozen=True, slots=True)
class WaterfallStep:
    """One step of a journey as the waterfall draws it: typical time, slow-run time, trouble."""

    p50_s: float | None
    p95_s: float | None
    failed: bool


@dataclass(frozen=True, slots=True)
class Waterfall:
    """A journey's waterfall: one SVG per step (empty Markup for a step without timings)."""

    extent_s: float
    rows: list[Markup]


def format_seconds(value: float | None) -> str:
    """`1.5 ms`, `230 ms`, `1.23 s`; an em dash for no data."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if value < 0.01:
        return f"{value * 1000:.1f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def time_unit(values: Iterable[float | None]) -> TimeUnit:
    """The one unit a table or chart shows its times (seconds) in: ms when all are under 1 s."""
    largest = max((v for v in values if v is not None), default=0.0)
    return "ms" if largest < 1 else "s"


def format_time(value: float | None, unit: TimeUnit) -> str:
    """`value` seconds as a bare number in `unit`: 3 significant digits, no exponent, — for none.

    Trailing zeros go (`2`, not `2.00`): the digits kept are the ones that say something.
    """
    if value is None:
        return "—"
    return _significant(value * 1000 if unit == "ms" else value)


def format_time_in(value: float | None, unit: TimeUnit) -> str:
    """`format_time` with its unit: `230 ms`, `0.23 s`; an em dash alone for no data."""
    return "—" if value is None else f"{format_time(value, unit)} {unit}"


def format_share(value: float | None) -> str:
    """A share as a percentage, 3 significant digits: `63.2 %`, `0.5 %`, `0.01 %`."""
    return "—" if value is None else f"{_significant(value * 100)} %"


def _significant(value: float, digits: int = 3) -> str:
    # fixed-point, never `5e-05`; trailing zeros go (`2`, not `2.00`)
    if value <= 0:
        return "0"
    decimals = min(max(0, digits - 1 - math.floor(math.log10(value))), 6)
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_clock(seconds: float, *, minutes: bool) -> str:
    """`42 s`, or `12:30` (minutes and seconds) when the rehearsal is long."""
    if not minutes:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.3g} s"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def format_ratio(value: float | None) -> str:
    """`99.8%`; whole numbers lose the decimal (`100%`); an em dash for no data."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def waterfall(steps: Sequence[WaterfallStep]) -> Waterfall:
    """Steps as sequential bars, each starting where the previous one's p50 ended.

    A bar's length is the step's p50; its whisker reaches to its p95, so a long whisker is a
    step that is usually quick but sometimes slow. Failed steps get the `bad` class (the step
    table marks them ✖ too: never colour alone). The scale's extent is where the last whisker
    ends, so no whisker is cut off.
    """
    extent, start = 0.0, 0.0
    for step in steps:
        if step.p50_s is not None:
            extent = max(extent, start + max(step.p50_s, step.p95_s or 0.0))
            start += step.p50_s
    if extent <= 0:
        return Waterfall(0.0, [Markup("")] * len(steps))
    scale, rows, start = WATERFALL_PX / extent, [], 0.0
    for step in steps:
        if step.p50_s is None:
            rows.append(Markup(""))
            continue
        x, w = round(start * scale), max(round(step.p50_s * scale), 1)
        path = f"M{x} 1h{w}v{_BAR_PX}H{x}z"
        whisker = min(round(((step.p95_s or 0.0) - step.p50_s) * scale), WATERFALL_PX - x - w)
        if whisker > 0:  # a 1-unit line out to the p95, closed by a tick 7 units high
            path += f"M{x + w} 7h{whisker}v-3h1v7h-1v-3h-{whisker}z"
        css = ' class="bad"' if step.failed else ""
        rows.append(Markup(f'<svg><path{css} d="{path}"/></svg>'))
        start += step.p50_s
    return Waterfall(extent, rows)


def ladder_svg(percentiles: Percentiles, goals: Sequence[Goal] = ()) -> Markup:
    """The percentile ladder p50, p75, p90, p95, p99, max as horizontal bars with their values.

    Bars share one scale (the largest value or objective), so the ladder's shape shows the tail:
    flat is steady, a jump at p99 or max is a few slow runs. Each latency objective is a dashed
    vertical line at its target, named under the ladder: a bar crossing a line is over it.
    All bars are one path; the labels are an HTML list whose 15 px lines match the bars' pitch
    (see `.ladder` in report.css). Labels and objectives share one unit.
    """
    p = percentiles
    values = [p.p50, p.p75, p.p90, p.p95, p.p99, p.max]  # in PERCENTILES' order
    largest = max((v for v in values if v is not None), default=0.0)
    if largest <= 0:
        return Markup('<p class="note">No latency percentiles: no run completed.</p>')
    goals = [g for g in goals if g.target_s > 0]
    extent = max([largest, *(g.target_s for g in goals)])
    unit = time_unit([*values, *(g.target_s for g in goals)])
    labels, path = [], []
    for index, (name, value) in enumerate(zip(PERCENTILES, values, strict=True)):
        labels.append(f"<li>{name} {format_time_in(value, unit)}")
        if value is not None:
            w = max(round(value / extent * LADDER_PX), 1)
            path.append(f"M0 {index * _LADDER_ROW_PX + 8}h{w}")  # stroked 11 px wide
    lines = "".join(
        f"M{round(g.target_s / extent * LADDER_PX)} 0v{len(PERCENTILES) * _LADDER_ROW_PX}"
        for g in goals
    )
    drawing = f'<svg><path d="{"".join(path)}"/>'
    if goals:
        drawing += f'<path class="g" d="{lines}"/>'
        named = ", ".join(f"{g.stat} ≤ {format_time_in(g.target_s, unit)}" for g in goals)
        drawing += f"</svg><p>┆ objective {escape(named)}</p>"
    else:
        drawing += "</svg>"
    return Markup(f'<div class="ladder"><ol>{"".join(labels)}</ol>{drawing}</div>')


def format_conservation(iterations: Iterations) -> str:
    """Where every iteration went: asked = started + dropped, started = completed + failed."""
    started, failed, cut_off = iterations.started, iterations.failed, iterations.cut_off
    cut = f" ({cut_off} still in flight at the end)" if cut_off else ""
    line = f"{started} started = {iterations.completed} completed + {failed} failed{cut}"
    if iterations.asked is not None:
        line = (
            f"{iterations.asked} asked = {started} started + {iterations.dropped} dropped; " + line
        )
    return line
