"""The http engine: a journey's http flow driven through an HTTP client, as a browser would.

At the protocol level a browser keeps a cookie jar (the caller's client), follows redirects
(recorded), posts forms, and reads values from JSON, HTML, headers and text (captures). The
client is any HttpClient (`runner/engines/http_client.py`): httpx for probes, FastClient for
load users. The probe-side engine (JourneyEngine) around this flow is `probe.HttpProbe`.

Imports the spec (to read it) and results (to report); never formats output, never imports
Playwright or Locust (both the load workers and the probes run this).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from runner.engines.checks import (
    ExpectPlan,
    ExpectTemplateError,
    ResponseView,
    capture_value,
    describe_template_error,
)
from runner.engines.engine import one_line, poll_until
from runner.engines.hops import Sent
from runner.engines.http_client import HttpClient
from runner.engines.memo import PerObject
from runner.engines.redirects import send
from runner.engines.urls import UnsafeUrl, refuse_foreign_secrets, resolve_url
from runner.redact import SENSITIVE_HEADERS, masked_url
from runner.results import BODY_EXCERPT_CHARS, Outcome, ResponseTrail, StepResult
from runner.spec.journey import HttpStep, Journey
from runner.spec.origins import carried_secrets, origin_of, secret_vars, target_origins
from runner.spec.target import Target
from runner.spec.template import render_text, render_value, renders_to_itself
from runner.vocabulary import ERRORED, FAILED


def run_http_flow(
    journey: Journey,
    target: Target,
    *,
    client: HttpClient,
    variables: dict[str, Any],
    default_timeout_s: float | None = None,
) -> Iterator[StepResult]:
    """Run the journey's http steps in order, yielding one result per step.

    The caller owns `client` (one virtual user's cookie jar) and `variables` (vars, data rows,
    iteration), which captures extend as the flow goes, so probes, load users and tests share
    this code. A step that does not pass ends the flow: later steps need earlier captures. No
    exception escapes for a failing target: a connection refused is an "error" step with
    `unreachable=True`, which callers read as "target down" when no run ever got an answer;
    no answer within the request's timeout is a "failed" step ("no response within 5s")
    whose duration is at least that timeout. `default_timeout_s` (a load profile's
    `request_timeout`) replaces the default for steps that set no `timeout` of their own.
    """
    ended: dict[str, float] = {}
    previous_end = time.perf_counter()
    budget_end = previous_end + journey.timeout  # the run's budget: it caps every request
    for plan in _flow_plan(journey, target, default_timeout_s):
        left = budget_end - time.perf_counter()
        if left <= 0.0:
            why = f"the journey's {journey.timeout:g}s timeout ran out before this step"
            yield StepResult(journey.journey, plan.step.name, "http", FAILED, time.time(), 0.0, why)
            return
        result = _run_step(journey.journey, plan, client, variables, ended, previous_end, left)
        yield result
        if result.outcome != "passed":
            return
        previous_end = ended[plan.step.name] = time.perf_counter()


def _run_step(
    journey: str,
    plan: _RequestPlan,
    client: HttpClient,
    variables: dict[str, Any],
    ended: Mapping[str, float],
    previous_end: float,
    left_s: float,
) -> StepResult:
    step = plan.step
    started, t0 = time.time(), time.perf_counter()
    until = step.until
    since = ended.get(until.since, previous_end) if until and until.since else previous_end
    if until is None:  # one attempt, no poll: the load path runs this for every request
        attempt, attempts = _attempt(plan, client, variables, left_s), 1
    else:

        def once() -> _Attempt:  # each poll's request capped by what is left of the run
            return _attempt(plan, client, variables, left_s - (time.perf_counter() - t0))

        polled = poll_until(once, until, started=t0, sleep=time.sleep, budget_s=left_s)
        attempt, attempts = polled.last, polled.attempts
        if polled.gave_up:
            attempt.reason = f"{polled.not_met}: {attempt.reason}"
    # A poll that never saw the change is censored at how long it waited, never dropped: the
    # freshness percentiles must see the stalls, not only the propagations that made it.
    freshness = attempt.done - since if until else None
    if attempt.outcome == "passed":
        variables.update(attempt.captures)
    return StepResult(
        journey=journey,
        step=step.name,
        engine="http",
        outcome=attempt.outcome,
        started=started,
        duration_s=time.perf_counter() - t0,
        reason=attempt.reason,
        status=attempt.status,
        responded=attempt.responded,
        unreachable=attempt.unreachable,
        freshness_s=freshness,
        attempts=attempts,
        redirects=attempt.redirects,
        response=attempt.trail,
        recorded=attempt.recorded,
    )


class _Attempt:
    """One request of a step and what came of it."""

    __slots__ = (
        "captures",
        "done",
        "outcome",
        "reason",
        "recorded",
        "redirects",
        "responded",
        "status",
        "trail",
        "unreachable",
    )

    def __init__(self) -> None:
        self.outcome: Outcome = "passed"
        self.reason = ""
        self.status: int | None = None
        self.responded = False
        self.unreachable = False
        self.redirects: tuple[str, ...] = ()
        self.captures: dict[str, Any] = {}
        self.recorded: tuple[tuple[str, str], ...] = ()
        self.trail: ResponseTrail | None = None
        self.done = 0.0

    def fail(self, outcome: Outcome, reason: str) -> _Attempt:
        """Mark the attempt failed; `done` stays at the response's arrival when there was one."""
        self.outcome, self.reason = outcome, reason
        self.done = self.done or time.perf_counter()
        return self


class _RequestPlan:
    """A step's request with what is fixed between runs worked out once, for one target.

    Most URLs and headers hold no template; joining them to the surface's base and deciding
    which target headers may go with them once, not on every request, is what lets one flow
    code serve both a probe and thousands of load requests per second. So is knowing, once,
    which `${ENV}` secrets the request carries and where (`runner/spec/origins.py`): a URL
    that renders elsewhere while it carries one is refused, and a request with secrets in
    its headers or body follows its redirects through `redirects.request_guarded`.
    """

    __slots__ = (
        "body_secrets",
        "carried",
        "expect",
        "extensions",
        "fixed_headers",
        "guarded",
        "headers",
        "own",
        "recorded",
        "secret_headers",
        "step",
        "target",
        "timeout_s",
        "url",
    )

    def __init__(
        self,
        journey: Journey,
        step: HttpStep,
        target: Target,
        default_timeout_s: float | None,
    ) -> None:
        spec = step.request
        self.step, self.target = step, target
        self.timeout_s = step_timeout_s(step, default_timeout_s)
        self.expect = ExpectPlan.of(step.expect, target.url_for(step.surface))
        # the load engine names its statistics by step (bounded), not by URL (unbounded)
        self.extensions = {"step": f"{journey.journey} / {step.name}"}
        self.own = target_origins(target)
        self.secret_headers, self.body_secrets, self.carried = _secrets_of(journey, step, target)
        self.guarded = spec.follow_redirects and bool(self.secret_headers or self.body_secrets)
        self.recorded = tuple(name for name, capture in step.capture.items() if capture.record)
        self.url: str | None = None  # the whole URL, when no template is in it
        self.headers: dict[str, str] | None = None
        self.fixed_headers = False  # True: `headers` holds them, rendered once
        if renders_to_itself(spec.url):
            try:
                self.url = self.checked_url(spec.url)
            except UnsafeUrl:
                return  # every attempt renders it again, and fails with the reason
            header_values = [*spec.headers.values()]
            if self.sends_target_headers(self.url):
                header_values += target.headers.values()
            if renders_to_itself(header_values):
                self.headers = self.render_headers(self.url, {})
                self.fixed_headers = True

    def checked_url(self, rendered: str) -> str:
        """The URL to request; raises UnsafeUrl for a scheme or a secret's destination."""
        url = resolve_url(self.target, self.step.surface, rendered)
        refuse_foreign_secrets(url, self.own, self.carried)
        return url

    def sends_target_headers(self, url: str) -> bool:
        # Target headers (often credentials) go only to the target's own origins, never to an
        # absolute URL elsewhere that a journey follows (a CDN, a payment page).
        return bool(self.target.headers) and origin_of(url) in self.own

    def render_url(self, variables: dict[str, Any]) -> str:
        if self.url is not None:
            return self.url
        return self.checked_url(render_text(self.step.request.url, variables))

    def render_headers(self, url: str, variables: dict[str, Any]) -> dict[str, str] | None:
        if self.fixed_headers:
            return self.headers
        headers: dict[str, str] | None = None
        if self.sends_target_headers(url):
            headers = {k: render_text(v, variables) for k, v in self.target.headers.items()}
        if spec_headers := self.step.request.headers:
            headers = headers or {}
            headers.update({k: render_text(v, variables) for k, v in spec_headers.items()})
        return headers


def _secrets_of(
    journey: Journey, step: HttpStep, target: Target
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Secret-bearing header names (lower case), the body's secrets, all the request's."""
    spec, by_var = step.request, secret_vars(journey)
    headers = {k.lower() for k, v in spec.headers.items() if carried_secrets(v, by_var)}
    headers |= {k.lower() for k in spec.headers if k.lower() in SENSITIVE_HEADERS}
    headers |= {k.lower() for k in target.headers}
    body = carried_secrets([spec.json_body, spec.form or {}], by_var)
    carried = body | carried_secrets([spec.url, spec.headers, spec.query], by_var)
    return frozenset(headers), body, carried


def step_timeout_s(step: HttpStep, default_timeout_s: float | None) -> float:
    """The step's own `timeout` if it set one, else `default_timeout_s`, else the default."""
    if default_timeout_s is None or "timeout" in step.request.model_fields_set:
        return step.request.timeout
    return default_timeout_s


_PlanKey = tuple[int, float | None]  # the target's identity, the default timeout


def _no_plans(journey: Journey) -> dict[_PlanKey, tuple[Target, tuple[_RequestPlan, ...]]]:
    return {}  # by target: a journey's step plans for each target it runs against


_plans_by_target = PerObject(_no_plans)


def _flow_plan(
    journey: Journey, target: Target, default_timeout_s: float | None
) -> tuple[_RequestPlan, ...]:
    """The plans of a journey's http steps for `target`, worked out on the first run."""
    plans = _plans_by_target(journey)
    key = (id(target), default_timeout_s)
    entry = plans.get(key)
    if entry is None or entry[0] is not target:
        steps = tuple(
            _RequestPlan(journey, step, target, default_timeout_s) for step in journey.http
        )
        entry = plans[key] = (target, steps)
    return entry[1]


def _attempt(
    plan: _RequestPlan, client: HttpClient, variables: dict[str, Any], left_s: float
) -> _Attempt:
    attempt = _Attempt()
    timeout_s = max(min(plan.timeout_s, left_s), 0.001)  # the step's, or what the run has left
    step = plan.step
    spec = step.request
    try:
        url = plan.render_url(variables)
        headers = plan.render_headers(url, variables)
        params = (
            {k: render_text(v, variables) for k, v in spec.query.items()} if spec.query else None
        )
        body = render_value(spec.json_body, variables) if spec.json_body is not None else None
        form = (
            None
            if spec.form is None
            else {k: render_text(v, variables) for k, v in spec.form.items()}
        )
    except UnsafeUrl as exc:  # a URL rendered to file:, or elsewhere with a secret: not sent
        return attempt.fail(FAILED, str(exc))
    except Exception as exc:  # only rendering above: any failure there is the journey's, as data
        return attempt.fail(ERRORED, f"template: {describe_template_error(exc)}")
    sent = time.perf_counter()
    try:
        request = Sent(spec.method, headers, params, body, form, plan.body_secrets)
        response, attempt.redirects = send(
            client,
            url,
            request,
            timeout=timeout_s,
            extensions=plan.extensions,
            follow_redirects=spec.follow_redirects,
            guard=(plan.own, plan.secret_headers) if plan.guarded else None,
        )
    except UnsafeUrl as exc:  # a redirect that would carry a secret elsewhere: not followed
        attempt.responded = True
        return _no_answer(attempt, url, FAILED, str(exc))
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        attempt.unreachable = True
        detail = one_line(str(exc)) or type(exc).__name__
        return _no_answer(attempt, url, ERRORED, f"cannot connect to {_origin(url)}: {detail}")
    except httpx.TimeoutException:
        attempt.responded = True  # connected, then no answer in time: the target is failing
        why = f"no response within {plan.timeout_s:g}s"
        if timeout_s < plan.timeout_s:  # capped: ~what was left, not the step's own timeout
            why = f"no response within {timeout_s:.2g}s (what was left of the journey's timeout)"
        return _no_answer(attempt, url, FAILED, why)
    except httpx.HTTPError as exc:
        attempt.responded = True
        detail = one_line(str(exc)) or type(exc).__name__
        return _no_answer(attempt, url, FAILED, f"{type(exc).__name__}: {detail}")
    except httpx.InvalidURL as exc:  # a rendered URL httpx cannot parse: nothing was sent
        return attempt.fail(FAILED, f"invalid url: {one_line(str(exc))}")
    attempt.done = time.perf_counter()
    attempt.responded = True
    attempt.status = response.status_code
    view = ResponseView(response)
    try:
        reason = plan.expect.first_failure(view, attempt.done - sent, variables)
    except ExpectTemplateError as exc:
        return attempt.fail(ERRORED, f"template in expect: {exc}")
    if reason:
        return _answered_badly(attempt, view, "failed", reason)
    for name, capture in step.capture.items():
        try:
            attempt.captures[name] = capture_value(capture, view)
        except LookupError as exc:
            return _answered_badly(attempt, view, "failed", f"capture {name}: {exc}")
    if plan.recorded:
        attempt.recorded = tuple((name, _as_text(attempt.captures[name])) for name in plan.recorded)
    return attempt


def _no_answer(attempt: _Attempt, url: str, outcome: Outcome, reason: str) -> _Attempt:
    """Fail an attempt that got no (usable) answer; its trail names the URL it went to."""
    attempt.trail = ResponseTrail(masked_url(url), None, attempt.redirects)
    return attempt.fail(outcome, reason)


def _answered_badly(
    attempt: _Attempt, view: ResponseView, outcome: Outcome, reason: str
) -> _Attempt:
    """Fail an attempt on its answer, keeping where it landed and what the body began with.

    Only failures pay for this: a passing request (the load path's common case) reads no
    body text it did not need.
    """
    response = view.response
    try:
        body = response.text.strip()[:BODY_EXCERPT_CHARS]
    except Exception:  # an undecodable body: the status and URL still tell the story
        body = ""
    attempt.trail = ResponseTrail(
        masked_url(str(response.url)), response.status_code, attempt.redirects, body
    )
    return attempt.fail(outcome, reason)


def _as_text(value: Any) -> str:
    # what captures.jsonl records: text as is, anything else (a number, an object) as JSON
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}"
