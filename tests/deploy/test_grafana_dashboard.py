"""The Grafana dashboard: an importable model whose every query a real Prometheus answers.

A dashboard fails quietly: a misspelt metric or label draws "No data", which reads like a
healthy quiet shop. So beyond parsing, every expression (template variables substituted as
Grafana would for "All") goes to a real Prometheus's query API, and with a real `journey serve`
probing a real demo shop behind it the panels must show data: the names and labels the
dashboard reads are the ones serve exports, and the ones docs/metrics.md lists.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.demoshop.process import running_demo_shop
from runner.spec.target import Target
from tests.conftest import wait_for
from tests.serve.journeys import write_journey
from tests.serve.processes import PrometheusServer, running_prometheus, running_serve

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "journey-dashboard.json"
FILTERS = ("journey", "target", "tenant", "location")
# $journey, ${journey} and ${journey:regex}; Grafana's own ($__rate_interval) start with __
VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
BUILT_IN = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}
LABEL_VALUES = re.compile(r"^label_values\((.+), (\w+)\)$")
DOC_ROW = re.compile(r"^\| `(journey_\w+)` \| (\w+) \| ([^|]*) \|", re.MULTILINE)
METRIC = re.compile(r"\b(journey_\w+)")
LOCATION = "lab-1"
UNTIL_JOURNEY = """\
journey: stock
channel: web
timeout: 2s
schedule: {every: 1s}
slo: {success: 99%, freshness: {p95: 3s}}
http:
  - name: list products
    request: {url: "/api/products?q=shoe"}
    expect: {status: 200}
  - name: stock shown
    request: {url: "/api/products?q=shoe"}
    expect: {status: 200}
    until: {timeout: 1s, interval: 100ms}
"""


def dashboard() -> dict[str, Any]:
    board: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return board


def panels(board: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel but rows, those inside collapsed rows too."""
    for panel in board["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def queries(board: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(panel title, expr) of every query."""
    return [(title, expr) for title, expr, _ in legended_queries(board)]


def legended_queries(board: Mapping[str, Any]) -> list[tuple[str, str, set[str]]]:
    """(panel title, expr, the labels its legend names) of every query."""
    return [
        (p["title"], t["expr"], set(re.findall(r"\{\{\s*(\w+)\s*\}\}", t.get("legendFormat", ""))))
        for p in panels(board)
        for t in p["targets"]
    ]


def variables(board: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in board["templating"]["list"]}


def label_values_of(variable: Mapping[str, Any]) -> tuple[str, str]:
    """The series selector and the label of a `label_values(SELECTOR, LABEL)` variable."""
    query = variable["query"]
    text = query["query"] if isinstance(query, dict) else query
    match = LABEL_VALUES.fullmatch(text)
    assert match, f"{variable['name']}: expected label_values(SELECTOR, LABEL), got {text!r}"
    return match[1], match[2]


def substituted(expr: str, values: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        return BUILT_IN[name] if name.startswith("__") else values[name]

    return VARIABLE.sub(value, expr)


def documented_serve_metrics() -> dict[str, tuple[str, str]]:
    """docs/metrics.md's "journey serve" table: name -> (type, extra labels)."""
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    section = text.split("\n## journey serve\n")[1].split("\n## ")[0]
    return {name: (kind, labels) for name, kind, labels in DOC_ROW.findall(section)}


def family_of(name: str, documented: Mapping[str, tuple[str, str]]) -> str:
    for suffix in ("_bucket", "_count", "_sum"):
        base = name.removesuffix(suffix)
        if base != name and documented.get(base, ("", ""))[0] == "histogram":
            return base
    return name


def all_selected() -> dict[str, str]:
    return dict.fromkeys(FILTERS, ".*") | {"datasource": "prometheus"}


def as_grafana_selects(values: list[str]) -> str:
    """Picked values as Grafana writes them into a Prometheus query: a regex, in a string."""
    escaped = (re.sub(r"[$^*+?.()|\\\[\]{}]", r"\\\\\g<0>", value) for value in values)
    return "(" + "|".join(escaped) + ")"


def test_the_dashboard_is_an_importable_grafana_model() -> None:
    board = dashboard()
    assert board["title"] == "journey: synthetic journeys"
    assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"])
    assert board["schemaVersion"] >= 36 and board["id"] is None  # import makes its own id
    found = variables(board)
    assert found["datasource"]["type"] == "datasource"
    assert found["datasource"]["query"] == "prometheus"
    for name in FILTERS:
        variable = found[name]
        assert variable["type"] == "query" and variable["multi"] and variable["includeAll"]
        # "All" must match series whose label is empty (tenant and location often are):
        # Grafana's default All joins the known values, which never include "".
        assert variable["allValue"] == ".*", name
        assert variable["datasource"]["uid"] == "${datasource}", name
        selector, label = label_values_of(variable)
        assert label == name and selector.startswith("journey_runs_total"), name

    every = list(panels(board))
    ids = [p["id"] for p in every] + [p["id"] for p in board["panels"] if p["type"] == "row"]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in every:
        title = panel["title"]
        assert panel["description"].strip(), f"{title}: no description"
        assert panel["targets"], f"{title}: no queries"
        assert panel["datasource"]["uid"] == "${datasource}", title
        for target in panel["targets"]:
            assert target["expr"].strip(), f"{title}: a target without expr"
            assert target["datasource"]["uid"] == "${datasource}", title
        units = [panel["fieldConfig"]["defaults"].get("unit")] + [
            prop["value"]
            for override in panel["fieldConfig"]["overrides"]
            for prop in override["properties"]
            if prop["id"] == "unit"
        ]
        assert any(units), f"{title}: no unit"
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, title


def test_every_metric_the_dashboard_reads_is_one_serve_documents() -> None:
    documented = documented_serve_metrics()
    assert "journey_slo_burn_rate" in documented  # the table was found
    board = dashboard()
    texts = [expr for _, expr in queries(board)]
    texts += [label_values_of(variables(board)[name])[0] for name in FILTERS]
    used = {family_of(name, documented) for text in texts for name in METRIC.findall(text)}
    assert used - set(documented) == set()


def test_every_query_filters_by_the_variables_unless_its_metric_cannot() -> None:
    # serve's own figures carry only `engine` (or no label): filtering them by journey would
    # empty them, so those queries alone go unfiltered
    documented = documented_serve_metrics()
    unlabelled = {
        name
        for name, (_, labels) in documented.items()
        if "only" in labels or "none of the above" in labels
    }
    assert unlabelled >= {"journey_serve_in_flight", "journey_slo_refreshed_timestamp_seconds"}
    for title, expr in queries(dashboard()):
        names = {family_of(name, documented) for name in METRIC.findall(expr)}
        if names <= unlabelled:
            continue
        for selector in re.findall(r"journey_\w+\{([^}]*)\}", expr):
            for label in FILTERS:
                assert f'{label}=~"${label}"' in selector, (title, label, expr)
        assert expr.count("{") == len(METRIC.findall(expr)), f"{title}: a bare metric: {expr}"


def query_answer(prometheus: PrometheusServer, promql: str) -> dict[str, Any]:
    response = httpx.get(f"{prometheus.url}/api/v1/query", params={"query": promql}, timeout=10)
    answer: dict[str, Any] = response.json()
    return answer


def finite(result: list[dict[str, Any]]) -> list[float]:
    values = [float(sample["value"][1]) for sample in result]
    return [v for v in values if math.isfinite(v)]


@pytest.mark.slow
def test_prometheus_accepts_every_query_and_the_panels_show_serves_data(tmp_path: Path) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    write_journey(journeys, "catalogue", "/api/products?q=shoe", step="search api")
    (journeys / "stock.yaml").write_text(UNTIL_JOURNEY, encoding="utf-8")
    board = dashboard()
    with (
        running_demo_shop(tmp_path) as shop,
        running_serve(
            [journeys],
            "--target",
            shop,
            "--db",
            str(tmp_path / "serve.db"),
            "--location",
            LOCATION,
            log=tmp_path / "serve.log",
        ) as served,
        running_prometheus([served.url.removeprefix("http://")], tmp_path) as prometheus,
    ):
        # Accepted: every panel's expression and every variable's selector, all at once.
        everything = [(title, substituted(expr, all_selected())) for title, expr in queries(board)]
        for name in FILTERS:
            selector = label_values_of(variables(board)[name])[0]
            everything.append((f"variable {name}", substituted(selector, all_selected())))
        refused = [
            (title, promql, answer.get("error"))
            for title, promql in everything
            if (answer := query_answer(prometheus, promql))["status"] != "success"
        ]
        assert refused == []

        # Answered: the variables list what serve labels its series with, chained as Grafana
        # resolves them; then with those picked, every panel shows finite figures.
        wait_for(
            lambda: len(prometheus.query(f'journey_runs_total{{location="{LOCATION}"}}')) == 4,
            timeout_s=30,
            interval_s=0.2,
        )  # two journeys, by result: there at zero from the start
        expected = {"journey": ["catalogue", "stock"], "target": [Target.single(shop).name]}
        expected |= {"tenant": [], "location": [LOCATION]}  # no tenant: "" matches only .*
        picked = all_selected()
        for name in FILTERS:
            selector, label = label_values_of(variables(board)[name])
            response = httpx.get(
                f"{prometheus.url}/api/v1/label/{label}/values",
                params={"match[]": substituted(selector, picked)},
                timeout=10,
            ).json()
            assert response["status"] == "success", response
            assert sorted(response["data"]) == expected[name], name
            if response["data"]:
                picked[name] = as_grafana_selects(response["data"])

        def shown(title: str, promql: str, legend: set[str]) -> bool:
            # a legend naming a label the query aggregates away draws one nameless line: each
            # series must carry what its legend names (tenant aside: empty, so absent here)
            result = prometheus.query(substituted(promql, picked))
            named = all(legend - {"tenant"} <= set(sample["metric"]) for sample in result)
            return bool(finite(result)) and named

        pending = legended_queries(board)

        def all_shown() -> bool:
            pending[:] = [query for query in pending if not shown(*query)]
            return not pending

        with contextlib.suppress(AssertionError):
            wait_for(all_shown, timeout_s=30, interval_s=0.5)
        assert pending == [], "panels without data"
