"""The browser engine: a journey's browser flow in real Chromium, one fresh context per run.

Per step it records wall time, the page's navigation timing and web vitals (TTFB,
DOMContentLoaded, load, LCP, CLS) when the step navigated, console errors and failed
requests. A step that fails leaves a screenshot (sensitive inputs masked) and the run's
Playwright trace (secrets scrubbed) as artefacts. Step timeouts are capped by the journey's
own budget, so a hung page fails its step in time and never hangs the run; a dead page (its
main document answered 5xx or could not be fetched) fails its step at once, saying so first.

Uses Playwright's sync API, so it must never run in a gevent-patched process (see DESIGN.md,
"Processes"). Imports the spec, results and the redactor; never formats output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Playwright, Route, sync_playwright

from runner.engines.browser_actions import (
    SENSITIVE_INPUTS,
    Patience,
    act,
    capture,
    check_expectations,
    describe_action,
)
from runner.engines.chromium import launch_chromium
from runner.engines.engine import REASON_CHARS, one_line, poll_until
from runner.engines.page_watch import (
    FLUSH_SCRIPT,
    REPORT_BINDING,
    VITALS_INIT_SCRIPT,
    DeadPage,
    PageWatch,
    masked_url,
)
from runner.engines.trace import scrub_trace
from runner.engines.variables import start_variables
from runner.results import JourneyRun, Outcome, PageTiming, StepResult
from runner.spec.browser import BrowserStep
from runner.spec.data import FeederExhausted
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.spec.template import render_text
from runner.vocabulary import ERRORED

_SLUG = re.compile(r"[^A-Za-z0-9]+")
_NO_CONNECTION = re.compile(
    r"net::ERR_(CONNECTION_REFUSED|NAME_NOT_RESOLVED|ADDRESS_UNREACHABLE|CONNECTION_TIMED_OUT)"
)
# How Playwright words a browser that is gone (crashed, killed, its driver dead): "Target page,
# context or browser has been closed", "Browser has been closed", "Connection closed".
_GONE = re.compile(r"\b(browser|target|connection)\b[^\n]*\b(closed|disconnected)\b", re.I)


def browser_gone(exc: BaseException) -> bool:
    """Whether `exc` is Playwright saying that the browser itself is gone, not a page failing."""
    return isinstance(exc, PlaywrightError) and bool(_GONE.search(str(exc)))


class BrowserSession:
    """One Chromium for a whole command; a fresh context (a new shopper) per journey run.

    Implements JourneyEngine (runner/engines/engine.py). Playwright's sync objects belong to
    the thread that made them: a session is used only by the thread that opened it (callers in
    other threads go through `probe.BrowserThread`). If Chromium dies, every later run raises
    Playwright's Error (`browser_gone` tells it) until the session is replaced.
    """

    def __init__(
        self,
        *,
        artefacts: Path,
        scrub: Callable[[str], str],
        browser_path: str | None = None,
        trace: bool = True,
    ) -> None:
        self.artefacts = artefacts
        self.scrub = scrub
        self.trace = trace
        self._playwright: Playwright = sync_playwright().start()
        try:
            self._browser = launch_chromium(self._playwright, browser_path)
        except BaseException:
            self._playwright.stop()
            raise

    @property
    def connected(self) -> bool:
        """Whether Chromium is still there (False once it crashed or was killed)."""
        return self._browser.is_connected()

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_journey(self, journey: LoadedJourney, target: Target, iteration: int) -> JourneyRun:
        """Run the journey's browser flow once, in a new context with tracing on.

        A failing page is a failed step, never an exception. Raises Playwright's Error when the
        browser itself is gone (`browser_gone`), since no run can tell anything then.
        """
        started, t0 = time.time(), time.perf_counter()
        try:
            variables = start_variables(journey, iteration)
        except FeederExhausted as exc:
            return JourneyRun(journey.name, "browser", iteration, started, 0.0, (), reason=str(exc))
        context = self._browser.new_context()
        context.add_init_script(VITALS_INIT_SCRIPT)
        try:
            _send_target_headers(context.route, target, variables)
            if self.trace:
                # DOM snapshots, not a screencast: the viewer still shows each action's page,
                # at a fraction of the cost (a failure screenshot is taken separately).
                context.tracing.start(screenshots=False, snapshots=True)
            page = context.new_page()
            watch = PageWatch(page)
            page.expose_binding(REPORT_BINDING, watch.on_page_timing)
            steps = list(self._flow(journey, target, page, watch, variables, iteration, t0))
            if all(step.outcome == "passed" for step in steps):
                # the last page reports now, not after we left; never on a failed run, whose
                # page may still be loading (a hung page would hold evaluate() forever)
                with contextlib.suppress(PlaywrightError):
                    page.evaluate(FLUSH_SCRIPT)
            steps = attach_page_timings(steps, watch.page_timings())
            failed = next((s for s in steps if s.outcome != "passed"), None)
            if failed is not None and self.trace:
                steps[steps.index(failed)] = self._with_trace(context, failed, journey, iteration)
            elif self.trace:
                context.tracing.stop()
        finally:
            context.close()
        duration = time.perf_counter() - t0
        return JourneyRun(journey.name, "browser", iteration, started, duration, tuple(steps))

    def _flow(
        self,
        journey: LoadedJourney,
        target: Target,
        page: Page,
        watch: PageWatch,
        variables: dict[str, Any],
        iteration: int,
        t0: float,
    ) -> Iterator[StepResult]:
        deadline = t0 + journey.spec.timeout
        ended: dict[str, float] = {}
        previous_end = time.perf_counter()
        for index, step in enumerate(journey.spec.browser):
            result = self._step(
                journey,
                step,
                index,
                target,
                page,
                watch,
                variables,
                iteration,
                deadline,
                ended.get(step.until.since, previous_end)
                if step.until and step.until.since
                else previous_end,
            )
            yield result
            if result.outcome != "passed":
                return
            previous_end = ended[step.name] = time.perf_counter()

    def _step(
        self,
        journey: LoadedJourney,
        step: BrowserStep,
        index: int,
        target: Target,
        page: Page,
        watch: PageWatch,
        variables: dict[str, Any],
        iteration: int,
        deadline: float,
        since: float,
    ) -> StepResult:
        started, t0 = time.time(), time.perf_counter()
        watch.begin_step()
        budget_s = max(0.001, min(step.timeout, deadline - t0))
        freshness: float | None = None
        artefacts: list[str] = []
        navigations = watch.navigations  # before the latest attempt: did that one navigate?

        def shoot() -> None:
            artefacts.append(self._screenshot(page, journey, iteration, index))

        def try_once() -> _Attempt:
            nonlocal navigations
            navigations = watch.navigations
            return _attempt(page, step, target, watch, variables, t0, budget_s, shoot)

        polled = poll_until(
            try_once,
            step.until,
            started=t0,
            budget_s=budget_s,
            sleep=lambda seconds: page.wait_for_timeout(seconds * 1000),
        )
        outcome, reason = polled.last.outcome, polled.last.reason
        if polled.gave_up:
            navigated = watch.navigations != navigations
            reason = _until_reason(polled.not_met, polled.last, page, watch, navigated)
        done = time.perf_counter()
        if step.until is not None:  # censored at the wait when the change was never seen
            freshness = done - since
        if outcome != "passed":
            shoot()
        return StepResult(
            journey=journey.name,
            step=step.name,
            engine="browser",
            outcome=outcome,
            started=started,
            duration_s=done - t0,
            reason=reason,
            responded=watch.responded,
            unreachable=outcome != "passed"
            and not watch.responded
            and bool(_NO_CONNECTION.search(reason)),
            freshness_s=freshness,
            attempts=polled.attempts,
            artefacts=tuple(a for a in artefacts if a),
            console_errors=watch.console_errors(),
            failed_requests=watch.failed_requests(),
        )

    def _screenshot(self, page: Page, journey: LoadedJourney, iteration: int, index: int) -> str:
        path = self.artefacts / f"{_slug(journey.name)}-browser-{iteration}-{index + 1}.png"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), timeout=5000, mask=[page.locator(SENSITIVE_INPUTS)])
        except PlaywrightError:
            return ""  # a page that cannot even be drawn: the reason already says why
        return str(path)

    def _with_trace(
        self, context: Any, failed: StepResult, journey: LoadedJourney, iteration: int
    ) -> StepResult:
        index = journey.spec.step_names("browser").index(failed.step) + 1
        destination = self.artefacts / f"{_slug(journey.name)}-browser-{iteration}-{index}.zip"
        with tempfile.TemporaryDirectory() as folder:
            raw = Path(folder) / "trace.zip"
            try:
                context.tracing.stop(path=str(raw))
                destination.parent.mkdir(parents=True, exist_ok=True)
                scrub_trace(raw, destination, self.scrub)
            except (PlaywrightError, OSError):
                return failed
        return dataclasses.replace(failed, artefacts=(*failed.artefacts, str(destination)))


def attach_page_timings(
    steps: list[StepResult], timings: list[tuple[float, PageTiming]]
) -> list[StepResult]:
    """Give each page's timing to the step during which its navigation started.

    A navigation that started before the first step is the first step's; between two steps,
    the later one's. When a step started several navigations, the last page is kept.
    """
    by_step: dict[int, PageTiming] = {}
    for origin, timing in timings:
        index = 0
        for position, step in enumerate(steps):
            if step.started <= origin:
                index = position
        by_step[index] = timing
    return [
        dataclasses.replace(step, page=by_step[i]) if i in by_step else step
        for i, step in enumerate(steps)
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class _Attempt:
    """How one try of a step ended; `check` is its own failed check, apart from a dead page."""

    outcome: Outcome
    reason: str = ""
    check: str | None = None


def _attempt(
    page: Page,
    step: BrowserStep,
    target: Target,
    watch: PageWatch,
    variables: dict[str, Any],
    t0: float,
    budget_s: float,
    shoot: Callable[[], None],
) -> _Attempt:
    """Run the step's action, expectations and captures once.

    A dead main document fails the attempt even when its checks held (an error page may well
    show the element a step looks for); a step that opens a page of its own (`goto`) is not
    held to the page it leaves, any other is: its action would run on the error page.
    """
    what = describe_action(step)

    def patience() -> Patience:
        return Patience(_remaining_ms(t0, budget_s, step), watch.dead)

    try:
        if step.goto is None:
            patience().raise_if_dead()
        act(page, step, target, variables, patience())
        patience().raise_if_dead()
        if step.screenshot is not None:
            shoot()
        if step.expect is not None:
            check_expectations(page, step.expect, variables, patience())
        for name, spec in step.capture.items():
            variables[name] = capture(page, spec, patience())
        patience().raise_if_dead()
    except DeadPage as exc:
        check = None if exc.check is None else _reason(what, exc.check, budget_s, ())
        reason = one_line("; ".join(filter(None, (exc.reason, check))), REASON_CHARS)
        return _Attempt("failed", reason, check)
    except (PlaywrightError, AssertionError, LookupError) as exc:
        reason = _reason(what, exc, budget_s, watch.failed_requests())
        return _Attempt("failed", reason, reason)
    except Exception as exc:  # a template that cannot render: the journey's mistake
        reason = one_line(f"template: {type(exc).__name__}: {exc}", REASON_CHARS)
        return _Attempt(ERRORED, reason, reason)
    return _Attempt("passed")


def _until_reason(
    not_met: str, last: _Attempt, page: Page, watch: PageWatch, navigated: bool
) -> str:
    """Why an `until:` gave up, naming the URL it last polled and what it found there.

    `not met within 5s (9 polls); last polled GET /stock?sku=***: answered 200; expect: …`;
    a poll that opened no page of its own names the page it looked at, and its reason.
    """
    head = f"{not_met}; last polled"
    if navigated and watch.navigation is not None:
        where = f"{watch.navigation.method} {watch.navigation.where}"
        found = [watch.navigation.outcome() or "no answer", last.check]
    else:
        where, found = masked_url(page.url), [last.reason]
    return one_line(f"{head} {where}: {'; '.join(f for f in found if f)}", REASON_CHARS)


def _remaining_ms(t0: float, budget_s: float, step: BrowserStep) -> float:
    left = budget_s - (time.perf_counter() - t0)
    if step.until is not None:
        left = min(left, max(step.until.interval, 0.25))  # one poll waits briefly, then retries
    return max(1.0, left * 1000)


def _reason(
    what: str, exc: BaseException, budget_s: float, failed_requests: tuple[str, ...]
) -> str:
    """One line: the action, Playwright's first line, what it waited for, a server error seen.

    `click #add-to-cart: #cart-count: Locator expected to be visible (POST /api/cart 503)`
    tells a reader a request of the page broke, not the selector. (A dead main document is
    said before all this, by `_attempt`: `GET /checkout answered 503; click …`.)
    """
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    first = lines[0]
    if "Timeout" in first and "exceeded" in first:
        first = f"timed out after {budget_s:g}s"
        waited = next((line.strip(" -") for line in lines if "waiting for" in line), "")
        if waited:
            first += f" {waited}"
    server_errors = [r for r in failed_requests if r.rsplit(" ", 1)[-1].startswith("5")]
    detail = f" ({server_errors[0]})" if server_errors else ""
    return one_line(f"{what}: {first}{detail}", REASON_CHARS)


def _slug(name: str) -> str:
    return _SLUG.sub("-", name).strip("-").lower() or "journey"


def _send_target_headers(
    route: Callable[..., Any], target: Target, variables: dict[str, Any]
) -> None:
    """Add the target's headers (credentials) to requests for its own origins only."""
    if not target.headers:
        return
    headers = {k: render_text(v, variables) for k, v in target.headers.items()}

    def add(route_: Route) -> None:
        route_.continue_(headers={**route_.request.headers, **headers})

    for scheme, netloc in target.origins:
        route(f"{scheme}://{netloc}/**", add)
