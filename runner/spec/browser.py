"""Browser steps: what a shopper does in a real page (goto, click, fill, …) and must see.

One step is one action (or none: an assertion step), optionally followed by expectations and
captures, as a tester would write it by hand with Playwright. Selectors are Playwright's
(CSS, `text=…`, `>> nth=0`), so they are not checked as CSS at load time.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from runner.spec.literals import check_regex, check_url
from runner.spec.recording import password_field
from runner.spec.units import Duration
from runner.spec.urlmatch import UrlPattern

ACTIONS = ("goto", "click", "fill", "press", "select", "check", "hover", "wait", "screenshot")


class Locate(BaseModel):
    """An element: by selector, by visible text, or by ARIA role and name; `nth` picks one.

    A bare string is shorthand for a selector: `click: "#place-order"`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    selector: str | None = None
    text: str | None = None
    role: str | None = None
    name: str | None = None
    nth: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return {"selector": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_way(self) -> Locate:
        given = [k for k in ("selector", "text", "role") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("expected exactly one of selector, text, role")
        if self.name is not None and self.role is None:
            raise ValueError("name is only valid with role")
        return self

    def describe(self) -> str:
        """How reports name this element: `#place-order`, `text "Add to cart"`."""
        if self.selector is not None:
            base = self.selector
        elif self.text is not None:
            base = f'text "{self.text}"'
        else:
            base = f"{self.role} {self.name!r}" if self.name else str(self.role)
        return base if self.nth is None else f"{base} #{self.nth}"


class BrowserExpect(BaseModel):
    """What the page must show after the step's action."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    visible: Locate | None = None
    hidden: Locate | None = None
    text: dict[str, str] = {}  # selector → text the element must contain
    url: UrlPattern | None = None  # a glob such as "**/orders/*", or {matches: regex}
    count: dict[str, int] = {}  # selector → number of matching elements
    title: str | None = None  # text the page title must contain


class BrowserCapture(BaseModel):
    """A value read from the page: an element's text, an attribute `of` an element, the URL.

    `url:` is a regular expression over the current URL (its first group, or the whole match).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    text: str | None = None
    attribute: str | None = None
    of: str | None = None
    url: str | None = None
    record: bool = False  # write each value to the run's captures.jsonl

    @model_validator(mode="after")
    def _records_no_password(self) -> BrowserCapture:
        selector = self.text or self.of
        if self.record and selector and password_field(selector):
            raise ValueError(f"a capture from a password field cannot be recorded: {selector}")
        return self

    @field_validator("url")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        return check_regex(pattern)

    @model_validator(mode="after")
    def _exactly_one_source(self) -> BrowserCapture:
        given = [k for k in ("text", "attribute", "url") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("expected exactly one of text, attribute, url")
        if (self.attribute is None) != (self.of is None):
            raise ValueError("attribute and of go together: {attribute: href, of: 'a.link'}")
        return self


class Until(BaseModel):
    """Repeat a step until its expectations hold: the wait is recorded as freshness.

    One model for both flows, because both poll alike (runner/engines/engine.py polls for
    both): an http step is sent again, a browser step's action runs again (a goto reloads).
    Freshness runs from the end of step `since` (default: the previous step of the same flow)
    to the first attempt that met every expectation. Defined here rather than beside the http
    steps because the journey model imports the browser steps, never the other way round.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    timeout: Duration
    interval: Duration = 1.0
    since: str | None = None


BrowserUntil = Until
"""The name browser steps' `until:` had before both flows shared one model."""


class BrowserStep(BaseModel):
    """One action in a real browser page, then what the page must show."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=64)
    goto: str | None = None
    click: Locate | None = None
    fill: dict[str, str] | None = None
    press: str | None = None
    select: dict[str, str] | None = None
    check: Locate | None = None
    hover: Locate | None = None
    wait: Duration | None = None
    screenshot: str | None = None
    expect: BrowserExpect | None = None
    capture: dict[str, BrowserCapture] = {}
    until: Until | None = None
    timeout: Duration = 15.0

    @field_validator("goto")
    @classmethod
    def _path_or_web_url(cls, url: str | None) -> str | None:
        # a `javascript:` or `file:` goto would run script or read files in the probe's browser
        return None if url is None else check_url(url)

    @model_validator(mode="after")
    def _one_action(self) -> BrowserStep:
        actions = self.actions()
        if len(actions) > 1:
            raise ValueError(f"one action per step, got {', '.join(actions)}")
        if not actions and self.expect is None and not self.capture:
            raise ValueError(f"expected an action ({', '.join(ACTIONS)}), expect or capture")
        return self

    def actions(self) -> list[str]:
        """The action keys this step sets (a valid step has at most one)."""
        return [name for name in ACTIONS if getattr(self, name) is not None]


def default_step_name(step: dict[str, Any]) -> str:
    """A readable label for an unnamed step: `goto /`, `click #place-order`, `press Enter`."""
    for action in ACTIONS:
        if action in step:
            argument = step[action]
            if isinstance(argument, dict):
                argument = (
                    argument.get("selector") or argument.get("text") or next(iter(argument), "")
                )
            return f"{action} {argument}"[:64].strip()
    return "expect" if "expect" in step else "capture"
