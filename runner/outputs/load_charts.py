"""The load rehearsal's time-series chart: what the load did, second by second, in one SVG.

Panels share one time axis (seconds, or minutes past 10 minutes, from the rehearsal's start):
requests and errors per second; p95 latency; the browser probes' run times (a circle for a
passed run, a cross for a failed one: shape, not colour, tells them apart); and users (closed
model) or iterations per second (open model), achieved solid, asked dotted. Each stage's span
is a band behind every panel, its ramp hatched and its hold plain, labelled with its name; an
abort is a thick dashed line with its words. Each latency objective of the profile is a
dash-dotted line across the latency panel at its target, and the scale reaches it: a line far
above a flat p95 is the news that latency was far within it. Panel titles sit in their own
strip above each panel, outside the bands, so that no title is read as data; each timed
panel's axis is in one unit, named in its title. Line styles and words carry every distinction, so
the chart reads in grey print and colour is only a second signal.

A one-hour soak has 3,600 rows: they are bucketed to at most `MAX_POINTS` before drawing,
keeping the mean request rate (the area stays true) and the *max* of errors, p95, users and
asked, so that a short spike survives. Path data writes every point as `x,y` after a command
letter: the written report is scrubbed for card numbers (runs of 13 to 19 digits separated by
at most a space or dash), and space-separated coordinates could look like one.

Escapes every label itself, since the result is `Markup`. Imports only the results document
and `charts` of ours.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from runner.document import LoadSection, Objective, ResultsDocument, SecondRow, StageEntry
from runner.outputs.charts import (
    Goal,
    TimeUnit,
    format_clock,
    format_conservation,
    format_seconds,
    format_time,
    format_time_in,
    time_unit,
)

MAX_POINTS = 600
_W = 960  # viewBox width; report.css stretches the SVG to the page's column
_LEFT, _RIGHT = 70, 14  # room for the y-axis labels; room for the last x label
_TOP = 36  # room above the bands: a row of stage labels, a row for the abort's words
_TITLE_H = 24  # each panel's title line
_PANEL_H = 76
_AXIS_H = 40  # x tick labels and the axis title under the last panel

Getter = Callable[["Sample"], float | None]


@dataclass(frozen=True, slots=True)
class Sample:
    """One drawn point of the series: a bucket of one-second rows, rates per second."""

    t_s: float
    requests: float
    errors: float
    iterations: float
    completed: float
    p95_s: float | None
    users: float | None
    asked: float | None


@dataclass(frozen=True, slots=True)
class ProbeRun:
    """One browser probe run during the load, placed on the rehearsal's clock."""

    at_s: float
    duration_s: float
    passed: bool
    journey: str


@dataclass(frozen=True, slots=True)
class StageRow:
    """One stage as the report's stage table shows it: every figure already in words."""

    name: str
    span: str
    target: str
    judged: str
    requests: int
    error_ratio: float | None
    p95: float | None
    throughput: str
    reasons: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class LoadView:
    """What the report's "Load rehearsal" section shows, beside the section itself."""

    section: LoadSection
    objectives: list[Objective]
    stages: list[StageRow]
    unit: TimeUnit  # of the stage table's times
    aborted_at: str | None
    probe_runs: int
    probe_failures: int
    chart: Markup
    conservation: str


@dataclass(frozen=True, slots=True)
class _Panel:
    title: str
    top: int
    y_max: float
    label: Callable[[float], str]
    unit: TimeUnit | None = None  # a timed panel's axis unit

    def y(self, value: float) -> float:
        return round(self.top + _PANEL_H - value / self.y_max * _PANEL_H, 1)


def downsample(rows: Sequence[SecondRow], max_points: int = MAX_POINTS) -> list[Sample]:
    """Rows bucketed so that at most `max_points` remain (all of them if fewer)."""
    size = max(1, math.ceil(len(rows) / max_points))
    samples = []
    for start in range(0, len(rows), size):
        bucket = rows[start : start + size]
        samples.append(
            Sample(
                t_s=sum(r.t for r in bucket) / len(bucket),
                requests=sum(r.requests for r in bucket) / len(bucket),
                errors=max(r.errors for r in bucket),
                iterations=sum(r.iterations for r in bucket) / len(bucket),
                # results.json before completions were kept: what was started, as then
                completed=sum(r.iterations if r.completed is None else r.completed for r in bucket)
                / len(bucket),
                p95_s=_max_of(r.p95 for r in bucket),
                users=_max_of(r.users for r in bucket),
                asked=_max_of(r.asked for r in bucket),
            )
        )
    return samples


def probe_runs(load: LoadSection, started_epoch_s: float) -> list[ProbeRun]:
    """The probes' timeline on the rehearsal's clock (seconds since `started_epoch_s`)."""
    timeline = load.probes.timeline if load.probes else ()
    return [
        ProbeRun(
            at_s=max(0.0, run.started - started_epoch_s),
            duration_s=run.duration_s,
            passed=run.outcome == "passed",
            journey=run.journey,
        )
        for run in timeline
    ]


def load_chart(
    load: LoadSection, probes: Sequence[ProbeRun], *, goals: Sequence[Goal] = ()
) -> Markup:
    """The rehearsal's chart as inline SVG with a title and a one-paragraph description."""
    samples = downsample(load.timeseries)
    stages, aborted = load.stages, load.aborted
    extent = max(
        [1.0, *(s.end_s for s in stages), *(s.t_s for s in samples)]
        + [p.at_s + p.duration_s for p in probes]
        + ([aborted.at_s] if aborted else [])
    )
    minutes = extent >= 600
    x_scale = (_W - _LEFT - _RIGHT) / extent

    def x(t_s: float) -> float:
        return round(_LEFT + t_s * x_scale, 1)

    panels = _panels(load, samples, probes, goals)
    bottom = panels[-1].top + _PANEL_H
    body = [_DEFS]
    body += _bands(stages, x, panels)
    for panel in panels:
        body += _frame(panel)
    body += _series(load, samples, probes, panels, x, goals)
    body += _time_axis(extent, minutes, x, bottom)
    if aborted:
        at = x(aborted.at_s)
        words = f"✖ aborted at {format_clock(aborted.at_s, minutes=minutes)}"
        anchor = "e" if at > _W / 2 else "s"
        body.append(f'<path class="abort" d="M{at},{_TOP - 14}V{bottom}"/>')
        x_text = at - 4 if anchor == "e" else at + 4
        body.append(
            f'<text class="{anchor} abort" x="{x_text}" y="{_TOP - 6}">{escape(words)}</text>'
        )
    height = bottom + _AXIS_H
    summary = escape(_summary(load, samples, probes, extent, minutes))
    return Markup(
        f'<svg class="tl" viewBox="0 0 {_W} {height}" role="img" '
        f'aria-labelledby="tl-title tl-desc"><title id="tl-title">Load rehearsal over time'
        f'</title><desc id="tl-desc">{summary}</desc>{"".join(body)}</svg>'
    )


_DEFS = (
    '<defs><pattern id="tl-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><path class="hatch" d="M0,0V6"/></pattern></defs>'
)


def _max_of(values: Iterable[float | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return max(present) if present else None


def _nice_max(value: float) -> float:
    # The smallest 1, 2, 2.5 or 5 times a power of ten at or above the data's maximum.
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value * 0.999)


def _count(value: float) -> str:
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def _panels(
    load: LoadSection,
    samples: Sequence[Sample],
    probes: Sequence[ProbeRun],
    goals: Sequence[Goal],
) -> list[_Panel]:
    open_model = load.model == "open"
    # the scale reaches every objective's line (see the module docstring)
    p95 = max([0.0, *(s.p95_s or 0.0 for s in samples), *(g.target_s for g in goals)])
    specs: list[tuple[str, float, bool]] = [  # title, data maximum, timed
        (
            "Requests per second (solid) and errors per second (dashed)",
            max((max(s.requests, s.errors) for s in samples), default=0.0),
            False,
        ),
        ("p95 latency of all requests ({unit})", p95, True),
    ]
    if probes:
        durations = max(p.duration_s for p in probes)
        title = "Browser probe run time ({unit}): ○ passed, ✖ failed, line = the run's span"
        specs.append((title, durations, True))
    if open_model:
        peak = max((max(s.iterations, s.asked or 0.0) for s in samples), default=0.0)
        specs.append(("Iterations per second: completed (solid), asked (dotted)", peak, False))
    else:
        peak = max((max(s.users or 0.0, s.asked or 0.0) for s in samples), default=0.0)
        specs.append(("Users: running (solid), asked (dotted)", peak, False))
    panels = []
    for index, (title, peak, timed) in enumerate(specs):
        y_max = _nice_max(peak)
        top = _TOP + index * (_TITLE_H + _PANEL_H) + _TITLE_H
        if timed:
            unit = time_unit([y_max])
            label = functools.partial(format_time, unit=unit)
            panels.append(_Panel(title.format(unit=unit), top, y_max, label, unit))
        else:
            panels.append(_Panel(title, top, y_max, _count))
    return panels


def _bands(
    stages: Sequence[StageEntry], x: Callable[[float], float], panels: Sequence[_Panel]
) -> list[str]:
    """One `<g class="band">` per stage: hatched ramp, plain hold, a boundary line, a label.

    The band is drawn behind each panel only, not behind the title strips between them.
    """
    out = []
    for index, stage in enumerate(stages):
        start, ramp_end = x(stage.start_s), x(stage.ramp_end_s)
        end = x(stage.end_s)
        tone = "odd" if index % 2 else "even"
        excluded = stage.judged == "excluded"
        words = f"{stage.name}{' (not judged)' if excluded else ''}"
        tip = f"Stage {index + 1} {words}: {stage.judged}"
        parts = [
            f'<g class="band {tone}{" excl" if excluded else ""}"><title>{escape(tip)}</title>'
        ]
        edge = [f"M{start},2v14"]  # beside the stage's label
        for panel in panels:
            if ramp_end > start:
                parts.append(_rect("ramp", start, ramp_end, panel.top))
            if end > ramp_end:
                parts.append(_rect("hold", ramp_end, end, panel.top))
            edge.append(f"M{start},{panel.top}v{_PANEL_H}")
        parts.append(f'<path class="edge" d="{"".join(edge)}"/>')
        label = words if len(words) * 6.5 < end - start - 6 else str(index + 1)
        parts.append(f'<text class="s st" x="{start + 3}" y="12">{escape(label)}</text></g>')
        out.append("".join(parts))
    return out


def _rect(css: str, left: float, right: float, top: int) -> str:
    return (
        f'<rect class="{css}" x="{left}" y="{top}" width="{round(right - left, 1)}" '
        f'height="{_PANEL_H}"/>'
    )


def _frame(panel: _Panel) -> list[str]:
    """The panel's title, its baseline and mid and top grid lines with their values."""
    out = [f'<text class="s pt" x="{_LEFT}" y="{panel.top - 7}">{escape(panel.title)}</text>']
    for fraction in (0.0, 0.5, 1.0):
        value = panel.y_max * fraction
        y = panel.y(value)
        css = "axis" if fraction == 0 else "grid"
        out.append(f'<path class="{css}" d="M{_LEFT},{y}H{_W - _RIGHT}"/>')
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4}">{escape(panel.label(value))}</text>')
    return out


def _line(
    samples: Sequence[Sample], get: Getter, panel: _Panel, x: Callable[[float], float]
) -> str:
    # Missing values (no request finished in that second) break the line instead of faking 0.
    path, pen_down = [], False
    for sample in samples:
        value = get(sample)
        if value is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{x(sample.t_s)},{panel.y(min(value, panel.y_max))}")
        pen_down = True
    return "".join(path)


def _series(
    load: LoadSection,
    samples: Sequence[Sample],
    probes: Sequence[ProbeRun],
    panels: Sequence[_Panel],
    x: Callable[[float], float],
    goals: Sequence[Goal],
) -> list[str]:
    traffic, latency, *rest = panels
    out = [
        f'<path class="ln req" d="{_line(samples, lambda s: s.requests, traffic, x)}"/>',
        f'<path class="ln err" d="{_line(samples, lambda s: s.errors, traffic, x)}"/>',
        f'<path class="ln p95" d="{_line(samples, lambda s: s.p95_s, latency, x)}"/>',
    ]
    out += _goal_lines(goals, latency)
    if probes:
        out.append(_probe_marks(probes, rest[0], x))
    people = rest[-1]
    achieved: Getter = (lambda s: s.completed) if load.model == "open" else (lambda s: s.users)
    out.append(f'<path class="ln ach" d="{_line(samples, achieved, people, x)}"/>')
    out.append(f'<path class="ln ask" d="{_line(samples, lambda s: s.asked, people, x)}"/>')
    return out


def _goal_lines(goals: Sequence[Goal], panel: _Panel) -> list[str]:
    """A line per latency objective, its words above its right end, shifted left if crowded."""
    out: list[str] = []
    placed: list[tuple[float, float]] = []  # (y, left end) of the labels drawn so far
    unit = panel.unit or "s"
    for goal in sorted(goals, key=lambda g: g.target_s):
        y = panel.y(min(goal.target_s, panel.y_max))
        words = f"objective {goal.stat} ≤ {format_time_in(goal.target_s, unit)}"
        right = float(_W - _RIGHT)
        for other_y, other_left in placed:
            if abs(other_y - y) < 12:
                right = min(right, other_left - 12)
        placed.append((y, right - len(words) * 6.2))
        out.append(f'<path class="ln goal" d="M{_LEFT},{y}H{_W - _RIGHT}"/>')
        out.append(f'<text class="e" x="{round(right, 1)}" y="{y - 4}">{escape(words)}</text>')
    return out


def _probe_marks(probes: Sequence[ProbeRun], panel: _Panel, x: Callable[[float], float]) -> str:
    spans, passed, failed = [], [], []
    r = 3.5 if len(probes) <= 150 else 2.0  # smaller circles where a soak crowds them
    for run in probes:
        cx, cy = x(run.at_s), panel.y(min(run.duration_s, panel.y_max))
        spans.append(f"M{cx},{cy}H{x(run.at_s + run.duration_s)}")
        if run.passed:  # a circle as two arcs
            passed.append(
                f"M{round(cx - r, 1)},{cy}a{r},{r} 0 1,0 {2 * r},0a{r},{r} 0 1,0 -{2 * r},0"
            )
        else:  # a cross 9 units wide
            failed.append(f"M{round(cx - 4.5, 1)},{round(cy - 4.5, 1)}l9,9m0,-9l-9,9")
    return (
        f'<g class="probes"><path class="span" d="{"".join(spans)}"/>'
        f'<path class="pass" d="{"".join(passed)}"/><path class="fail" d="{"".join(failed)}"/></g>'
    )


def _time_axis(extent: float, minutes: bool, x: Callable[[float], float], bottom: int) -> list[str]:
    step = _nice_max(extent / 8)
    if minutes:
        step = max(60.0, _nice_max(extent / 8 / 60) * 60)
    out, tick = [], 0.0
    while tick <= extent + 1e-9:
        at = x(tick)
        out.append(f'<path class="axis" d="M{at},{bottom}v5"/>')
        label = escape(format_clock(tick, minutes=minutes))
        out.append(f'<text class="m" x="{at}" y="{bottom + 17}">{label}</text>')
        tick += step
    unit = "minutes:seconds" if minutes else "seconds"
    words = f"Time since the rehearsal started ({unit})"
    out.append(f'<text class="m" x="{(_LEFT + _W - _RIGHT) / 2}" y="{bottom + 35}">{words}</text>')
    return out


def _summary(
    load: LoadSection,
    samples: Sequence[Sample],
    probes: Sequence[ProbeRun],
    extent: float,
    minutes: bool,
) -> str:
    """The chart in words, for screen readers and for anyone who cannot see the lines."""
    stages = load.stages
    peak_requests = max((s.requests for s in samples), default=0.0)
    peak_errors = max((s.errors for s in samples), default=0.0)
    p95 = max((s.p95_s for s in samples if s.p95_s is not None), default=None)
    failed = sum(1 for p in probes if not p.passed)
    words = [
        f"{len(stages)} stage{'s' if len(stages) != 1 else ''} over "
        f"{format_clock(extent, minutes=minutes)}: "
        + ", ".join(f"{s.name} to {s.target:g} {s.unit}" for s in stages)
        + ".",
        f"Requests peaked at {_count(peak_requests)} per second, errors at "
        f"{_count(peak_errors)} per second; the highest p95 latency was {format_seconds(p95)}.",
    ]
    if probes:
        slowest = max(p.duration_s for p in probes)
        words.append(
            f"{len(probes)} browser probe runs, {failed} failed, the slowest took "
            f"{format_seconds(slowest)}."
        )
    if load.aborted:
        at = format_clock(load.aborted.at_s, minutes=minutes)
        words.append(f"Aborted at {at}: {load.aborted.reason}.")
    return " ".join(words)


def load_view(document: ResultsDocument) -> LoadView | None:
    """What the report's "Load rehearsal" section shows; None for a run without load."""
    load = document.load
    if load is None:
        return None
    objectives = [o for o in document.objectives if o.journey == load.profile]
    goals = [Goal(o.stat, o.target) for o in objectives if o.kind == "latency" and o.step is None]
    started = datetime.fromisoformat(document.started.replace("Z", "+00:00"))
    probes = probe_runs(load, started.timestamp())
    minutes = max([0.0, *(s.end_s for s in load.stages)]) >= 600
    aborted = load.aborted
    return LoadView(
        section=load,
        objectives=objectives,
        stages=[_stage_row(s, minutes=minutes) for s in load.stages],
        unit=time_unit(s.latency_s.p95 for s in load.stages),
        aborted_at=None if aborted is None else format_clock(aborted.at_s, minutes=minutes),
        probe_runs=len(probes),
        probe_failures=sum(1 for p in probes if not p.passed),
        chart=load_chart(load, probes, goals=goals),
        conservation=format_conservation(load.iterations) if load.iterations else "",
    )


def _stage_row(stage: StageEntry, *, minutes: bool) -> StageRow:
    start, ramp_end, end = stage.start_s, stage.ramp_end_s, stage.end_s
    span = f"{format_clock(start, minutes=minutes)} to {format_clock(end, minutes=minutes)}"
    if ramp_end > start:
        span += f" (ramp to {format_clock(ramp_end, minutes=minutes)})"
    unit = "it/s" if stage.unit == "iterations/s" else stage.unit
    # results.json before completions were kept: what was started, as then
    achieved = stage.iterations_per_s if stage.completed_per_s is None else stage.completed_per_s
    throughput = f"{achieved:.3g} it/s"
    if stage.asked_per_s is not None:
        throughput += f" of {stage.asked_per_s:.3g} asked"
    return StageRow(
        name=stage.name,
        span=span,
        target=f"{stage.target:g} {unit}",
        judged=stage.judged,
        requests=stage.requests,
        error_ratio=stage.error_ratio,
        p95=stage.latency_s.p95,
        throughput=throughput,
        reasons=list(stage.reasons.items())[:5],
    )
