"""`journey validate PATH... [--targets FILE]`: check journeys, load profiles, targets files.

Run nothing. Each file is told apart by its top-level key, as a reader would: `journey:` is a
journey, `profile:` a load profile, `targets:` a targets file. A file with none of them is
taken for the kind whose top-level keys it shares most (a profile that lost its `profile:`
line still has `stages:` and `mix:`), a journey when nothing tells, so its problems (and their
"did you mean") come from the right model. Folders are searched as `journey run` searches
them: hidden folders and virtualenvs skipped. A profile's mix and probes are not matched to
journeys here (`journey load` does that, with its `--journeys` folder).

Every problem of every file is collected before any is reported, so one run of validate
lists them all (one line each, exit 2, by the CLI) instead of one per attempt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from rich.console import Console

from runner.errors import Problem, SpecError
from runner.spec.journey import Journey
from runner.spec.loader import journey_files, load_journey_documents
from runner.spec.loadprofile import LoadProfile, profile_from_document
from runner.spec.problems import suggest
from runner.spec.target import TargetsFile, load_targets, targets_from_document
from runner.spec.yamlsource import Document, read_document
from runner.vocabulary import PASS, RunVerdict

Kind = Literal["journey", "profile", "targets"]
_MODELS: dict[Kind, type[BaseModel]] = {
    "journey": Journey,
    "profile": LoadProfile,
    "targets": TargetsFile,
}
_NAMING_KEY: dict[Kind, str] = {"journey": "journey", "profile": "profile", "targets": "targets"}


def kind_of(data: object) -> Kind | None:
    """Which kind of spec file `data` (a parsed file) is, by its top-level keys.

    None for a mapping that shares no key with any kind (a Kubernetes manifest, a compose
    file): reported as such rather than as a journey with five unknown keys.
    """
    if not isinstance(data, dict):
        return "journey"  # its loader says what it got: an empty file, a list
    for kind, key in _NAMING_KEY.items():
        if key in data:
            return kind
    shared = {
        kind: sum(key in model.model_fields for key in data) for kind, model in _MODELS.items()
    }
    best = max(shared.values())
    if best == 0:
        return None
    return next(kind for kind, count in shared.items() if count == best)


def _no_kind(document: Document) -> Problem:
    names = list(_NAMING_KEY.values())
    close = [hint for key in document.data for hint in suggest(str(key), names)]
    message = "not a journey, load profile or targets file: expected a top-level "
    message += "journey:, profile: or targets: key"
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return Problem(document.path, 1, 1, (), message)


def validate_command(args: argparse.Namespace, console: Console | None = None) -> RunVerdict:
    """Validate every journey, profile and targets file given (and `--targets`, if given).

    Returns "pass" when everything is valid. Raises SpecError carrying every problem found in
    any of the files otherwise.
    """
    files, problems = journey_files(args.paths)
    by_kind: dict[Kind, list[Document]] = {kind: [] for kind in _MODELS}
    for path in files:
        try:
            document = read_document(path)
        except SpecError as exc:
            problems += exc.problems
            continue
        kind = kind_of(document.data)
        if kind is None:
            problems.append(_no_kind(document))
        else:
            by_kind[kind].append(document)
    try:
        load_journey_documents(by_kind["journey"])
    except SpecError as exc:
        problems += exc.problems
    for document in by_kind["profile"]:
        problems += _problems_of(profile_from_document, document)
    for document in by_kind["targets"]:
        problems += _problems_of(targets_from_document, document)
    if args.targets:
        try:
            load_targets(Path(args.targets))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)
    console = console or Console(file=sys.stdout, highlight=False, soft_wrap=True)
    console.print(f"ok: {_counted(by_kind)} valid", markup=False)
    return PASS


def _problems_of(validate: Callable[[Document], object], document: Document) -> list[Problem]:
    try:
        validate(document)
    except SpecError as exc:
        return exc.problems
    return []


def _counted(by_kind: dict[Kind, list[Document]]) -> str:
    """`3 journeys, 1 load profile`: the kinds found (`0 journeys` when none is)."""
    words = {"journey": "journey", "profile": "load profile", "targets": "targets file"}
    parts = [
        f"{len(documents)} {words[kind]}{'' if len(documents) == 1 else 's'}"
        for kind, documents in by_kind.items()
        if documents
    ]
    return ", ".join(parts) or "0 journeys"
