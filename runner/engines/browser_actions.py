"""One browser step's action, expectations and captures, on a Playwright page.

Kept apart from the flow (`browser.py`) so each module holds one concept: here, what a step
*does* in the page; there, how steps are sequenced, timed and recorded. Every function raises
Playwright's errors (TimeoutError, AssertionError from `expect`) and the flow turns them into
a one-line reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from playwright.sync_api import Locator, Page, expect

from runner.spec.browser import BrowserCapture, BrowserExpect, BrowserStep, Locate
from runner.spec.target import Target
from runner.spec.template import render_text

_ABSOLUTE = ("http://", "https://")
# Inputs whose content must never appear in a screenshot.
SENSITIVE_INPUTS = (
    "input[type=password], input[autocomplete^=cc-], input[name*=card i], "
    "input[name*=cvv i], input[name*=cvc i], input[name*=token i]"
)


def locate(page: Page, spec: Locate) -> Locator:
    """The element a step means; the first match unless `nth` picks another."""
    if spec.selector is not None:
        locator = page.locator(spec.selector)
    elif spec.text is not None:
        locator = page.get_by_text(spec.text)
    else:
        locator = page.get_by_role(spec.role, name=spec.name)  # type: ignore[arg-type]
    return locator.nth(spec.nth) if spec.nth is not None else locator.first


def page_url(target: Target, path: str) -> str:
    """An absolute URL for `goto`: as written if absolute, else on the storefront surface."""
    if path.startswith(_ABSOLUTE):
        return path
    return target.url_for("storefront") + ("" if path.startswith("/") else "/") + path


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
    timeout_ms: float,
) -> None:
    """Perform the step's action (none for an assertion step)."""
    if step.goto is not None:
        url = page_url(target, render_text(step.goto, variables))
        page.goto(url, timeout=timeout_ms, wait_until="load")
    elif step.click is not None:
        locate(page, step.click).click(timeout=timeout_ms)
    elif step.fill is not None:
        for selector, value in step.fill.items():
            page.locator(selector).first.fill(render_text(value, variables), timeout=timeout_ms)
    elif step.press is not None:
        page.keyboard.press(render_text(step.press, variables))
    elif step.select is not None:
        for selector, value in step.select.items():
            page.locator(selector).first.select_option(
                render_text(value, variables), timeout=timeout_ms
            )
    elif step.check is not None:
        locate(page, step.check).check(timeout=timeout_ms)
    elif step.hover is not None:
        locate(page, step.hover).hover(timeout=timeout_ms)
    elif step.wait is not None:
        page.wait_for_timeout(step.wait * 1000)


def check_expectations(
    page: Page, spec: BrowserExpect, variables: Mapping[str, Any], timeout_ms: float
) -> None:
    """Wait (up to the timeout) for every expectation. Raises AssertionError or TimeoutError."""
    if spec.visible is not None:
        _described(expect(locate(page, spec.visible)).to_be_visible, spec.visible, timeout_ms)
    if spec.hidden is not None:
        _described(expect(locate(page, spec.hidden)).to_be_hidden, spec.hidden, timeout_ms)
    for selector, text in spec.text.items():
        wanted = render_text(text, variables)
        expect(page.locator(selector).first).to_contain_text(wanted, timeout=timeout_ms)
    for selector, count in spec.count.items():
        expect(page.locator(selector)).to_have_count(count, timeout=timeout_ms)
    if spec.url is not None:
        page.wait_for_url(render_text(spec.url, variables), timeout=timeout_ms)
    if spec.title is not None:
        title = re.compile(re.escape(render_text(spec.title, variables)))
        expect(page).to_have_title(title, timeout=timeout_ms)


def _described(assertion: Any, spec: Locate, timeout_ms: float) -> None:
    try:
        assertion(timeout=timeout_ms)
    except AssertionError as exc:
        raise AssertionError(f"{spec.describe()}: {str(exc).splitlines()[0]}") from None


def capture(page: Page, spec: BrowserCapture, timeout_ms: float) -> str:
    """Read one value from the page. Raises LookupError when it is not there."""
    if spec.text is not None:
        return page.locator(spec.text).first.inner_text(timeout=timeout_ms).strip()
    if spec.attribute is not None and spec.of is not None:
        value = page.locator(spec.of).first.get_attribute(spec.attribute, timeout=timeout_ms)
        if value is None:
            raise LookupError(f"{spec.of} has no attribute {spec.attribute!r}")
        return value
    match = re.search(spec.url or ".*", page.url)
    if match is None:
        raise LookupError(f"url {page.url!r} does not match {spec.url!r}")
    return match.group(1) if match.groups() else match.group(0)
