"""Journey files in, validated journeys out, or every problem in them, each placed.

Besides the schema, the loader checks what only the whole file can tell: unique step names, SLO
entries that name real steps, templates that use only variables defined by then, `${ENV}`
secrets that are set, data files that exist and have the columns used; and that a journey
holds no more templates than any needs (MAX_TEMPLATED_STRINGS, MAX_TEMPLATE_EXPRESSIONS). All
problems of all files are reported together, so a user fixes them in one pass. Reading and
parsing, with what hostile YAML is refused, is yamlsource.py's.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from runner.errors import Problem, SpecError
from runner.spec.data import Feeder, read_csv_rows
from runner.spec.journey import Journey
from runner.spec.problems import problems_from_validation
from runner.spec.template import BUILTIN_VARIABLES, TemplateError, compile_template
from runner.spec.yamlsource import Document, Loc, parse_yaml, read_document

JOURNEY_SUFFIXES = (".yaml", ".yml")
MAX_TEMPLATED_STRINGS = 250
"""Strings holding a `{{ }}` in one journey; the shipped journeys have at most 12."""
MAX_TEMPLATE_EXPRESSIONS = 1000
"""`{{ }}` (and `{% %}`) in one journey: each is compiled at load and rendered on every run."""


@dataclass(frozen=True, slots=True)
class LoadedJourney:
    """A validated journey with what running it needs from beside the file."""

    spec: Journey
    path: str
    feeders: dict[str, Feeder] = field(default_factory=dict)
    env_refs: frozenset[str] = frozenset()  # ${ENV} names it reads: their values are secrets

    @property
    def name(self) -> str:
        """The journey's name."""
        return self.spec.journey


def journey_files(paths: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (their *.yaml / *.yml, recursively, sorted) into files.

    Below a folder given, hidden folders (`.git`, `.venv`) and virtualenvs (a folder holding
    `pyvenv.cfg`, whatever its name) are skipped: their YAML is someone else's, not a spec.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for typed in paths:
        path = Path(typed)
        if path.is_dir():
            found = sorted(_spec_files_under(path))
            if not found:
                problems.append(Problem(typed, 1, 1, (), "no *.yaml or *.yml files in folder"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(typed, 1, 1, (), "no such file or folder"))
    return files, problems


def _spec_files_under(root: Path) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(root):
        # pruned in place, so os.walk never descends into a .git or a virtualenv
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and not (Path(folder, name, "pyvenv.cfg")).exists()
        ]
        yield from (Path(folder, name) for name in names if name.endswith(JOURNEY_SUFFIXES))


def load_journeys(paths: Sequence[str]) -> list[LoadedJourney]:
    """Load every journey under `paths`. Raises SpecError listing every problem found."""
    files, problems = journey_files(paths)
    loaded: list[LoadedJourney] = []
    documents: list[Document] = []
    for path in files:
        try:
            documents.append(read_document(path))
        except SpecError as exc:
            problems.extend(exc.problems)
    try:
        loaded = load_journey_documents(documents)
    except SpecError as exc:
        problems.extend(exc.problems)
    if problems:
        raise SpecError(problems)
    return loaded


def load_journey_documents(documents: Sequence[Document]) -> list[LoadedJourney]:
    """Validate parsed journey files, and that no two share a name. Raises SpecError."""
    problems: list[Problem] = []
    loaded: list[LoadedJourney] = []
    first_seen: dict[str, str] = {}
    for document in documents:
        try:
            journey = journey_from_document(document)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if journey.name in first_seen:
            line, col = document.marks.at(("journey",))
            message = (
                f"duplicate journey name {journey.name!r} (also in {first_seen[journey.name]})"
            )
            problems.append(Problem(document.path, line, col, ("journey",), message))
        first_seen.setdefault(journey.name, document.path)
        loaded.append(journey)
    if problems:
        raise SpecError(problems)
    return loaded


def load_journey_text(text: str, *, path: str) -> LoadedJourney:
    """Parse and validate one journey file's text. Raises SpecError with every problem."""
    return journey_from_document(parse_yaml(text, path))


def journey_from_document(document: Document) -> LoadedJourney:
    """Validate one parsed journey file. Raises SpecError with every problem."""
    path = document.path
    if not isinstance(document.data, dict):
        got = "an empty file" if document.data is None else f"a {type(document.data).__name__}"
        raise SpecError([Problem(path, 1, 1, (), f"expected a journey mapping, got {got}")])
    _check_template_counts(document)
    try:
        journey = Journey.model_validate(document.data)
    except ValidationError as exc:
        raise SpecError(problems_from_validation(exc, document, Journey)) from None
    checker = _Checker(journey, document)
    feeders = checker.feeders()
    checker.check_steps(feeders)
    if checker.problems:
        raise SpecError(checker.problems)
    return LoadedJourney(journey, path, feeders, frozenset(checker.env_refs))


def _check_template_counts(document: Document) -> None:
    """Refuse a journey with more templates than any needs, before compiling one of them.

    Each is compiled at load and rendered on every run of every virtual user: the caps bound
    that work, whatever a file holds. Placed at the first string over a cap.
    """
    strings = expressions = 0
    for loc, text in _strings(document.data, ()):
        count = text.count("{{") + text.count("{%")
        if not count:
            continue
        strings += 1
        expressions += count
        if strings > MAX_TEMPLATED_STRINGS:
            message = f"more than {MAX_TEMPLATED_STRINGS} templated strings in one journey"
        elif expressions > MAX_TEMPLATE_EXPRESSIONS:
            message = f"more than {MAX_TEMPLATE_EXPRESSIONS} {{{{ }}}} expressions in one journey"
        else:
            continue
        line, col = document.marks.at(loc)
        raise SpecError([Problem(document.path, line, col, loc, message)])


class _Checker:
    """The checks that need the whole journey, each problem placed in the document."""

    def __init__(self, journey: Journey, document: Document) -> None:
        self.journey = journey
        self.document = document
        self.problems: list[Problem] = []
        self.env_refs: set[str] = set()

    def problem(self, loc: Loc, message: str, *, key: bool = False) -> None:
        line, col = self.document.marks.at(loc, key=key)
        self.problems.append(Problem(self.document.path, line, col, loc, message))

    def feeders(self) -> dict[str, Feeder]:
        feeders: dict[str, Feeder] = {}
        folder = Path(self.document.path).parent
        for name, feeder in self.journey.data.items():
            loc: Loc = ("data", name, "csv")
            try:
                rows = read_csv_rows(folder / feeder.csv, within=folder)
            except FileNotFoundError:
                self.problem(loc, f"data file not found: {str(folder / feeder.csv)!r}")
            except (OSError, csv.Error, ValueError, UnicodeDecodeError) as exc:
                self.problem(loc, f"cannot read data file: {exc}")
            else:
                feeders[name] = Feeder(name, rows, feeder.pick)
        return feeders

    def check_steps(self, feeders: dict[str, Feeder]) -> None:
        journey, raw = self.journey, self.document.data
        defined = set(BUILTIN_VARIABLES) | set(journey.vars) | set(journey.data)
        columns = {name: feeder.columns for name, feeder in feeders.items()}
        earlier = defined - set(journey.vars)  # a var may use the vars written before it
        for name in journey.vars:
            for loc, value in _strings(raw["vars"][name], ("vars", name)):
                self.check_template(loc, value, earlier, columns)
            earlier.add(name)
        polled: dict[str, bool] = {}  # step name → has until: (in any flow)
        for flow in ("http", "browser"):
            for name, has_until in self.check_flow(flow, set(defined), columns).items():
                polled[name] = polled.get(name, False) or has_until
        self.check_slo(polled)

    def check_flow(
        self, flow: str, defined: set[str], columns: dict[str, frozenset[str]]
    ) -> dict[str, bool]:
        """Check one flow's steps in order; return its step names and whether each polls."""
        steps: dict[str, bool] = {}
        raw_steps = self.document.data.get(flow) or []
        for index, step in enumerate(getattr(self.journey, flow)):
            if step.name in steps:
                self.problem((flow, index, "name"), f"duplicate step name {step.name!r}")
            raw_step = raw_steps[index] if index < len(raw_steps) else {}
            for part, value in raw_step.items():
                if part in ("name", "capture", "until"):
                    continue
                for loc, text in _strings(value, (flow, index, part)):
                    self.check_template(loc, text, defined, columns)
            since = step.until.since if step.until else None
            if since is not None and since not in steps:
                self.problem((flow, index, "until", "since"), f"no earlier step named {since!r}")
            steps.setdefault(step.name, step.until is not None)
            defined |= set(step.capture)
        return steps

    def check_template(
        self, loc: Loc, source: str, defined: set[str], columns: dict[str, frozenset[str]]
    ) -> None:
        try:
            template = compile_template(source)
        except TemplateError as exc:
            self.problem(loc, str(exc))
            return
        except RecursionError:  # jinja's parser recurses per bracket: `{{ ((((...` would crash
            self.problem(loc, "invalid template: nested too deeply")
            return
        for name in sorted(template.names - defined):
            self.problem(loc, f"undefined template variable {name!r}")
        for name, attr in sorted(template.attributes):
            if name in columns and attr not in columns[name]:
                self.problem(loc, f"data {name!r} has no column {attr!r}")
        for ref in sorted(template.env):
            self.env_refs.add(ref)
            if ref not in os.environ:
                self.problem(loc, f"environment variable {ref} is not set")

    def check_slo(self, polled: dict[str, bool]) -> None:
        slo = self.journey.slo
        if slo is None:
            return
        for name, step_slo in slo.steps.items():
            loc: Loc = ("slo", "steps", name)
            if name not in polled:
                self.problem(loc, f"no step named {name!r} in this journey", key=True)
            elif step_slo.freshness and not polled[name]:
                self.problem((*loc, "freshness"), f"step {name!r} has no until:, so no freshness")
        if slo.freshness and not any(polled.values()):
            self.problem(("slo", "freshness"), "no step has until:, so there is no freshness")


def _strings(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Every string value (not key) inside `value`, with its location."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*loc, index))
