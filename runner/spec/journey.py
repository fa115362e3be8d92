"""The journey model: one business flow, its http steps, expectations, captures and SLO.

Shorthands users type (`status: 200`, `capture: {sku: "$.items[0].sku"}`, `body: "Thanks"`) are
normalised *before* validation into one canonical shape, so the schema has no unions and a
mistake gives exactly one error line instead of one per union member.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import jsonpath
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from selectolax.lexbor import LexborHTMLParser

from runner.spec.browser import BrowserStep, default_step_name
from runner.spec.browser import Until as Until  # re-exported: http steps poll with it too
from runner.spec.data import DataFeeder
from runner.spec.literals import check_regex, check_url
from runner.spec.recording import UNRECORDABLE_HEADERS, password_field
from runner.spec.schedule import Schedule
from runner.spec.slo import JourneySlo
from runner.spec.units import Duration
from runner.spec.urlmatch import UrlPattern

Surface = Literal["storefront", "api", "pos", "export"]
Engine = Literal["http", "browser"]
Channel = Literal["web", "pos", "marketplace", "backoffice"]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}")
_EMPTY_HTML = LexborHTMLParser("<html></html>")


def _plain_text(value: object) -> object:
    # Query and form values: numbers and booleans are written as text, like a browser would.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


PlainText = Annotated[str, BeforeValidator(_plain_text)]


def _bound(value: object) -> object:
    # A bound is a number, or a template rendering to one: `le: "{{ stock_before - 1 }}"`.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and "{{" in value:
        return value
    raise ValueError(f"expected a number or a {{{{ template }}}}, got {value!r:.40}")


Bound = Annotated[float | str, BeforeValidator(_bound)]


def check_jsonpath(path: str) -> str:
    """Validate a JSONPath (RFC 9535) so that a typo fails at load time, not mid-run."""
    try:
        jsonpath.compile(path, strict=True)
    except jsonpath.JSONPathError as exc:
        detail = str(exc).splitlines()[0][:80]
        raise ValueError(f"invalid JSONPath {path[:40]!r}: {detail}") from None
    except RecursionError:  # the parser recurses per bracket: `$[?((((...` would crash it
        raise ValueError(f"invalid JSONPath {path[:40]!r}: nested too deeply") from None
    return path


def check_css(selector: str) -> str:
    """Validate a CSS selector against an empty document."""
    try:
        _EMPTY_HTML.css(selector)
    except Exception as exc:  # selectolax raises ValueError or SelectolaxError by version
        raise ValueError(f"invalid CSS selector {selector[:40]!r}: {exc}") from None
    return selector


JsonPath = Annotated[str, AfterValidator(check_jsonpath)]
CssSelector = Annotated[str, AfterValidator(check_css)]


class Check(BaseModel):
    """What one value must satisfy. A bare value is shorthand for `{equals: value}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    exists: bool | None = None
    equals: Any = None
    contains: str | None = None
    matches: str | None = None
    gt: Bound | None = None
    ge: Bound | None = None
    lt: Bound | None = None
    le: Bound | None = None
    count: int | None = Field(default=None, ge=0)
    attr: str | None = None  # html only: check this attribute instead of the text

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return value if isinstance(value, dict) else {"equals": value}

    @field_validator("matches")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        return check_regex(pattern)

    @property
    def has_equals(self) -> bool:
        """Whether `equals` was given (it may legitimately be null)."""
        return "equals" in self.model_fields_set


class Expect(BaseModel):
    """What a response must show. Without `status`, any status below 400 passes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    status: list[int] | None = None
    headers: dict[str, Check] = {}
    json_paths: dict[JsonPath, Check] = Field(default={}, alias="json")
    html: dict[CssSelector, Check] = {}
    body: Check | None = None
    latency: Duration | None = None
    url: UrlPattern | None = None  # the final URL, after redirects: "**/orders/*"

    @field_validator("status", mode="before")
    @classmethod
    def _one_status(cls, value: object) -> object:
        return [value] if isinstance(value, int | str) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _attr_only_in_html(self) -> Expect:
        # `attr` reads an HTML attribute; anywhere else it would be silently ignored.
        checks = [*self.headers.values(), *self.json_paths.values()]
        if self.body is not None:
            checks.append(self.body)
        if any(check.attr is not None for check in checks):
            raise ValueError("attr is only valid in html checks")
        return self

    @field_validator("body", mode="before")
    @classmethod
    def _body_shorthand(cls, value: object) -> object:
        return {"contains": value} if isinstance(value, str) else value


# A link read from a page (`href`, a form's `action`, `src`): resolved against the URL of
# the page it came from, as a browser resolves it (RFC 3986), when it is captured.
LINK_ATTRIBUTES = frozenset({"href", "action", "src", "formaction"})


class Capture(BaseModel):
    """Where a value comes from: exactly one of json, html (+attr), header, regex (+from).

    A bare string is shorthand for a JSONPath: `sku: "$.items[0].sku"`. `record: true` writes
    each value captured to the run's captures.jsonl (an order number, a basket id): an audit
    trail of what probes and load placed. Credentials cannot be recorded: a capture from
    `Set-Cookie`, `Authorization` (and the other credential headers) or a password field is
    refused at load.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    json_path: str | None = Field(default=None, alias="json")
    html: str | None = None
    attr: str | None = None
    header: str | None = None
    regex: str | None = None
    source: Literal["body", "url"] = Field(default="body", alias="from")
    record: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return {"json": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _records_no_credential(self) -> Capture:
        if not self.record:
            return self
        if self.header is not None and self.header.lower() in UNRECORDABLE_HEADERS:
            raise ValueError(f"a capture from the {self.header} header cannot be recorded")
        if self.html is not None and password_field(self.html):
            raise ValueError(f"a capture from a password field cannot be recorded: {self.html}")
        return self

    @property
    def is_link(self) -> bool:
        """Read from a page's link, or from a `Location` header: resolved when captured."""
        if self.html is not None:
            return self.attr is not None and self.attr.lower() in LINK_ATTRIBUTES
        return self.header is not None and self.header.lower() in ("location", "content-location")

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Capture:
        given = [k for k in ("json_path", "html", "header", "regex") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("expected exactly one of json, html, header, regex")
        if self.attr is not None and self.html is None:
            raise ValueError("attr is only valid with html")
        if "source" in self.model_fields_set and self.regex is None:
            raise ValueError("from is only valid with regex")
        return self

    @field_validator("json_path")
    @classmethod
    def _path(cls, path: str | None) -> str | None:
        return None if path is None else check_jsonpath(path)

    @field_validator("html")
    @classmethod
    def _selector(cls, selector: str | None) -> str | None:
        return None if selector is None else check_css(selector)

    @field_validator("regex")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        return check_regex(pattern)


class HttpRequest(BaseModel):
    """One request: a URL relative to the step's surface (or absolute), headers and a body."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    method: Method = "GET"
    url: str = Field(min_length=1)
    headers: dict[str, str] = {}
    query: dict[str, PlainText] = {}
    json_body: Any = Field(default=None, alias="json")
    form: dict[str, PlainText] | None = None
    timeout: Duration = 30.0
    follow_redirects: bool = True

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _path_or_web_url(cls, url: str) -> str:
        # `file:`, `javascript:`, `//host`: never a request a journey means (literals.py)
        return check_url(url)

    @model_validator(mode="after")
    def _one_body(self) -> HttpRequest:
        if self.json_body is not None and self.form is not None:
            raise ValueError("json and form cannot both be set: a request has one body")
        return self


class HttpStep(BaseModel):
    """One request of a journey's http flow and what its response must show."""

    # forbid: a misspelt key (`expct:`) must fail, not silently skip a check.
    # frozen: one parsed journey is shared by every run and virtual user.
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    surface: Surface = "api"
    request: HttpRequest
    expect: Expect = Expect()
    capture: dict[str, Capture] = {}
    until: Until | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, value: object) -> object:
        # An unnamed step is labelled by its request as written (a template, so bounded).
        if isinstance(value, dict) and "name" not in value:
            request = value.get("request")
            if isinstance(request, dict) and isinstance(request.get("url"), str):
                method = str(request.get("method", "GET")).upper()
                return {**value, "name": f"{method} {request['url']}"[:64]}
        return value

    @field_validator("name")
    @classmethod
    def _name_is_a_bounded_label(cls, name: str) -> str:
        # Step names become Prometheus labels and JUnit testcase names: keep them bounded.
        if not 0 < len(name) <= 64:
            raise ValueError("must be 1 to 64 characters")
        return name


class Journey(BaseModel):
    """One business flow (search, cart, checkout, POS sync, export) with one SLO."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    journey: str
    description: str = ""
    channel: Channel = "web"
    tags: list[str] = []
    slo: JourneySlo | None = None
    vars: dict[str, Any] = {}
    data: dict[str, DataFeeder] = {}
    timeout: Duration = 60.0  # a whole run's budget: a hung page fails the run, never the tool
    schedule: Schedule | None = None  # when `journey serve` runs it (runner/spec/schedule.py)
    http: list[HttpStep] = []
    browser: list[BrowserStep] = []

    @model_validator(mode="before")
    @classmethod
    def _name_browser_steps(cls, value: object) -> object:
        # Unnamed browser steps are labelled by their action; repeats get " (2)", " (3)".
        if not isinstance(value, dict) or not isinstance(value.get("browser"), list):
            return value
        seen: dict[str, int] = {}
        steps = []
        for step in value["browser"]:
            if isinstance(step, dict) and "name" not in step:
                label = default_step_name(step)
                seen[label] = seen.get(label, 0) + 1
                step = {"name": label if seen[label] == 1 else f"{label} ({seen[label]})", **step}
            steps.append(step)
        return {**value, "browser": steps}

    @model_validator(mode="after")
    def _has_a_flow(self) -> Journey:
        if not self.http and not self.browser:
            raise ValueError("expected an http: or browser: flow with at least one step")
        return self

    @field_validator("journey")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError(
                "expected 1 to 64 letters, digits, spaces, '_', '.' or '-', "
                f"starting with a letter or digit, got {name[:40]!r}"
            )
        return name

    @property
    def name(self) -> str:
        """The journey's name, as reports and labels show it."""
        return self.journey

    def flows(self) -> list[Engine]:
        """The engines this journey has a flow for, http first."""
        return [engine for engine in ("http", "browser") if getattr(self, engine)]

    def step_names(self, engine: str) -> list[str]:
        """Names of the steps of one flow, in order."""
        return [step.name for step in (self.http if engine == "http" else self.browser)]
