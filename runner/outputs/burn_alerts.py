"""The burn-rate alerts of one objective: the SRE workbook's four window pairs, and their kin.

One alert per window pair (`JourneySLOBurn1h5m`, `…6h30m` page; `…1d2h`, `…3d6h` ticket), so
the alert's name says which pair fired, and its value is the long window's burn. Each reads
the recording rules `journey:slo_error_ratio:rate<window>` (runner/outputs/rules.py), divided
by the error budget, 1 − target: both windows must burn faster than the pair's factor.

Shaped so by what the on-call engineer needs to know:

- A 100 % objective has no budget (a division by zero would fire on +Inf and stay quiet on
  0/0 = NaN alike): it gets `JourneySLOAnyFailure` instead, a page on any bad event in 5 m.
- Probed from several locations with a quorum N, a page needs N locations burning at once
  (`count by` over `location`): one region's network is not the shop. Tickets stay per
  location, as a region's own trouble is still worth a look.
- For a platform of tenants, `JourneySLOPlatformBurn` pages when more than half of the
  tenants (at least two) burn at once, beside each tenant's own alerts: whether one retailer
  or the whole platform hurts is the first question.

NaN (a window without runs) compares false, so no-data never fires here. Label values and
names come from the series (`$labels`), never pasted into templates, so a step name with
braces cannot break one. Imports the PromQL helpers only.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.outputs.promql import PAIRS, BurnPair, duration, number, percent, selector
from runner.serve.slis import Sli

RATIO = "journey:slo_error_ratio:rate"  # + window: the recording rules' names
DEFAULT_SERVE_URL = "http://journey-serve:9464"
# serve's page anchor of a probe (runner.serve.page.anchor_of), rebuilt from the alert's labels
ANCHOR = (
    '{{ printf "%s-%s-%s-%s" $labels.journey $labels.engine $labels.target $labels.tenant'
    " | toLower | reReplaceAll `[^\\p{L}\\p{N}]` `-` | reReplaceAll `^-+|-+$` `` }}"
)
WHO = "{{ $labels.journey }} ({{ $labels.engine }}) {{ $labels.objective }}"
WHERE = (
    "against {{ $labels.target }}{{ with $labels.tenant }}, tenant {{ . }}{{ end }}"
    "{{ with $labels.location }}, from {{ . }}{{ end }}"
)
BURN = '{{ $value | printf "%.1f" }}×'

Rule = dict[str, object]


@dataclass(frozen=True, slots=True)
class AlertOptions:
    """What shapes the alerts beyond the journeys: the SLO window, serve's URL, a quorum."""

    window_s: float
    serve_url: str = DEFAULT_SERVE_URL
    quorum: int | None = None  # locations that must burn for a page; None: each pages alone


@dataclass(frozen=True, slots=True)
class _Objective:
    """One objective of one probe's flow, and the words its alerts describe it with."""

    journey: str
    engine: str
    sli: Sli
    options: AlertOptions

    @property
    def budget(self) -> float:
        return 1 - self.sli.target

    @property
    def described(self) -> str:
        of = f"The {{{{ $labels.objective }}}} objective ({percent(self.sli.target)}) of "
        return of + "{{ $labels.journey }} ({{ $labels.engine }}) " + WHERE

    @property
    def link(self) -> str:
        return f"{self.options.serve_url.rstrip('/')}/#{ANCHOR}"

    def ratios(self, *, tenants: bool = False) -> dict[str, str]:
        """The recording rules of this objective by window, as selectors."""
        labels = (("journey", self.journey), ("engine", self.engine))
        matchers = selector((*labels, ("objective", self.sli.objective)))
        if tenants:  # the series of probes with a tenant only
            matchers = matchers[:-1] + ', tenant!=""}'
        windows = {pair.long for pair in PAIRS} | {pair.short for pair in PAIRS}
        return {window: f"{RATIO}{window}{matchers}" for window in sorted(windows)}

    def alert(self, name: str, expression: str, severity: str, **annotations: str) -> Rule:
        hold = next((p.hold for p in PAIRS if name.endswith(p.name)), PAIRS[0].hold)
        # from the series too; written out, routing relies on them and promtool tells rules apart
        labels = {"severity": severity, "journey": self.journey, "engine": self.engine}
        labels["objective"] = self.sli.objective
        return {
            "alert": name,
            "expr": expression,
            "for": hold,
            "labels": labels,
            "annotations": annotations,
        }


def objective_alerts(journey: str, engine: str, sli: Sli, options: AlertOptions) -> list[Rule]:
    """The burn alerts of one objective (or its any-failure page), then its platform alert."""
    objective = _Objective(journey, engine, sli, options)
    alerts: list[Rule] = []
    if objective.budget <= 0:
        alerts.append(_any_failure(objective))
    else:
        alerts += [_burn(objective, pair) for pair in PAIRS]
    alerts.append(_platform(objective))
    return alerts


def _condition(ratio: dict[str, str], pair: BurnPair, budget: float, factor: float) -> str:
    threshold = f"/ {number(budget)} > {number(factor)}"
    return f"{ratio[pair.long]} {threshold}\nand\n{ratio[pair.short]} {threshold}"


def _quorum(expression: str, quorum: int) -> str:
    by = "journey, engine, target, tenant, objective"
    return f"count by ({by}) (\n{_indent(expression)}\n) >= {quorum}"


def _burn(objective: _Objective, pair: BurnPair) -> Rule:
    options = objective.options
    factor = pair.factor(options.window_s)
    expression = _condition(objective.ratios(), pair, objective.budget, factor)
    window = duration(options.window_s)
    spent = f"{pair.budget_share * 100:g} % of the budget in {pair.long}"
    if options.quorum is not None and pair.severity == "page":
        expression = _quorum(expression, options.quorum)
        summary = f"{WHO}: error budget burning faster than {number(factor)}× over {pair.long} "
        summary += f"and {pair.short} in {{{{ $value }}}} locations"
        description = f"{objective.described}: its {window} error budget burns faster than "
        description += f"{number(factor)}× ({spent}) over the last {pair.long} and {pair.short}"
        description += f" in {{{{ $value }}}} locations, the quorum being {options.quorum}."
    else:
        summary = f"{WHO}: error budget burning {BURN} over {pair.long} and {pair.short}"
        description = f"{objective.described} burns its {window} error budget at {BURN} over "
        description += f"the last {pair.long}, and still over {pair.short}; this alert fires "
        description += f"at {number(factor)}× ({spent})."
    return objective.alert(
        f"JourneySLOBurn{pair.name}",
        expression,
        pair.severity,
        summary=summary,
        description=description,
        runbook_url=objective.link,
    )


def _any_failure(objective: _Objective) -> Rule:
    quorum = objective.options.quorum
    expression = f"{objective.ratios()['5m']} > 0"
    summary = f"{WHO}: a 100 % objective missed over the last 5m"
    description = f"{objective.described} allows no bad event, so it has no error budget: "
    if quorum is not None:
        expression = _quorum(expression, quorum)
        summary += " in {{ $value }} locations"
        description += "bad events over the last 5m in {{ $value }} locations, the quorum "
        description += f"being {quorum}."
    else:
        description += "{{ $value | humanizePercentage }} of its events over the last 5m were bad."
    return objective.alert(
        "JourneySLOAnyFailure",
        expression,
        "page",
        summary=summary,
        description=description,
        runbook_url=objective.link,
    )


def _platform(objective: _Objective) -> Rule:
    ratio = objective.ratios(tenants=True)
    if objective.budget <= 0:
        burning = f"{ratio['5m']} > 0"
    else:
        burning = "\nor\n".join(
            "(\n"
            + _indent(_condition(ratio, p, objective.budget, p.factor(objective.options.window_s)))
            + "\n)"
            for p in PAIRS
            if p.severity == "page"
        )
    by = "journey, engine, objective"
    tenants = f"count by ({by}) (\n  count by ({by}, tenant) ({ratio['5m']})\n)"
    burning_tenants = f"count by ({by}) (\n  count by ({by}, tenant) (\n"
    burning_tenants += _indent(burning, 4) + "\n  )\n)"
    expression = f"(\n{_indent(burning_tenants)}\n  /\n{_indent(tenants)}\n) > 0.5\n"
    expression += f"and on ({by})\n{tenants} >= 2"
    target = percent(objective.sli.target)
    return objective.alert(
        "JourneySLOPlatformBurn",
        expression,
        "page",
        summary=f"{WHO}: {{{{ $value | humanizePercentage }}}} of tenants burn their error "
        "budget at once",
        description="More than half of the tenants probed by {{ $labels.journey }} "
        "({{ $labels.engine }}) page on its {{ $labels.objective }} objective "
        f"({target}) at once: the platform hurts, not one retailer. Each tenant's own alert "
        "names it.",
        runbook_url=f"{objective.options.serve_url.rstrip('/')}/",
    )


def _indent(text: str, by: int = 2) -> str:
    return "\n".join(" " * by + line for line in text.splitlines())
