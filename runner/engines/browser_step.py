"""One try of a browser step, and the one line that says why it failed.

The browser engine (browser.py) runs a journey's flow and owns the session; this module is
what happens inside one step: the action, its expectations and captures, held to the step's
share of the journey's budget, a dead main document failing it first; and the reason, which
names the action, Playwright's first line, what it waited for and a server error seen.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from runner.engines.browser_actions import (
    Patience,
    act,
    capture,
    check_expectations,
    describe_action,
)
from runner.engines.engine import REASON_CHARS, one_line
from runner.engines.page_watch import DeadPage, PageWatch
from runner.redact import masked_url
from runner.results import Outcome, PageTiming, StepResult
from runner.spec.browser import BrowserStep
from runner.spec.target import Target
from runner.vocabulary import ERRORED


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
class Attempt:
    """How one try of a step ended; `check` is its own failed check, apart from a dead page.

    `recorded` holds (capture, value) of the captures marked `record: true`, on a pass only:
    a value read by a try that then failed was never the journey's.
    """

    outcome: Outcome
    reason: str = ""
    check: str | None = None
    recorded: tuple[tuple[str, str], ...] = ()


def attempt(
    page: Page,
    step: BrowserStep,
    target: Target,
    watch: PageWatch,
    variables: dict[str, Any],
    t0: float,
    budget_s: float,
    shoot: Callable[[], None],
) -> Attempt:
    """Run the step's action, expectations and captures once.

    A dead main document fails the attempt even when its checks held (an error page may well
    show the element a step looks for); a step that opens a page of its own (`goto`) is not
    held to the page it leaves, any other is: its action would run on the error page.
    """
    what = describe_action(step)

    def patience() -> Patience:
        return Patience(_remaining_ms(t0, budget_s, step), watch.dead)

    recorded: list[tuple[str, str]] = []
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
            if spec.record:
                recorded.append((name, str(variables[name])))
        patience().raise_if_dead()
    except DeadPage as exc:
        check = None if exc.check is None else _reason(what, exc.check, budget_s, ())
        reason = one_line("; ".join(filter(None, (exc.reason, check))), REASON_CHARS)
        return Attempt("failed", reason, check)
    except (PlaywrightError, AssertionError, LookupError) as exc:
        reason = _reason(what, exc, budget_s, watch.failed_requests())
        return Attempt("failed", reason, reason)
    except Exception as exc:  # a template that cannot render: the journey's mistake
        reason = one_line(f"template: {type(exc).__name__}: {exc}", REASON_CHARS)
        return Attempt(ERRORED, reason, reason)
    return Attempt("passed", recorded=tuple(recorded))


def until_reason(not_met: str, last: Attempt, page: Page, watch: PageWatch, navigated: bool) -> str:
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
    said before all this, by `attempt`: `GET /checkout answered 503; click …`.)
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
