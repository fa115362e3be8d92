r"""`expect: {url: …}`: which URL a step must have landed on, as a glob or a regular expression.

The same model serves both flows. A glob follows Playwright's rules (`*` any characters but
`/`, `**` any characters, `{a,b}` either, `\` escapes), so `url: "**/orders/*"` means the same
in an http step as in a browser step; `url: {matches: "/orders/ORD-\d+$"}` is a regular
expression searched in the whole URL. A glob that starts with `/` is a path on the step's
surface: it is joined to the surface's base URL as request paths are (the base's own path
kept), so `/orders/*` on `http://shop/en-gb` matches `http://shop/en-gb/orders/ORD-1`.

Imports nothing of ours but the literal checks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from runner.spec.literals import check_regex

_ESCAPED = frozenset("$^+.*()|\\?{}[]")


class UrlPattern(BaseModel):
    """A glob (`url: "**/orders/*"`, shorthand for `{glob: …}`) or `{matches: regex}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    glob: str | None = None
    matches: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return {"glob": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _exactly_one(self) -> UrlPattern:
        if (self.glob is None) == (self.matches is None):
            raise ValueError("expected a glob such as '**/orders/*', or {matches: regex}")
        return self

    @field_validator("glob")
    @classmethod
    def _glob(cls, glob: str | None) -> str | None:
        if glob is not None and "{{" not in glob:
            glob_regex(glob)  # raises ValueError naming what is wrong
        return glob

    @field_validator("matches")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        return check_regex(pattern)

    def describe(self) -> str:
        r"""How a reason names the pattern: `'**/orders/*'`, `matching '/orders/\d+'`."""
        return f"{self.glob!r}" if self.glob is not None else f"matching {self.matches!r}"


@lru_cache(maxsize=1024)
def glob_regex(glob: str) -> re.Pattern[str]:
    """The regular expression Playwright makes of `glob` (its `globToRegexPattern`).

    Raises ValueError for a nested or unmatched `{`/`}`.
    """
    tokens = ["^"]
    in_group = False
    i = 0
    while i < len(glob):
        c = glob[i]
        if c == "\\" and i + 1 < len(glob):
            i += 1
            tokens.append("\\" + glob[i] if glob[i] in _ESCAPED else glob[i])
        elif c == "*":
            before = glob[i - 1] if i else ""
            stars = 1
            while i + 1 < len(glob) and glob[i + 1] == "*":
                stars, i = stars + 1, i + 1
            if stars > 1 and i + 1 < len(glob) and glob[i + 1] == "/":
                tokens.append("((.+/)|)" if before == "/" else "(.*/)")
                i += 1
            else:
                tokens.append("(.*)" if stars > 1 else "([^/]*)")
        elif c == "{":
            if in_group:
                raise ValueError(f"invalid glob {glob[:40]!r}: nested '{{' is not supported")
            in_group = True
            tokens.append("(")
        elif c == "}":
            if not in_group:
                raise ValueError(f"invalid glob {glob[:40]!r}: unmatched '}}'")
            in_group = False
            tokens.append(")")
        elif c == ",":
            tokens.append("|" if in_group else "\\,")
        else:
            tokens.append("\\" + c if c in _ESCAPED else c)
        i += 1
    if in_group:
        raise ValueError(f"invalid glob {glob[:40]!r}: unmatched '{{'")
    tokens.append("$")
    return re.compile("".join(tokens))
