"""`journey rules`: Prometheus recording and alerting rules from the journeys' own SLOs.

The rules are generated from the very files `journey serve` probes, over the series serve
exports, so the SLO, the probe and the alert cannot drift apart. One group per journey
(`journey.checkout`), its recording rules first, as a group evaluates in order and its alerts
must read this round's ratios:

- `journey:slo_error_ratio:rate<window>{objective=…}`: each objective's share of bad events
  over 5m … 3d, per probe (runner/outputs/promql.py says which series);
- the burn-rate alerts of each objective (runner/outputs/burn_alerts.py);
- per flow, what keeps no-data from reading as healthy: `JourneyProbeAbsent` (no series at
  all: serve down, not scraped, or not given this journey) and `JourneyProbeStale` (no run
  ended for three gaps, at least 5 m: a stuck scheduler, a hung probe), both pages, as the
  SLO alerts are blind meanwhile; and `JourneyProbeSkipped`, a ticket: fires serve skipped
  count against serve's own bound, never against the shop;
- with `--push-period`, a group for pushed one-shot probes, alerted on their last verdict and
  on the age of their last push, never on rates (a push replaces the group's counters).

Imports spec and serve's SLI, schedule and page models; renders YAML with PyYAML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from runner.outputs.burn_alerts import (
    ANCHOR,
    DEFAULT_SERVE_URL,
    WHERE,
    AlertOptions,
    Rule,
    objective_alerts,
)
from runner.outputs.cadence import cadence_of, coarse_warnings
from runner.outputs.promql import (
    BY,
    DEFAULT_WINDOW_S,
    PAIRS,
    WINDOWS,
    duration,
    number,
    quote,
    selector,
    sli_series,
)
from runner.serve.slis import Sli, slis_of
from runner.spec.journey import Journey
from runner.vocabulary import Engine

MIN_STALE_S = 300.0  # a probe every second is still not stale before 5 minutes: scrape jitter
STALE_GAPS = 3  # gaps without a run before a probe is stale
SKIP_WINDOW = "10m"
DEFAULT_PUSH_JOB = "journey"


@dataclass(frozen=True, slots=True)
class RuleOptions:
    """What shapes the rules beyond the journeys; `journey rules`' flags."""

    window_s: float = DEFAULT_WINDOW_S
    serve_url: str = DEFAULT_SERVE_URL
    quorum: int | None = None
    push_period_s: float | None = None  # None: no group for pushed probes
    push_job: str = DEFAULT_PUSH_JOB

    def alerts(self) -> AlertOptions:
        return AlertOptions(self.window_s, self.serve_url, self.quorum)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A rule file's groups, and what the user should hear about while it was built."""

    groups: list[dict[str, object]]
    warnings: list[str] = field(default_factory=list)


def prometheus_rules(
    journeys: Sequence[Journey], engines: Sequence[Engine], options: RuleOptions
) -> RuleSet:
    """The rule groups of `journeys`' flows that `engines` probe, and the warnings found.

    Warnings: an objective one failed run already pages for at the journey's schedule, and
    an objective serve exports no series for (a step's freshness in a flow polling in several
    steps). Raises nothing: the journeys were validated when loaded.
    """
    groups: list[dict[str, object]] = []
    warnings: list[str] = []
    factor_1h = PAIRS[0].factor(options.window_s)
    for journey in journeys:
        recorded: list[Rule] = []
        alerts: list[Rule] = []
        judged: dict[str, Sli] = {}
        for engine in journey.flows():
            if engine not in engines:
                continue
            for sli in slis_of(journey, engine):
                series = sli_series(journey, engine, sli)
                if series is None:
                    warnings.append(
                        f"{journey.name}: {sli.objective} [{engine}]: serve keeps one freshness "
                        "histogram of all the flow's until: steps, so no rule reads this step's"
                    )
                    continue
                judged.setdefault(sli.objective, sli)
                # written out as well: promtool (rightly) takes rules of one name and one
                # set of static labels for duplicates, whatever their expressions
                labels = {"journey": journey.name, "engine": engine, "objective": sli.objective}
                recorded += [
                    {
                        "record": f"journey:slo_error_ratio:rate{window}",
                        "expr": series.error_ratio(window),
                        "labels": labels,
                    }
                    for window in WINDOWS
                ]
                alerts += objective_alerts(journey.name, engine, sli, options.alerts())
            alerts += probe_alerts(journey, engine, options)
        if recorded or alerts:
            groups.append({"name": f"journey.{journey.name}", "rules": recorded + alerts})
            warnings += coarse_warnings(journey, list(judged.values()), factor_1h)
    if options.push_period_s is not None:
        groups.append(push_group(options.push_job, options.push_period_s, options.serve_url))
    return RuleSet(groups, warnings)


def probe_alerts(journey: Journey, engine: str, options: RuleOptions) -> list[Rule]:
    """The flow's absent, stale and skipped alerts: no data must never read as healthy."""
    cadence = cadence_of(journey)
    stale_s = max(STALE_GAPS * cadence.longest_s, MIN_STALE_S)
    probe = selector((("journey", journey.name), ("engine", engine)))
    who = "{{ $labels.journey }} ({{ $labels.engine }})"
    page = options.serve_url.rstrip("/")
    anchor = f"{page}/#{ANCHOR}"
    labels = {"journey": journey.name, "engine": engine}
    every = (
        f"every {cadence.shortest_s:g}s"
        if cadence.shortest_s == cadence.longest_s
        else (f"{cadence.shortest_s:g}s to {cadence.longest_s:g}s apart")
    )
    return [
        {
            "alert": "JourneyProbeAbsent",
            "expr": f"absent(journey_last_run_timestamp_seconds{probe})",
            "for": duration(stale_s),
            "labels": {"severity": "page", **labels},
            "annotations": {
                "summary": f"{who}: no probe results in Prometheus",
                "description": f"No journey_last_run_timestamp_seconds of {who} for "
                f"{duration(stale_s)}: journey serve is down, not scraped, or not given this "
                "journey, so its SLO alerts cannot fire.",
                "runbook_url": f"{page}/",
            },
        },
        {
            "alert": "JourneyProbeStale",
            "expr": f"time() - journey_last_run_timestamp_seconds{probe} > {number(stale_s)}",
            "labels": {"severity": "page", **labels},
            "annotations": {
                "summary": f"{who}: no run for {{{{ $value | humanizeDuration }}}}",
                "description": f"{who} {WHERE} runs {every}, yet no run has ended for "
                "{{ $value | humanizeDuration }}: serve's scheduler is stuck or the probe "
                "hangs, and its SLO reads no data, not 100 %.",
                "runbook_url": anchor,
            },
        },
        {
            "alert": "JourneyProbeSkipped",
            "expr": f"sum by ({BY}, reason) (increase(journey_skipped_total{probe}"
            f"[{SKIP_WINDOW}])) > 0",
            "labels": {"severity": "ticket", **labels},
            "annotations": {
                "summary": f"{who}: scheduled runs skipped ({{{{ $labels.reason }}}})",
                "description": f"Serve skipped scheduled runs of {who} {WHERE} over the last "
                f'{SKIP_WINDOW} ({{{{ $value | printf "%.0f" }}}}, reason {{{{ $labels.reason }}}}'
                "): serve's own bound is too tight, not the shop; skipped "
                "runs never count against the SLO. busy: its last run still runs; bound: "
                "serve's --concurrency; missed: serve was starved or stopped.",
                "runbook_url": anchor,
            },
        },
    ]


def push_group(job: str, period_s: float, serve_url: str) -> dict[str, object]:
    """Alerts for one-shot probes pushed by `journey run --push-to` under the job `job`.

    A push replaces its group, so `rate()` over a pushed counter means nothing: alert on the
    last verdict, and on the age of the last push (2 periods: one late CronJob is not yet a
    page), or on no push at all.
    """
    matcher = f"job={quote(job)}"
    stale_s = 2 * period_s
    where = "{{ $labels.job }} against {{ $labels.target }}"
    where += "{{ with $labels.tenant }}, tenant {{ . }}{{ end }}"
    labels = {"severity": "page", "job": job}
    return {
        "name": f"journey.pushgateway.{job}",
        "rules": [
            {
                "alert": "JourneyPushedRunNotPassed",
                "expr": f'journey_verdict{{{matcher}, verdict!="pass"}} == 1',
                "labels": labels,
                "annotations": {
                    "summary": f"the last pushed run of {where} ended {{{{ $labels.verdict }}}}",
                    "description": f"The last run of {where} pushed to the Pushgateway ended "
                    "{{ $labels.verdict }}: journey_objective_met == 0 names the objectives it "
                    "missed, its report says why.",
                },
            },
            {
                "alert": "JourneyPushStale",
                "expr": f"time() - push_time_seconds{{{matcher}}} > {number(stale_s)}",
                "labels": labels,
                "annotations": {
                    "summary": f"{where}: no push for {{{{ $value | humanizeDuration }}}}",
                    "description": f"{where} pushes every {duration(period_s)}, yet none came "
                    "for {{ $value | humanizeDuration }}: the probe stopped running, hangs, or "
                    "cannot reach the Pushgateway (its push_failure_time_seconds says).",
                },
            },
            {
                "alert": "JourneyPushAbsent",
                "expr": f"absent(push_time_seconds{{{matcher}}})",
                "for": duration(stale_s),
                "labels": labels,
                "annotations": {
                    "summary": f"no push of the job {quote(job)} in Prometheus",
                    "description": f"No push_time_seconds of the job {quote(job)} for "
                    f"{duration(stale_s)}: the probe never pushed, its group was deleted, or "
                    f"the Pushgateway is not scraped. See {serve_url.rstrip('/')}/ for serve's.",
                },
            },
        ],
    }


def render_rules(rules: RuleSet, header: Sequence[str] = ()) -> str:
    """The rule file's text: `header` as comment lines, then the groups as YAML."""
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header)
    body = yaml.dump(
        {"groups": rules.groups},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=1000,
        default_flow_style=False,
    )
    return comments + body


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line PromQL, and lists indented under their key, as people write."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True  # no &id001 anchors: a reader (and a diff) sees each rule's labels whole


def _string(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _string)
