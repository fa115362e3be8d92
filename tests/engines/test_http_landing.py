"""Where an http step landed, and what it read there, alike in probes (httpx) and load.

The target is a recording server on loopback that answers by path, as a third-party shop
whose pages, redirects and bodies the test decides: a 404 after two redirects, links written
root-relative and document-relative under a path prefix, a `Location` read without following
it. Every case runs twice: through httpx, as probes do, and through the load users' client
(FastClient on geventhttpclient, in a gevent-patched child process, as `journey load`'s
workers are), because FastHttp follows redirects without telling where it went, and the
engine must not differ between the two.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from dataclasses import asdict
from typing import Any

import httpx
import pytest

from runner.engines.http import run_http_flow
from runner.engines.probe import HttpProbe
from runner.engines.variables import start_variables
from runner.errors import SpecError
from runner.spec.loader import load_journey_text
from runner.spec.target import DEFAULT_USER_AGENT, Target
from tests.conftest import ROOT
from tests.engines.test_secret_origins import recording_server

Answers = dict[str, tuple[int, dict[str, str], bytes]]

# The load users' client in a child process: the flow's steps as JSON, one object per step.
LOAD_USER = """\
from gevent import monkey; monkey.patch_all()
import json, sys
from dataclasses import asdict
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment
from runner.engines.http import run_http_flow
from runner.engines.load.client import Clients, FastClient
from runner.engines.variables import start_variables
from runner.spec.loader import load_journey_text
from runner.spec.target import Target
base, text = sys.argv[1], sys.argv[2]
journey = load_journey_text(text, path="t.yaml")
target = Target.single(base)
session = FastHttpSession(base, Environment().events.request, None,
                          headers={"User-Agent": target.user_agent})
client = FastClient(session, Clients())
steps = run_http_flow(journey.spec, target, client=client,
                      variables=start_variables(journey, 0, target))
print(json.dumps([asdict(s) for s in steps]))
"""

# each load case starts a gevent-patched child process (~0.7 s): `make test` runs them
ENGINES = ["httpx", pytest.param("load", marks=pytest.mark.slow)]


def steps_of(engine: str, text: str, base: str) -> list[dict[str, Any]]:
    """The flow's StepResults as plain data, run by the probes' client or the load users'."""
    if engine == "load":
        done = subprocess.run(
            [sys.executable, "-c", LOAD_USER, base, text],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        data: list[dict[str, Any]] = json.loads(done.stdout)
        return data
    journey = load_journey_text(text, path="t.yaml")
    target = Target.single(base)
    with httpx.Client(headers={"User-Agent": target.user_agent}, follow_redirects=True) as c:
        variables = start_variables(journey, 0, target)
        steps = run_http_flow(journey.spec, target, client=c, variables=variables)
        data = json.loads(json.dumps([asdict(s) for s in steps]))  # as load gives them
        return data


def page(html: str, status: int = 200, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/html", **headers}, html.encode()


def moved(location: str, status: int = 302) -> tuple[int, dict[str, str], bytes]:
    return status, {"Location": location}, b""


GONE: Answers = {
    "/old": moved("/mid?token=tok-77aa&step=2"),
    "/mid": moved("/gone?session=s-31337"),
    "/gone": page("<h1>No such page</h1><p>we looked for tok-77aa</p>", 404),
}

OPEN_GONE = """\
journey: gone
http:
  - name: open
    request: {url: "/old?token=tok-77aa"}
    expect: {status: 200}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_404_after_two_redirects_says_where_it_landed_how_and_what_it_read(engine: str) -> None:
    with recording_server(dict(GONE)) as shop:
        [step] = steps_of(engine, OPEN_GONE, shop.url)
    assert step["outcome"] == "failed" and step["reason"] == "expected status 200, got 404"
    assert step["redirects"] == ["302 /old?token=***", "302 /mid?token=***&step=***"]
    trail = step["response"]
    assert trail["url"] == "/gone?session=***" and trail["status"] == 404
    assert trail["redirects"] == step["redirects"]
    assert trail["body"].startswith("<h1>No such page</h1>")
    assert "s-31337" not in json.dumps(step)  # query values never shown; the body is as sent
    assert [s.path for s in shop.seen] == [
        "/old?token=tok-77aa",
        "/mid?token=tok-77aa&step=2",
        "/gone?session=s-31337",
    ]


def test_the_body_excerpt_is_bounded() -> None:
    huge = {"/big": page("x" * 50_000, 500)}
    text = "journey: big\nhttp:\n  - request: {url: /big}\n"
    with recording_server(huge) as shop:
        [step] = steps_of("httpx", text, shop.url)
    assert step["outcome"] == "failed" and len(step["response"]["body"]) == 2000


def test_a_step_that_could_not_connect_names_the_url_it_tried() -> None:
    text = "journey: t\nhttp:\n  - request: {url: '/nowhere?key=k-1', timeout: 1s}\n"
    [step] = steps_of("httpx", text, "http://127.0.0.1:9")  # discard port: refused at once
    assert step["outcome"] == "error" and step["unreachable"]
    assert step["response"] == {
        "url": "/nowhere?key=***",
        "status": None,
        "redirects": [],
        "body": "",
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_a_frozen_target_fails_the_step_at_its_timeout_naming_the_url(engine: str) -> None:
    # a listening socket that never answers: the connection is made, no byte ever comes
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(8)
        base = f"http://127.0.0.1:{frozen.getsockname()[1]}"
        text = "journey: t\nhttp:\n  - request: {url: '/cart?basket=b-1', timeout: 1s}\n"
        [step] = steps_of(engine, text, base)
    assert step["outcome"] == "failed" and step["reason"] == "no response within 1s"
    assert step["duration_s"] >= 1.0 and step["responded"]
    assert step["response"]["url"] == "/cart?basket=***" and step["response"]["status"] is None


PREFIXED: Answers = {
    # the storefront lives under /en-gb: its links are root-relative with the prefix, or
    # relative to the page they are on, which a redirect moved to /en-gb/shelf/
    "/en-gb/start": moved("/en-gb/shelf/", 303),
    "/en-gb/shelf/": page(
        '<a class="rooted" href="/en-gb/p/1">one</a><a class="relative" href="p/2">two</a>'
        '<form action="../basket" method="post"></form>'
    ),
    "/en-gb/p/1": page("<h1>one</h1>"),
    "/en-gb/shelf/p/2": page("<h1>two</h1>"),
    "/en-gb/basket": page("<h1>basket</h1>"),
    "/en-gb/orders/ORD-9": page("<h1>order</h1>"),
    "/en-gb/place": moved("/en-gb/orders/ORD-9", 303),
}

LINKS = """\
journey: links
http:
  - name: start
    surface: storefront
    request: {url: /start}
    expect: {url: "**/shelf/"}
    capture:
      rooted: {html: a.rooted, attr: href}
      relative: {html: a.relative, attr: href}
      basket: {html: form, attr: action}
  - name: rooted
    surface: storefront
    request: {url: "{{ rooted }}"}
    expect: {html: {h1: one}}
  - name: relative
    surface: storefront
    request: {url: "{{ relative }}"}
    expect: {html: {h1: two}}
  - name: basket
    surface: storefront
    request: {method: POST, url: "{{ basket }}", form: {sku: A}}
    expect: {html: {h1: basket}}
  - name: place
    surface: storefront
    request: {url: /place, follow_redirects: false}
    expect: {status: 303}
    capture: {order: {header: Location}}
  - name: order
    surface: storefront
    request: {url: "{{ order }}"}
    expect: {url: /orders/*}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_links_resolve_against_the_page_they_came_from_under_a_path_prefix(engine: str) -> None:
    with recording_server(dict(PREFIXED)) as shop:
        steps = steps_of(engine, LINKS, f"{shop.url}/en-gb")
        paths = [s.path for s in shop.seen]
    assert [(s["step"], s["outcome"], s["reason"]) for s in steps] == [
        (name, "passed", "") for name in ("start", "rooted", "relative", "basket", "place", "order")
    ]
    assert paths == [
        "/en-gb/start",
        "/en-gb/shelf/",
        "/en-gb/p/1",  # not /en-gb/en-gb/p/1
        "/en-gb/shelf/p/2",
        "/en-gb/basket",
        "/en-gb/place",
        "/en-gb/orders/ORD-9",
    ]
    assert steps[0]["redirects"] == ["303 /en-gb/start"]


EXPECT_URL = """\
journey: url
http:
  - name: order
    surface: storefront
    request: {url: /place}
    expect: {url: WANTED}
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("wanted", "passes"),
    [
        ('"**/orders/*"', True),
        ('"**/orders/ORD-9"', True),
        ("/orders/*", True),  # a path: on the surface, prefix kept
        ('"http://*/orders/*"', False),  # `*` never crosses a `/`: the prefix is in the way
        ('"**/cart"', False),
        ("{matches: 'orders/ORD-\\d+$'}", True),
        ("{matches: '^/orders/'}", False),  # searched in the whole URL, scheme and host too
    ],
)
def test_expect_url_passes_and_fails_as_it_should(engine: str, wanted: str, passes: bool) -> None:
    with recording_server(dict(PREFIXED)) as shop:
        [step] = steps_of(engine, EXPECT_URL.replace("WANTED", wanted), f"{shop.url}/en-gb")
    if passes:
        assert step["outcome"] == "passed", step["reason"]
    else:
        assert step["outcome"] == "failed"
        assert step["reason"].startswith("url: expected ")
        assert step["reason"].endswith("landed on /en-gb/orders/ORD-9")
        assert step["response"]["url"] == "/en-gb/orders/ORD-9"


def test_a_glob_with_a_template_renders_before_it_matches() -> None:
    text = EXPECT_URL.replace("WANTED", '"**/orders/{{ order }}"').replace(
        "journey: url\n", "journey: url\nvars: {order: ORD-9}\n"
    )
    with recording_server(dict(PREFIXED)) as shop:
        [step] = steps_of("httpx", text, f"{shop.url}/en-gb")
    assert step["outcome"] == "passed", step["reason"]


@pytest.mark.parametrize("engine", ENGINES)
def test_base_url_holds_each_surfaces_base_for_absolute_urls_in_bodies(engine: str) -> None:
    text = """\
journey: callback
http:
  - request:
      method: POST
      url: /api/payments
      json: {return_url: "{{ base_url.storefront }}/orders/done", api: "{{ base_url.api }}"}
"""
    with recording_server() as shop:
        [step] = steps_of(engine, text, f"{shop.url}/en-gb")
        [seen] = shop.seen
    assert step["outcome"] == "passed", step["reason"]
    assert json.loads(seen.body) == {
        "return_url": f"{shop.url}/en-gb/orders/done",
        "api": f"{shop.url}/en-gb",
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_every_request_says_it_is_synthetic(engine: str) -> None:
    with recording_server(dict(GONE)) as shop:
        steps_of(engine, OPEN_GONE, shop.url)
        agents = {s.headers.get("user-agent") for s in shop.seen}
    assert agents == {DEFAULT_USER_AGENT}


def test_a_targets_file_sets_the_user_agent_of_its_target(tmp_path: Any) -> None:
    from runner.spec.target import resolve_target

    with recording_server() as shop:
        targets = tmp_path / "targets.yaml"
        targets.write_text(
            f"targets:\n  staging:\n    base_url: {shop.url}\n    user_agent: acme-synthetic/2\n"
        )
        target = resolve_target("staging", targets)
        journey = load_journey_text("journey: ua\nhttp:\n  - request: {url: /x}\n", path="t")
        with HttpProbe() as probe:
            run = probe.run_journey(journey, target, 0)
        assert run.outcome == "passed"
        assert [s.headers.get("user-agent") for s in shop.seen] == ["acme-synthetic/2"]


RECORDED = """\
journey: order
http:
  - name: place
    request: {url: /orders}
    capture:
      number: {json: "$.number", record: true}
      total: {json: "$.total", record: true}
      kept: "$.number"
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_captures_marked_record_come_with_the_step(engine: str) -> None:
    answers: Answers = {"/orders": (200, {}, b'{"number": "ORD-5", "total": 12.5}')}
    with recording_server(answers) as shop:
        [step] = steps_of(engine, RECORDED, shop.url)
    assert step["recorded"] == [["number", "ORD-5"], ["total", "12.5"]]


def test_a_value_read_from_a_password_field_is_never_recorded() -> None:
    text = """\
journey: login
http:
  - request: {url: /login}
    capture: {pin: {html: "form input[name=pin]", attr: value, record: true}}
"""
    answers = {"/login": page('<form><input type="password" name="pin" value="9931"></form>')}
    with recording_server(answers) as shop:
        [step] = steps_of("httpx", text, shop.url)
    assert step["outcome"] == "failed" and step["recorded"] == []
    assert step["reason"].endswith("a password field cannot be recorded")


@pytest.mark.parametrize(
    "capture",
    [
        "{header: Set-Cookie, record: true}",
        "{header: authorization, record: true}",
        "{html: 'input[type=password]', attr: value, record: true}",
    ],
)
def test_recording_a_credential_is_refused_when_the_journey_loads(capture: str) -> None:
    text = f"journey: leak\nhttp:\n  - request: {{url: /login}}\n    capture: {{c: {capture}}}\n"
    with pytest.raises(SpecError) as refused:
        load_journey_text(text, path="leak.yaml")
    [problem] = refused.value.problems
    assert "cannot be recorded" in problem.message and problem.line == 4
