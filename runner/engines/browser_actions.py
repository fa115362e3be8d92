"""One browser step's action, expectations and captures, on a Playwright page.

Kept apart from the flow (`browser.py`) so each module holds one concept: here, what a step
*does* in the page; there, how steps are sequenced, timed and recorded. Every function raises
Playwright's errors (TimeoutError, AssertionError from `expect`) or DeadPage, and the flow
turns them into a one-line reason.

Every wait runs through `Patience`, in short slices, because Playwright's sync API cannot
cancel a call that is waiting: a slice that ends without success looks at the page's main
document, so a step on a page that answered 503 ends within a slice, not at its timeout.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from runner.engines.page_watch import NET_ERROR, DeadPage, Navigation
from runner.engines.urls import checked_url
from runner.redact import masked_url
from runner.spec.browser import BrowserCapture, BrowserExpect, BrowserStep, Locate
from runner.spec.journey import LINK_ATTRIBUTES
from runner.spec.origins import carried_secrets
from runner.spec.target import Target
from runner.spec.template import render_text
from runner.spec.urlmatch import UrlPattern

# Inputs whose content must never appear in a screenshot.
SENSITIVE_INPUTS = (
    "input[type=password], input[autocomplete^=cc-], input[name*=card i], "
    "input[name*=cvv i], input[name*=cvc i], input[name*=token i]"
)
# Longest a wait goes without looking at the page's document: a dead page ends a step this soon.
SLICE_MS = 250.0

T = TypeVar("T")


class Patience:
    """How long one action or check may wait, spent in slices that end early on a dead page.

    `dead` says why the page shown cannot pass (PageWatch.dead). Only idempotent calls are
    sliced (expectations, waits for an element or a load state): an action that was sent is
    never sent again, so a click gets its element waited for in slices, then runs once.
    """

    def __init__(self, timeout_ms: float, dead: Callable[[], str | None]) -> None:
        self._end = time.perf_counter() + timeout_ms / 1000
        self._dead = dead

    def left_ms(self) -> float:
        return max(1.0, (self._end - time.perf_counter()) * 1000)

    def raise_if_dead(self, check: BaseException | None = None) -> None:
        """Raise DeadPage if the page's document answered 5xx or could not be fetched."""
        reason = self._dead()
        if reason is not None:
            raise DeadPage(reason, check)

    def wait(self, call: Callable[[float], T]) -> T:
        """`call(timeout_ms)` again slice after slice until it returns or time is up.

        Raises the last slice's TimeoutError or AssertionError when time is up, and DeadPage
        as soon as a slice failed on a dead page (carrying a failed expectation along).
        """
        while True:
            left = self.left_ms()
            try:
                return call(min(SLICE_MS, left))
            except (PlaywrightTimeoutError, AssertionError) as exc:
                self.raise_if_dead(exc if isinstance(exc, AssertionError) else None)
                if left <= SLICE_MS:
                    raise

    def pause(self, page: Page, seconds: float) -> None:
        """Wait `seconds` whatever the timeout, ending early if the page dies meanwhile."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            page.wait_for_timeout(min(SLICE_MS, left * 1000))
            self.raise_if_dead()


def locate(page: Page, spec: Locate) -> Locator:
    """The element a step means; the first match unless `nth` picks another."""
    if spec.selector is not None:
        locator = page.locator(spec.selector)
    elif spec.text is not None:
        locator = page.get_by_text(spec.text)
    else:
        locator = page.get_by_role(spec.role, name=spec.name)  # type: ignore[arg-type]
    return locator.nth(spec.nth) if spec.nth is not None else locator.first


def describe_action(step: BrowserStep) -> str:
    """What the step does, for reasons: `goto /`, `click #place-order`, `fill #q`."""
    if step.goto is not None:
        return f"goto {step.goto}"
    for name in ("click", "check", "hover"):
        element = getattr(step, name)
        if element is not None:
            return f"{name} {element.describe()}"
    if step.fill is not None or step.select is not None:
        fields = step.fill if step.fill is not None else step.select
        return f"{'fill' if step.fill is not None else 'select'} {', '.join(fields or {})}"
    if step.press is not None:
        return f"press {step.press}"
    if step.wait is not None:
        return f"wait {step.wait:g}s"
    return "expect"


def act(
    page: Page,
    step: BrowserStep,
    target: Target,
    variables: Mapping[str, Any],
    patience: Patience,
) -> None:
    """Perform the step's action (none for an assertion step).

    Raises Playwright's errors, DeadPage when the page died while the action waited, or
    UnsafeUrl (a LookupError) for a goto that must not be opened: nothing is navigated then.
    """
    if step.goto is not None:
        # a goto opens a storefront page, or an absolute http(s) URL as written; never a
        # `javascript:` or `file:` one, nor a `${NAME}` it carries to another host (UnsafeUrl)
        url = render_text(step.goto, variables)
        goto(page, checked_url(target, "storefront", url, carried_secrets(step.goto, {})), patience)
    elif step.click is not None:
        _ready(locate(page, step.click), patience).click(timeout=patience.left_ms())
    elif step.fill is not None:
        for selector, value in step.fill.items():
            field = _ready(page.locator(selector).first, patience)
            field.fill(render_text(value, variables), timeout=patience.left_ms())
    elif step.press is not None:
        page.keyboard.press(render_text(step.press, variables))
    elif step.select is not None:
        for selector, value in step.select.items():
            field = _ready(page.locator(selector).first, patience)
            field.select_option(render_text(value, variables), timeout=patience.left_ms())
    elif step.check is not None:
        _ready(locate(page, step.check), patience).check(timeout=patience.left_ms())
    elif step.hover is not None:
        _ready(locate(page, step.hover), patience).hover(timeout=patience.left_ms())
    elif step.wait is not None:
        patience.pause(page, step.wait)


def goto(page: Page, url: str, patience: Patience) -> None:
    """Open `url` and wait for its `load`. Raises DeadPage when its document answered 5xx.

    Waits for the answer first (`commit`), then for `load` in slices, so a 503 whose page
    keeps loading still ends the step at once. A connection error is read from Playwright's
    message rather than from the page's events, which may arrive after `goto` has raised.
    """
    try:
        page.goto(url, timeout=patience.left_ms(), wait_until="commit")
    except PlaywrightError as exc:
        code = NET_ERROR.search(str(exc).split("\n", 1)[0])
        dead = Navigation("GET", masked_url(url), failure=code.group(0)).dead() if code else None
        if dead is not None:
            raise DeadPage(dead) from None
        raise
    patience.raise_if_dead()
    patience.wait(lambda ms: page.wait_for_load_state("load", timeout=ms))


def _ready(locator: Locator, patience: Patience) -> Locator:
    # every action below needs its element visible: waiting for that is safe to repeat
    patience.wait(lambda ms: locator.wait_for(state="visible", timeout=ms))
    return locator


def check_expectations(
    page: Page, spec: BrowserExpect, variables: Mapping[str, Any], patience: Patience
) -> None:
    """Wait (up to the timeout) for every expectation.

    Raises AssertionError or TimeoutError, or DeadPage when the page died meanwhile.
    """
    if spec.visible is not None:
        _described(expect(locate(page, spec.visible)).to_be_visible, spec.visible, patience)
    if spec.hidden is not None:
        _described(expect(locate(page, spec.hidden)).to_be_hidden, spec.hidden, patience)
    for selector, text in spec.text.items():
        _contains(page.locator(selector).first, render_text(text, variables), patience)
    for selector, count in spec.count.items():
        _counts(page.locator(selector), count, patience)
    if spec.url is not None:
        wanted = _url_wanted(spec.url, variables)
        patience.wait(lambda ms: page.wait_for_url(wanted, timeout=ms))
    if spec.title is not None:
        title = re.compile(re.escape(render_text(spec.title, variables)))
        patience.wait(lambda ms: expect(page).to_have_title(title, timeout=ms))


def _url_wanted(spec: UrlPattern, variables: Mapping[str, Any]) -> str | re.Pattern[str]:
    # a glob goes to Playwright as written (its own rules); `matches:` is searched, as in http
    if spec.glob is not None:
        return render_text(spec.glob, variables)
    return re.compile(render_text(spec.matches or "", variables))


def _contains(element: Locator, wanted: str, patience: Patience) -> None:
    patience.wait(lambda ms: expect(element).to_contain_text(wanted, timeout=ms))


def _counts(elements: Locator, count: int, patience: Patience) -> None:
    patience.wait(lambda ms: expect(elements).to_have_count(count, timeout=ms))


def _described(assertion: Any, spec: Locate, patience: Patience) -> None:
    try:
        patience.wait(lambda ms: assertion(timeout=ms))
    except AssertionError as exc:
        raise AssertionError(f"{spec.describe()}: {str(exc).splitlines()[0]}") from None
    except DeadPage as exc:
        if exc.check is None:
            raise
        check = AssertionError(f"{spec.describe()}: {str(exc.check).splitlines()[0]}")
        raise DeadPage(exc.reason, check) from None


def capture(page: Page, spec: BrowserCapture, patience: Patience) -> str:
    """Read one value from the page. Raises LookupError when it is not there."""
    if spec.text is not None:
        element = page.locator(spec.text).first
        return patience.wait(lambda ms: element.inner_text(timeout=ms)).strip()
    if spec.attribute is not None and spec.of is not None:
        owner, attribute = page.locator(spec.of).first, spec.attribute
        value = patience.wait(lambda ms: owner.get_attribute(attribute, timeout=ms))
        if value is None:
            raise LookupError(f"{spec.of} has no attribute {spec.attribute!r}")
        if attribute.lower() in LINK_ATTRIBUTES:  # resolved as the page resolves it
            return urljoin(page.url, value.strip())
        return value
    match = re.search(spec.url or ".*", page.url)
    if match is None:
        raise LookupError(f"url {page.url!r} does not match {spec.url!r}")
    return match.group(1) if match.groups() else match.group(0)
