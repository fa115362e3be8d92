"""The exception tree of journey, in one place.

```
JourneyError                 base of everything we raise on purpose
├── SpecError                bad input (YAML, targets, flags, ${ENV}); carries Problems; exit 2
└── WorkersNotReady          load workers did not connect or could not load the spec; defined
                             in engines/load/master.py, turned into a SpecError by `journey load`
```

A failing step is *data* (a failed StepResult), never an exception; so is a target that never
answers: its steps end in "error" without a response, and a run whose every journey saw no
response has the verdict "error", exit 3. Anything else that reaches `cli.py` is a bug of ours
(exit 70). This module imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def format_loc(loc: tuple[str | int, ...]) -> str:
    """Render a location path the way a user reads it: `http[2].expect.status`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # A key with a line break or colon-space would break the one-line format: quote it.
            text = part if part.isprintable() and ": " not in part and part else repr(part)
            out += f".{text}" if out else text
    return out or "(document)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a user's file, placed exactly enough for an editor to jump to it."""

    path: str
    line: int
    column: int
    loc: tuple[str | int, ...]
    message: str

    def __str__(self) -> str:
        # journeys/checkout.yaml:12:5: http[2].expect.status: expected an integer, got 'ok'
        message = " ".join(self.message.split("\n")).rstrip(". ")  # one line, no full stop
        if message[:1].isupper() and not message[1:2].isupper():  # "Can't" → "can't"; "JSON" stays
            message = message[:1].lower() + message[1:]
        return f"{self.path}:{self.line}:{self.column}: {format_loc(self.loc)}: {message}"


class JourneyError(Exception):
    """Base of every error journey raises on purpose."""


class SpecError(JourneyError):
    """User input is invalid; nothing was run. Carries every problem found, sorted by place."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
