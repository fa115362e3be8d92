"""Expectations and captures judged on one HTTP response.

The response body is parsed at most once per kind (JSON, HTML), only when a check or capture
needs it; JSONPaths are compiled once per distinct path. Every failure is one line that names
what was expected and what came, e.g. `json $.items[0].sku: found nothing`.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import jinja2
import jsonpath
from selectolax.lexbor import LexborHTMLParser, LexborNode

from runner.engines.engine import one_line
from runner.engines.http_client import HttpResponse
from runner.redact import masked_url
from runner.spec.journey import Capture, Check, Expect
from runner.spec.template import render_text, render_value, renders_to_itself
from runner.spec.urlmatch import UrlPattern, glob_regex

_MISSING = object()


class ExpectTemplateError(Exception):
    """A template inside an expectation could not render (the journey's mistake, as data)."""


def describe_template_error(exc: Exception) -> str:
    """One line for a template that failed at run time.

    `{{ stock - 1 }}` on a captured string raises TypeError, not a jinja2 error: both are the
    journey's mistake, reported on its step, never a crash of ours.
    """
    if isinstance(exc, jinja2.TemplateError) and exc.message:
        return exc.message
    return f"{type(exc).__name__}: {one_line(str(exc))}".rstrip(": ")


def _render(value: Any, variables: Mapping[str, Any]) -> Any:
    try:
        return render_value(value, variables)
    except Exception as exc:  # any failure inside a template is the journey's
        raise ExpectTemplateError(describe_template_error(exc)) from None


_SEGMENT = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]|\['([^'\\]*)'\]|\["([^"\\]*)"\]""")


@lru_cache(maxsize=1024)
def _compiled_path(path: str) -> Callable[[Any], list[Any]]:
    """A function returning every value `path` selects, compiled once per distinct path.

    Singular paths (`$.items[0].sku`, `$['a b']`, `$.list[-1]`: names and indices only) are
    the common case and resolve by plain indexing, 10x faster than a general query engine,
    which matters at thousands of requests per second. Anything else (wildcards, filters,
    slices, descendants) goes to python-jsonpath (RFC 9535); both select the same values.
    """
    keys: list[str | int] = []
    position = 1
    while path.startswith("$") and position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None:
            break
        name, index, quoted, double = match.groups()
        keys.append(int(index) if index is not None else (name or quoted or double or ""))
        position = match.end()
    if path.startswith("$") and position >= len(path):
        return functools.partial(_singular, tuple(keys))
    query = jsonpath.compile(path, strict=True)
    return functools.partial(_queried, query)


def _queried(query: jsonpath.JSONPath | jsonpath.CompoundJSONPath, document: Any) -> list[Any]:
    """Every value `query` selects; a primitive root holds nothing a selector can reach.

    python-jsonpath parses a `str` argument as JSON text, so a response whose whole body is
    the JSON string `"[1, 2]"` would otherwise be read as the array [1, 2].
    """
    if not isinstance(document, (dict, list)):
        return []
    return [match.obj for match in query.finditer(document)]


def _singular(keys: tuple[str | int, ...], document: Any) -> list[Any]:
    value = document
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or not -len(value) <= key < len(value):
                return []
        elif not isinstance(value, dict) or key not in value:
            return []
        value = value[key]
    return [value]


def _cut(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class ResponseView:
    """Lazily parsed views of one response, shared by its checks and captures."""

    __slots__ = ("_html", "_json", "response")

    def __init__(self, response: HttpResponse) -> None:
        self.response = response
        self._json: Any = _MISSING
        self._html: LexborHTMLParser | None = None

    def json(self) -> Any:
        """The decoded JSON body. Raises ValueError when the body is not JSON."""
        if self._json is _MISSING:
            self._json = self.response.json()
        return self._json

    def json_values(self, path: str) -> list[Any]:
        return _compiled_path(path)(self.json())

    def html_nodes(self, selector: str) -> list[LexborNode]:
        if self._html is None:
            self._html = LexborHTMLParser(self.response.text)
        return self._html.css(selector)


def _is_password_field(node: LexborNode) -> bool:
    return node.tag == "input" and (node.attributes.get("type") or "").lower() == "password"


def _node_value(node: LexborNode, attr: str | None) -> str | None:
    if attr is None:
        # Nested text joined by spaces: `<p>Order <b>ORD-1</b></p>` reads "Order ORD-1".
        return node.text(separator=" ", strip=True)
    return node.attributes.get(attr)


@dataclass(frozen=True, slots=True)
class ExpectPlan:
    """An Expect with its checks in the order they are judged, paths compiled, labels built.

    Built once per step (the http engine keeps it in the step's plan), judged per response.
    """

    status: frozenset[int] | None
    status_wanted: str  # "200 or 201", in the journey's order
    url: _UrlPlan | None
    latency: float | None
    headers: tuple[tuple[str, str, _CheckPlan], ...]
    json: tuple[tuple[Callable[[Any], list[Any]], str, _CheckPlan], ...]
    html: tuple[tuple[str, str, _CheckPlan], ...]
    body: _CheckPlan | None

    @classmethod
    def of(cls, expect: Expect, base_url: str = "") -> ExpectPlan:
        """The plan of `expect`; `base_url` (the step's surface) roots a glob such as `/x/*`."""
        return cls(
            status=None if expect.status is None else frozenset(expect.status),
            status_wanted=" or ".join(str(s) for s in expect.status or ()),
            url=None if expect.url is None else _UrlPlan.of(expect.url, base_url),
            latency=expect.latency,
            headers=tuple(
                (name, f"header {name}", _CheckPlan.of(check))
                for name, check in expect.headers.items()
            ),
            json=tuple(
                (_compiled_path(path), f"json {path}", _CheckPlan.of(check))
                for path, check in expect.json_paths.items()
            ),
            html=tuple(
                (selector, f"html {selector}", _CheckPlan.of(check))
                for selector, check in expect.html.items()
            ),
            body=None if expect.body is None else _CheckPlan.of(expect.body),
        )

    def first_failure(
        self, view: ResponseView, elapsed_s: float, variables: Mapping[str, Any]
    ) -> str | None:
        """The first expectation `view` misses, as a one-line reason; None when all hold."""
        status = view.response.status_code
        if self.status is None:
            if status >= 400:
                return f"expected a status below 400, got {status}"
        elif status not in self.status:
            return f"expected status {self.status_wanted}, got {status}"
        if self.url is not None and (reason := self.url.judge(str(view.response.url), variables)):
            return reason
        if self.latency is not None and elapsed_s > self.latency:
            return f"took {elapsed_s:.3f}s, over the {self.latency:g}s limit"
        for name, where, check in self.headers:
            value = view.response.headers.get(name)
            if reason := check.judge([] if value is None else [value], where, variables):
                return reason
        if self.json:
            try:
                document = view.json()
            except ValueError:
                kind = view.response.headers.get("content-type", "no content type")
                return f"expected a JSON body, got {kind}"
            for select, where, check in self.json:
                if reason := check.judge(select(document), where, variables):
                    return reason
        for selector, where, check in self.html:
            # an element without the asked attribute counts as not found
            values = [
                value
                for node in view.html_nodes(selector)
                if (value := _node_value(node, check.attr)) is not None
            ]
            if reason := check.judge(values, where, variables):
                return reason
        if self.body is not None:
            return self.body.judge([view.response.text], "body", variables)
        return None


@dataclass(frozen=True, slots=True)
class _UrlPlan:
    """`expect.url` as judged on every response: the pattern compiled once when it is fixed."""

    spec: UrlPattern
    base_url: str
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, spec: UrlPattern, base_url: str) -> _UrlPlan:
        source = spec.glob if spec.glob is not None else spec.matches
        fixed = renders_to_itself(source)
        return cls(spec, base_url, cls._compile(spec, str(source), base_url) if fixed else None)

    @staticmethod
    def _compile(spec: UrlPattern, source: str, base_url: str) -> re.Pattern[str]:
        if spec.glob is None:
            return re.compile(source)
        # a glob written as a path is on the step's surface, as request paths are
        return glob_regex(base_url + source if source.startswith("/") else source)

    def judge(self, url: str, variables: Mapping[str, Any]) -> str | None:
        pattern = self.pattern
        if pattern is None:
            source = self.spec.glob if self.spec.glob is not None else self.spec.matches
            try:
                pattern = self._compile(
                    self.spec, str(render_text(str(source), variables)), self.base_url
                )
            except re.error as exc:
                raise ExpectTemplateError(f"url pattern: {exc}") from None
            except Exception as exc:  # any failure inside a template is the journey's
                raise ExpectTemplateError(describe_template_error(exc)) from None
        found = pattern.match(url) if self.spec.glob is not None else pattern.search(url)
        if found is None:
            return f"url: expected {self.spec.describe()}, landed on {masked_url(url)}"
        return None


@dataclass(frozen=True, slots=True)
class _CheckPlan:
    """One Check as judged on every response: which tests apply, and which operands are fixed.

    An operand without `{` (no `{{ }}` template, no `${ENV}`) renders to itself, so it is
    used as is instead of going through the template engine on every response.
    """

    check: Check
    has_equals: bool
    equals_fixed: bool
    text_checks: bool
    bounds: tuple[tuple[str, Any], ...]  # ("gt", bound), in gt, ge, lt, le order
    needs_value: bool
    pattern: re.Pattern[str] | None  # `matches`, compiled when it is fixed

    @property
    def attr(self) -> str | None:
        return self.check.attr

    @classmethod
    def of(cls, check: Check) -> _CheckPlan:
        bounds = tuple(
            (name, bound)
            for name, bound in (
                ("gt", check.gt),
                ("ge", check.ge),
                ("lt", check.lt),
                ("le", check.le),
            )
            if bound is not None
        )
        text_checks = check.contains is not None or check.matches is not None
        fixed_pattern = check.matches is not None and renders_to_itself(check.matches)
        return cls(
            check=check,
            has_equals=check.has_equals,
            equals_fixed=renders_to_itself(check.equals),
            text_checks=text_checks,
            bounds=bounds,
            needs_value=check.has_equals or text_checks or bool(bounds),
            pattern=re.compile(check.matches) if fixed_pattern else None,  # type: ignore[arg-type]
        )

    def judge(self, found: list[Any], where: str, variables: Mapping[str, Any]) -> str | None:
        check = self.check
        if check.count is not None and len(found) != check.count:
            return f"{where}: expected {check.count} matches, got {len(found)}"
        if check.exists is not None and bool(found) != check.exists:
            return f"{where}: expected {'something' if check.exists else 'nothing'}, found " + (
                f"{_cut(found[0])}" if found else "nothing"
            )
        if not found:
            return f"{where}: found nothing" if self.needs_value else None
        actual = found[0]  # may be None: a JSON null is found, and `equals: null` matches it
        if self.has_equals:
            expected = check.equals if self.equals_fixed else _render(check.equals, variables)
            if not _equal(actual, expected):
                return f"{where}: expected {_cut(expected)}, got {_cut(actual)}"
        if actual is None and (self.text_checks or self.bounds):
            return f"{where}: expected a value, got null"
        if check.contains is not None:
            needle = str(_render(check.contains, variables))
            if needle not in str(actual):
                return f"{where}: expected to contain {_cut(needle)}, got {_cut(actual)}"
        if check.matches is not None:
            pattern = self.pattern or str(_render(check.matches, variables))
            if not re.search(pattern, str(actual)):
                shown = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
                return f"{where}: expected to match {_cut(shown)}, got {_cut(actual)}"
        return _compare(self.bounds, actual, where, variables) if self.bounds else None


def _equal(actual: Any, expected: Any) -> bool:
    # Text from HTML and headers compares with numbers as text: `equals: 2` matches "2".
    if actual == expected:
        return True
    if actual is None or expected is None or isinstance(actual, bool) != isinstance(expected, bool):
        return False
    return str(actual) == str(expected)


_HOLDS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_SIGN = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def _compare(
    bounds: tuple[tuple[str, Any], ...], actual: Any, where: str, variables: Mapping[str, Any]
) -> str | None:
    try:
        number = float(actual)
    except (TypeError, ValueError):
        return f"{where}: expected a number, got {_cut(actual)}"
    for name, template in bounds:
        try:
            bound = float(_render(template, variables))
        except (TypeError, ValueError):
            return f"{where}: the bound {template!r} did not render to a number"
        if not _HOLDS[name](number, bound):
            return f"{where}: expected {_SIGN[name]} {bound:g}, got {_cut(actual)}"
    return None


def capture_value(capture: Capture, view: ResponseView) -> Any:
    """The captured value, or raises LookupError with a one-line reason.

    A link (an `href`, `action` or `src` of the page, a `Location` header) is resolved, as a
    browser resolves it (RFC 3986), against the URL of the response it came from: after a
    redirect that is where the page landed, and a root-relative `/en-gb/p/1` stays on the
    page's origin instead of being joined to a surface's base path a second time.
    """
    value = _raw_capture(capture, view)
    if capture.is_link and isinstance(value, str):
        return urljoin(str(view.response.url), value.strip())
    return value


def _raw_capture(capture: Capture, view: ResponseView) -> Any:
    if capture.json_path is not None:
        try:
            values = view.json_values(capture.json_path)
        except ValueError:
            raise LookupError(f"json {capture.json_path}: the body is not JSON") from None
        if not values:
            raise LookupError(f"json {capture.json_path}: found nothing")
        return values[0]
    if capture.html is not None:
        nodes = view.html_nodes(capture.html)
        value = _node_value(nodes[0], capture.attr) if nodes else None
        if value is None:
            raise LookupError(f"html {capture.html}: found nothing")
        if capture.record and _is_password_field(nodes[0]):
            raise LookupError(f"html {capture.html}: a password field cannot be recorded")
        return value
    if capture.header is not None:
        header = view.response.headers.get(capture.header)
        if header is None:
            raise LookupError(f"header {capture.header}: not in the response")
        return header
    assert capture.regex is not None  # the model guarantees exactly one source
    text = str(view.response.url) if capture.source == "url" else view.response.text
    match = re.search(capture.regex, text)
    if match is None:
        raise LookupError(f"regex {capture.regex} on the {capture.source}: no match")
    return match.group(1) if match.groups() else match.group(0)
