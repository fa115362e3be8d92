"""The http engine against the real demo shop: what a browser does, at the protocol level."""

from __future__ import annotations

from typing import Any

import httpx
import yaml

from runner.engines.http import run_http_flow
from runner.engines.probe import new_client, run_http_journey
from runner.results import StepResult
from runner.spec.loader import LoadedJourney, load_journey_text
from runner.spec.target import Target
from tests.conftest import JOURNEYS


def journey(*steps: dict[str, Any], **variables: str) -> LoadedJourney:
    document = {"journey": "t", "vars": variables, "http": list(steps)}
    return load_journey_text(yaml.safe_dump(document), path="t.yaml")


def run(
    loaded: LoadedJourney, url: str, variables: dict[str, Any] | None = None
) -> list[StepResult]:
    with httpx.Client() as client:
        return list(
            run_http_flow(loaded.spec, Target.single(url), client=client, variables=variables or {})
        )


def test_checkout_http_flow_passes(demo_shop: str) -> None:
    (loaded,) = [
        load_journey_text(
            (JOURNEYS / "checkout.yaml").read_text(), path=str(JOURNEYS / "checkout.yaml")
        )
    ]
    with new_client() as client:
        result = run_http_journey(loaded, Target.single(demo_shop), 0, client=client)
    assert [s.outcome for s in result.steps] == ["passed"] * len(loaded.spec.http)
    add_to_cart = result.steps[2]
    assert add_to_cart.redirects == ("303 /cart/items",)  # form post, redirected to the cart


def test_captures_from_json_header_and_url_feed_later_steps(demo_shop: str) -> None:
    loaded = journey(
        {
            "name": "find",
            "request": {"url": "/api/products?q=mug"},
            "capture": {"sku": "$.items[0].sku", "type": {"header": "content-type"}},
        },
        {
            "name": "page",
            "request": {"url": "/products/{{ sku }}"},
            "capture": {"path_sku": {"regex": "/products/(SKU-\\d+)", "from": "url"}},
        },
        {
            "name": "api",
            "request": {"url": "{{ base }}/api/products/{{ path_sku }}"},
            "expect": {
                "json": {"$.sku": "{{ sku }}"},
                "headers": {"content-type": {"contains": "json"}},
            },
        },
        base=demo_shop,
    )
    variables: dict[str, Any] = {"base": demo_shop}
    results = run(loaded, demo_shop, variables)
    assert [r.outcome for r in results] == ["passed"] * 3, results
    assert variables["sku"] == variables["path_sku"]
    assert "json" in variables["type"]


def test_a_failed_expectation_ends_the_flow_with_a_reason(demo_shop: str) -> None:
    loaded = journey(
        {
            "name": "find",
            "request": {"url": "/api/products?q=mug"},
            "expect": {"json": {"$.items[0].sku": "nope"}},
        },
        {"name": "never", "request": {"url": "/health"}},
    )
    (result,) = run(loaded, demo_shop)
    assert result.outcome == "failed"
    assert result.reason.startswith("json $.items[0].sku: expected 'nope', got 'SKU-")


def test_until_gives_up_at_its_timeout(demo_shop: str) -> None:
    loaded = journey(
        {
            "name": "wait",
            "request": {"url": "/health"},
            "expect": {"json": {"$.status": "never"}},
            "until": {"timeout": "0.5s", "interval": "100ms"},
        }
    )
    (result,) = run(loaded, demo_shop)
    assert result.outcome == "failed"
    assert result.reason.startswith("not met within 0.5s (")
    assert result.attempts >= 4
    assert 0.4 < result.duration_s < 1.5
    # censored, never dropped: a change never seen counts as at least the wait
    assert result.freshness_s is not None and 0.4 < result.freshness_s < 1.5


def test_each_run_starts_with_an_empty_cookie_jar(demo_shop: str) -> None:
    loaded = journey(
        {
            "name": "add",
            "request": {
                "method": "POST",
                "url": "/api/cart/items",
                "json": {"sku": "SKU-00001", "qty": 1},
            },
            "expect": {"status": 201},
        },
        {
            "name": "cart",
            "request": {"url": "/api/cart"},
            "expect": {"json": {"$.items[*]": {"count": 1}}},
        },
    )
    with new_client() as client:
        first = run_http_journey(loaded, Target.single(demo_shop), 0, client=client)
        second = run_http_journey(loaded, Target.single(demo_shop), 1, client=client)
    assert first.outcome == second.outcome == "passed"  # one item each time: a new session


def test_connection_refused_is_an_error_without_response() -> None:
    loaded = journey({"name": "x", "request": {"url": "/health"}})
    (result,) = run(loaded, "http://127.0.0.1:9")
    assert (result.outcome, result.responded) == ("error", False)
    assert result.reason.startswith("cannot connect to http://127.0.0.1:9")


def test_target_headers_go_only_to_the_targets_own_origins(demo_shop: str) -> None:
    # localhost and 127.0.0.1 are one server but two origins: a journey that follows an
    # absolute link elsewhere must not carry the target's credentials there
    other = demo_shop.replace("127.0.0.1", "localhost")
    loaded = journey(
        {"name": "own", "request": {"url": "/health"}},
        {"name": "elsewhere", "request": {"url": f"{other}/health"}},
    )
    target = Target(name="t", urls={"api": demo_shop}, headers={"Authorization": "Bearer s3cret"})
    seen: list[tuple[str, str | None]] = []
    with httpx.Client(
        event_hooks={
            "request": [lambda r: seen.append((r.url.host, r.headers.get("authorization")))]
        }
    ) as client:
        results = list(run_http_flow(loaded.spec, target, client=client, variables={}))
    assert [r.outcome for r in results] == ["passed", "passed"]
    assert seen == [("127.0.0.1", "Bearer s3cret"), ("localhost", None)]


def test_templated_urls_and_headers_are_decided_on_every_request(demo_shop: str) -> None:
    """A URL with a template may land anywhere: credentials follow the rendered URL, not the
    template, and a header template renders with each run's variables."""
    other = demo_shop.replace("127.0.0.1", "localhost")
    loaded = journey(
        {"name": "own", "request": {"url": "{{ own }}/health", "headers": {"X-Run": "{{ run }}"}}},
        {"name": "elsewhere", "request": {"url": "{{ elsewhere }}/health"}},
        own="",
        elsewhere="",
        run="",
    )
    target = Target(name="t", urls={"api": demo_shop}, headers={"Authorization": "Bearer s3cret"})
    seen: list[tuple[str, str | None, str | None]] = []
    with httpx.Client(
        event_hooks={
            "request": [
                lambda r: seen.append(
                    (r.url.host, r.headers.get("authorization"), r.headers.get("x-run"))
                )
            ]
        }
    ) as client:
        for run in ("1", "2"):
            variables = {"own": demo_shop, "elsewhere": other, "run": run}
            results = list(run_http_flow(loaded.spec, target, client=client, variables=variables))
            assert [r.outcome for r in results] == ["passed", "passed"]
    assert seen == [
        ("127.0.0.1", "Bearer s3cret", "1"),
        ("localhost", None, None),
        ("127.0.0.1", "Bearer s3cret", "2"),
        ("localhost", None, None),
    ]


def test_a_template_failing_at_run_time_is_a_step_error_not_a_crash(demo_shop: str) -> None:
    loaded = journey(
        {"name": "stock", "request": {"url": "/api/stock/SKU-00001"}, "capture": {"sku": "$.sku"}},
        {"name": "math", "request": {"url": "/api/stock/{{ sku - 1 }}"}},
    )
    first, second = run(loaded, demo_shop)
    assert first.outcome == "passed"
    assert (second.outcome, second.unreachable) == ("error", False)
    assert second.reason.startswith("template: TypeError")


def test_equals_null_matches_a_json_null(demo_shop: str) -> None:
    loaded = journey(
        {
            "name": "sale",
            "surface": "pos",
            "request": {
                "method": "POST",
                "url": "/pos/v1/sales/batches",
                "headers": {"Idempotency-Key": "{{ uuid() }}"},
                "json": {"store": "S1", "sales": [{"sku": "SKU-00001", "qty": 1}]},
            },
            "capture": {"batch": "$.batch_id"},
        },
        {
            "name": "pending",
            "request": {"url": "/pos/v1/sales/batches/{{ batch }}"},
            "expect": {"json": {"$.applied_at": None}},
        },
    )
    assert [r.outcome for r in run(loaded, demo_shop)] == ["passed", "passed"]
