"""docs/cli.md and the command line agree: every flag of every command is documented under its
command, and the docs name no flag or command that does not exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from runner.cli import build_parser

CLI_DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
SECTION = re.compile(r"^## `journey ([a-z-]+)`\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
FLAG = re.compile(r"`(--?[a-zA-Z][a-z0-9-]*)")
# a command as the docs write one: in a code span, or at the start of a line of a code block
COMMAND = re.compile(r"`journey ([a-z][a-z-]*)|^(?:\$ )?journey ([a-z][a-z-]*)", re.MULTILINE)
FENCED = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def code_of(text: str) -> str:
    """The code spans' and code blocks' text: prose may start a line with "journey" too."""
    spans = re.findall(r"`[^`\n]+`", FENCED.sub("", text))
    return "\n".join(spans + FENCED.findall(text))


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (subparsers,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(subparsers.choices)


def flags(parser: argparse.ArgumentParser) -> set[str]:
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option not in ("-h", "--help")
    }


def sections() -> dict[str, str]:
    return {m.group(1): m.group(2) for m in SECTION.finditer(CLI_DOC.read_text(encoding="utf-8"))}


def test_every_flag_of_every_command_is_documented_under_its_command() -> None:
    documented = sections()
    missing = []
    for name, parser in commands().items():
        assert name in documented, f"docs/cli.md has no section for journey {name}"
        written = set(FLAG.findall(documented[name]))
        missing += [f"journey {name} {flag}" for flag in sorted(flags(parser) - written)]
    assert not missing, "undocumented flags:\n" + "\n".join(missing)


def test_the_docs_name_no_flag_a_command_does_not_have() -> None:
    known = commands()
    unknown = []
    for name, text in sections().items():
        assert name in known, f"docs/cli.md documents journey {name}, which does not exist"
        unknown += [
            f"journey {name} {flag}" for flag in set(FLAG.findall(text)) - flags(known[name])
        ]
    assert not unknown, "documented flags that do not exist:\n" + "\n".join(sorted(unknown))


def test_every_journey_command_the_docs_name_exists() -> None:
    known = set(commands())
    named = {}
    for doc in [*sorted(CLI_DOC.parent.glob("*.md")), CLI_DOC.parent.parent / "README.md"]:
        for match in COMMAND.finditer(code_of(doc.read_text(encoding="utf-8"))):
            named.setdefault(match.group(1) or match.group(2), doc.name)
    assert {name: doc for name, doc in named.items() if name not in known} == {}
