"""`journey rules` in the test's process: what it writes, what it warns about, what it refuses.

Whether the rules load and alert as they should is promtool's to say (test_promtool.py) and a
real Prometheus's (test_rules_prometheus.py); here: the command's contract, the shape of each
alert, the shipped rule file being current, and the OpenSLO documents' shape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from prometheus_client.utils import floatToGoString

from runner.cli import main
from runner.outputs.cadence import cadence_of
from runner.serve.tallies import SeriesTally
from runner.spec import load_journey_text, load_journeys
from tests.conftest import JOURNEYS, ROOT
from tests.rules.rulefiles import FIXTURES, HERE, rules_text

SHIPPED = ROOT / "deploy" / "rules" / "journey-rules.yaml"
REGENERATE = "journey rules journeys/ --out deploy/rules/journey-rules.yaml"


def rules_of(*words: str) -> list[dict[str, Any]]:
    """Every rule `journey rules WORDS...` writes, each with its group's name as `group`."""
    text, _ = rules_text(*words)
    groups = yaml.safe_load(text)["groups"]
    return [{"group": g["name"], **rule} for g in groups for rule in g["rules"]]


def alerts_of(rules: list[dict[str, Any]], **labels: str) -> dict[str, dict[str, Any]]:
    """The alerts whose labels include `labels`, by name (one each)."""
    chosen = [r for r in rules if "alert" in r and labels.items() <= r["labels"].items()]
    by_name = {r["alert"]: r for r in chosen}
    assert len(by_name) == len(chosen), "two alerts of one name for one objective"
    return by_name


def test_the_shipped_rule_file_is_what_the_shipped_journeys_generate() -> None:
    generated, warnings = rules_text(str(JOURNEYS))
    assert warnings == ""
    shipped = SHIPPED.read_text(encoding="utf-8") if SHIPPED.exists() else ""
    assert generated == shipped, f"{SHIPPED.relative_to(ROOT)} is out of date: run `{REGENERATE}`"


def test_each_objective_has_one_alert_per_window_pair_at_the_workbooks_factors() -> None:
    rules = rules_of(str(JOURNEYS))
    alerts = alerts_of(rules, journey="checkout", engine="http", objective="success")
    pairs = {
        "JourneySLOBurn1h5m": ("page", "2m", "14.4", "rate1h", "rate5m"),
        "JourneySLOBurn6h30m": ("page", "15m", "6", "rate6h", "rate30m"),
        "JourneySLOBurn1d2h": ("ticket", "1h", "3", "rate1d", "rate2h"),
        "JourneySLOBurn3d6h": ("ticket", "3h", "1", "rate3d", "rate6h"),
    }
    assert set(alerts) == {*pairs, "JourneySLOPlatformBurn"}
    for name, (severity, hold, factor, long, short) in pairs.items():
        alert = alerts[name]
        assert (alert["labels"]["severity"], alert["for"]) == (severity, hold)
        lines = alert["expr"].splitlines()
        assert lines[0].startswith(f"journey:slo_error_ratio:{long}{{")
        assert lines[0].endswith(f"/ 0.005 > {factor}")  # 99.5 %: a budget of 0.5 %
        assert lines[1:] == ["and", lines[0].replace(long, short)]


def test_every_alert_says_what_fired_and_links_to_serves_page() -> None:
    serve = "http://serve.example:9464"
    words = [str(JOURNEYS), str(FIXTURES), "--quorum", "2", "--push-period", "5m"]
    rules = rules_of(*words, "--serve-url", serve)
    alerts = [r for r in rules if "alert" in r]
    assert len({r["alert"] for r in alerts}) >= 12
    for alert in alerts:
        labels, annotations = alert["labels"], alert["annotations"]
        assert labels["severity"] in ("page", "ticket"), alert["alert"]
        assert annotations["summary"] and annotations["description"], alert["alert"]
        if alert["group"].startswith("journey.pushgateway."):
            assert labels["job"] == "journey"
            continue
        assert labels["journey"] and labels["engine"] in ("http", "browser")
        assert annotations["runbook_url"].startswith(f"{serve}/"), alert["alert"]
        if alert["alert"].startswith("JourneySLO"):
            assert labels["objective"] and "{{ $labels.objective }}" in annotations["summary"]


def test_latency_rules_read_the_bucket_at_the_threshold_as_serve_spells_it() -> None:
    checkout = next(j.spec for j in load_journeys([str(JOURNEYS)]) if j.name == "checkout")
    served = {floatToGoString(b) for b in SeriesTally.of(checkout, "http").bounds}
    ratios = {
        r["labels"]["objective"]: r["expr"]
        for r in rules_of(str(JOURNEYS / "checkout.yaml"), "--engine", "http")
        if r.get("record") == "journey:slo_error_ratio:rate5m"
    }
    assert set(ratios) == {"success", "latency p95", "step place order p95"}
    bucket = 'journey_latency_seconds_bucket{journey="checkout", engine="http", le="4.0"}'
    assert bucket in ratios["latency p95"]
    step = 'journey_step_latency_seconds_bucket{journey="checkout", engine="http", '
    assert f'{step}step="place order", le="1.5"}}' in ratios["step place order p95"]
    assert {"4.0", "1.5"} <= served
    assert 'result="failure"' in ratios["success"]


def test_a_step_freshness_is_read_from_the_journeys_histogram_only_when_it_is_alone(
    tmp_path: Path,
) -> None:
    ratios = {
        r["labels"]["objective"]: r["expr"]
        for r in rules_of(str(JOURNEYS / "pos-sync.yaml"))
        if r.get("record") == "journey:slo_error_ratio:rate5m"
    }
    # pos-sync polls in one step, `stock visible`: the journey's freshness histogram is its
    bucket = 'journey_freshness_seconds_bucket{journey="pos-sync", engine="http", le="10.0"}'
    assert bucket in ratios["step stock visible freshness max"]
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        "journey: twice\nslo: {success: 99%, steps: {b: {freshness: {max: 5s}}}}\nhttp:\n"
        "  - {name: a, request: {url: /a}, until: {timeout: 5s}}\n"
        "  - {name: b, request: {url: /b}, until: {timeout: 5s}}\n",
        encoding="utf-8",
    )
    text, warnings = rules_text(str(twice))
    assert "step b freshness max" not in text
    assert warnings == (
        "warning: twice: step b freshness max [http]: serve keeps one freshness histogram of "
        "all the flow's until: steps, so no rule reads this step's\n"
    )


def test_a_100_percent_objective_pages_on_any_failure_instead_of_burning() -> None:
    alerts = alerts_of(rules_of(str(FIXTURES / "strict.yaml")), objective="success")
    assert set(alerts) == {"JourneySLOAnyFailure", "JourneySLOPlatformBurn"}
    assert alerts["JourneySLOAnyFailure"]["expr"].endswith("> 0")
    assert alerts["JourneySLOAnyFailure"]["labels"]["severity"] == "page"


def test_a_quorum_pages_on_the_count_of_locations_and_leaves_tickets_per_location() -> None:
    rules = rules_of(str(FIXTURES / "pay995.yaml"), "--quorum", "3")
    alerts = alerts_of(rules, objective="success")
    for name in ("JourneySLOBurn1h5m", "JourneySLOBurn6h30m"):
        expression = alerts[name]["expr"]
        assert expression.startswith("count by (journey, engine, target, tenant, objective) (")
        assert expression.endswith(") >= 3")
    for name in ("JourneySLOBurn1d2h", "JourneySLOBurn3d6h"):
        assert "count by" not in alerts[name]["expr"]


def test_the_window_scales_the_burn_factors() -> None:
    alerts = alerts_of(rules_of(str(FIXTURES / "pay995.yaml"), "--window", "28d"))
    # 2 % of a 28-day budget in 1 h is 13.44x; 10 % in 3 d is 0.933x
    assert alerts["JourneySLOBurn1h5m"]["expr"].splitlines()[0].endswith("> 13.44")
    assert alerts["JourneySLOBurn3d6h"]["expr"].splitlines()[0].endswith("> 0.9333")
    assert "28d error budget" in alerts["JourneySLOBurn1h5m"]["annotations"]["description"]


def test_only_the_flows_serve_probes_get_rules() -> None:
    text, _ = rules_text(str(JOURNEYS), "--engine", "http")
    assert 'engine="browser"' not in text and 'engine="http"' in text
    rules = rules_of(str(JOURNEYS), "--tag", "pos")
    assert {r["group"] for r in rules} == {"journey.pos-sync"}


def test_stale_alerts_wait_for_the_longest_gap_of_the_schedule() -> None:
    def spec(schedule: str) -> Any:
        text = (FIXTURES / "pay995.yaml").read_text(encoding="utf-8")
        return load_journey_text(
            text.replace("schedule: {every: 1m}", f"schedule: {schedule}"), path="j.yaml"
        ).spec

    weekdays = cadence_of(spec('{cron: "0 9 * * 1-5"}'))  # Friday 9:00 to Monday 9:00
    assert (weekdays.shortest_s, weekdays.longest_s) == (86400, 3 * 86400)
    assert cadence_of(spec("{every: 10m}")).longest_s == 600
    path = FIXTURES / "pay995.yaml"
    alerts = alerts_of(rules_of(str(path)))
    assert alerts["JourneyProbeStale"]["expr"].endswith("> 300")  # 3 minutes is under 5
    assert alerts["JourneyProbeAbsent"]["for"] == "5m"


def test_a_schedule_too_coarse_for_its_objective_is_a_warning_and_exit_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rules", str(FIXTURES / "pay999.yaml"), str(FIXTURES / "pay995.yaml")])
    assert exited.value.code == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "warning: pay999: success: a 99.9 % objective probed every 60 s pages on one failed "
        "run (one failure in 1 h is a 16.7× burn)\n"
    )
    assert captured.out.startswith("# Prometheus rules generated by `journey rules`")


def test_bad_journeys_exit_2_with_one_located_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "journey: bad\nslo: {success: 120%}\nhttp:\n  - name: a\n    request: {url: /}\n",
        encoding="utf-8",
    )
    out = tmp_path / "rules.yaml"
    with pytest.raises(SystemExit) as exited:
        main(["rules", str(bad), "--out", str(out)])
    assert exited.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and re.match(rf"{re.escape(str(bad))}:2:\d+: slo\.success: ", lines[0])
    assert not out.exists()


def test_an_slo_window_shorter_than_the_longest_alert_window_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rules", str(FIXTURES), "--window", "1d"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "--window:1:1: window: expected an SLO window of at least 3d, got 1d\n"
    )


def test_the_rules_go_to_the_out_file_when_given(tmp_path: Path) -> None:
    out = tmp_path / "rules.yaml"
    said, _ = rules_text(str(FIXTURES), "--out", str(out))
    assert said == f"wrote {out}: 5 journeys\n"
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["groups"]


def test_the_hand_written_unit_tests_cover_what_the_issue_asks_for() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(HERE.glob("*.test.yaml")))
    for alert in (
        "JourneySLOBurn1h5m",
        "JourneySLOBurn6h30m",
        "JourneySLOBurn1d2h",
        "JourneySLOBurn3d6h",
        "JourneySLOAnyFailure",
        "JourneySLOPlatformBurn",
        "JourneyProbeStale",
        "JourneyProbeAbsent",
        "JourneyProbeSkipped",
        "JourneyPushedRunNotPassed",
        "JourneyPushStale",
    ):
        assert f"alertname: {alert}" in text, alert


# OpenSLO v1's SLO and Service, as its specification (github.com/OpenSLO/OpenSLO, README.md,
# "SLO", "SLI", "Service") and its Go model (pkg/openslo/v1/slo.go, sli.go) define them,
# written out for the shapes we emit: RFC 1123 names, an inline ratioMetric indicator, exactly
# one time window, targets in [0, 1).
NAME = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": NAME, "displayName": {"type": "string"}},
    "additionalProperties": False,
}
QUERY = {
    "type": "object",
    "required": ["metricSource"],
    "additionalProperties": False,
    "properties": {
        "metricSource": {
            "type": "object",
            "required": ["type", "spec"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "Prometheus"},
                "spec": {
                    "type": "object",
                    "required": ["query"],
                    "properties": {"query": {"type": "string", "minLength": 1}},
                    "additionalProperties": False,
                },
            },
        }
    },
}
SLO_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "openslo/v1"},
        "kind": {"const": "SLO"},
        "metadata": METADATA,
        "spec": {
            "type": "object",
            "required": ["service", "indicator", "timeWindow", "budgetingMethod", "objectives"],
            "additionalProperties": False,
            "properties": {
                "description": {"type": "string", "maxLength": 1050},
                "service": NAME,
                "indicator": {
                    "type": "object",
                    "required": ["metadata", "spec"],
                    "properties": {
                        "metadata": METADATA,
                        "spec": {
                            "type": "object",
                            "required": ["ratioMetric"],
                            "additionalProperties": False,
                            "properties": {
                                "ratioMetric": {
                                    "type": "object",
                                    "required": ["counter", "good", "total"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "counter": {"const": True},
                                        "good": QUERY,
                                        "total": QUERY,
                                    },
                                }
                            },
                        },
                    },
                },
                "timeWindow": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["duration", "isRolling"],
                        "additionalProperties": False,
                        "properties": {
                            "duration": {"type": "string", "pattern": "^[0-9]+[mhdwMQY]$"},
                            "isRolling": {"const": True},
                        },
                    },
                },
                "budgetingMethod": {"enum": ["Occurrences", "Timeslices", "RatioTimeslices"]},
                "objectives": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["target"],
                        "properties": {
                            "displayName": {"type": "string"},
                            "target": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
                        },
                    },
                },
            },
        },
    },
}
SERVICE_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "openslo/v1"},
        "kind": {"const": "Service"},
        "metadata": METADATA,
        "spec": {
            "type": "object",
            "properties": {"description": {"type": "string", "maxLength": 1050}},
            "additionalProperties": False,
        },
    },
}


def test_openslo_documents_have_the_v1_shape() -> None:
    text, warnings = rules_text(str(JOURNEYS), "--format", "openslo")
    documents = list(yaml.safe_load_all(text))
    services = {d["metadata"]["name"] for d in documents if d["kind"] == "Service"}
    slos = [d for d in documents if d["kind"] == "SLO"]
    assert services == {"cart", "checkout", "order-export", "pos-sync", "search"}
    for document in documents:
        schema = SLO_SCHEMA if document["kind"] == "SLO" else SERVICE_SCHEMA
        jsonschema.validate(document, schema)
    names = [d["metadata"]["name"] for d in slos]
    assert len(set(names)) == len(names)
    assert {d["spec"]["service"] for d in slos} <= services
    checkout = next(d for d in slos if d["metadata"]["name"] == "checkout-http-latency-p95")
    ratio = checkout["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio["good"]["metricSource"]["spec"]["query"] == (
        'sum(journey_latency_seconds_bucket{journey="checkout", engine="http", le="4.0"})'
    )
    assert checkout["spec"]["objectives"] == [{"displayName": "latency p95", "target": 0.95}]
    assert checkout["spec"]["timeWindow"] == [{"duration": "30d", "isRolling": True}]
    # a `max:` bound is a 100 % objective, which OpenSLO's targets in [0, 1) cannot say
    assert "order-export: freshness max [http]: left out" in warnings
