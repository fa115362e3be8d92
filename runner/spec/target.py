"""Targets: where journeys run. A journey names paths; the host comes from here.

`--target http://127.0.0.1:8000` serves every surface from one base URL; `--target staging`
looks the name up in a targets file (`targets.yaml`) that gives each named environment a base
URL per surface (`storefront`, `api`, `pos`, `export`), headers (often `${ENV}` secrets) and an
optional tenant label.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from runner.errors import Problem, SpecError
from runner.spec.journey import Surface
from runner.spec.problems import problems_from_validation
from runner.spec.template import ENV_REF
from runner.spec.yamlsource import Document, read_document

SURFACES: tuple[str, ...] = get_args(Surface)
# What every request of ours says it is, probes and load alike, so that a shop's analytics and
# logs can tell synthetic traffic from shoppers; a targets file may set its own per target.
DEFAULT_USER_AGENT = "journey-probe/0.1 (+synthetic)"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc.lower())


def _check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// URL, got {url[:40]!r}")
    return url.rstrip("/")


class Environment(BaseModel):
    """One named environment of a targets file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: str | None = None
    storefront: str | None = None
    api: str | None = None
    pos: str | None = None
    export: str | None = None
    headers: dict[str, str] = {}
    tenant: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, min_length=1, max_length=256)

    @field_validator("user_agent")
    @classmethod
    def _one_header_line(cls, agent: str | None) -> str | None:
        if agent is not None and any(ord(c) < 32 or ord(c) == 127 for c in agent):
            raise ValueError("a User-Agent is one line of printable text")
        return agent

    @field_validator("base_url", "storefront", "api", "pos", "export")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        # `${ENV}` in a URL (`https://${SHOP_HOST}`) is resolved here: hosts are not secrets.
        if url is None:
            return None
        missing = [name for name in ENV_REF.findall(url) if name not in os.environ]
        if missing:
            raise ValueError(f"environment variable {missing[0]} is not set")
        return _check_base_url(ENV_REF.sub(lambda m: os.environ[m.group(1)], url))


class TargetsFile(BaseModel):
    """`targets.yaml`: `targets: {staging: {storefront: …, api: …, headers: …}}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    targets: dict[str, Environment]


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target: a base URL per surface, headers to send, labels for reports."""

    name: str
    urls: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    tenant: str | None = None
    user_agent: str = DEFAULT_USER_AGENT  # sent by http probes and load users alike
    origins: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # frozen: computed once here, read on every request
        object.__setattr__(self, "origins", frozenset(_origin(u) for u in self.urls.values()))

    @classmethod
    def single(cls, url: str) -> Target:
        """One base URL for every surface; raises ValueError for a URL that is not http(s)."""
        base = _check_base_url(url)
        return cls(name=base, urls=dict.fromkeys(SURFACES, base))

    def base_urls(self) -> dict[str, str]:
        """Every surface's base URL: the `base_url` template variable (`{{ base_url.api }}`)."""
        return {surface: self.url_for(surface) for surface in SURFACES}

    def url_for(self, surface: str) -> str:
        """Base URL of `surface`; a targets file may omit surfaces its journeys never use."""
        return self.urls.get(surface) or self.urls.get("api") or next(iter(self.urls.values()))

    def owns(self, url: str) -> bool:
        """Whether `url` is on one of this target's surfaces (same scheme, host and port)."""
        return _origin(url) in self.origins

    def env_refs(self) -> set[str]:
        """Names of the `${ENV}` variables this target's headers read."""
        return {name for value in self.headers.values() for name in ENV_REF.findall(value)}


def load_targets(path: Path) -> TargetsFile:
    """Load and validate a targets file. Raises SpecError with every problem placed."""
    return targets_from_document(read_document(path))


def targets_from_document(document: Document) -> TargetsFile:
    """Validate one parsed targets file. Raises SpecError with every problem placed."""
    try:
        targets = TargetsFile.model_validate(document.data)
    except ValidationError as exc:
        raise SpecError(problems_from_validation(exc, document, TargetsFile)) from None
    problems = [
        Problem(
            document.path,
            *document.marks.at(("targets", name, "headers", header)),
            ("targets", name, "headers", header),
            f"environment variable {ref} is not set",
        )
        for name, env in targets.targets.items()
        for header, value in env.headers.items()
        for ref in ENV_REF.findall(value)
        if ref not in os.environ
    ]
    if problems:
        raise SpecError(problems)
    return targets


def resolve_target(spec: str, targets_path: Path | None, flag: str = "--target") -> Target:
    """Turn `--target` (or `flag`) into a Target: a URL as is, else a targets file's name.

    Raises SpecError (exit 2) for a bad URL, a missing file or an unknown name.
    """
    if "://" in spec:
        try:
            return Target.single(spec)
        except ValueError as exc:
            raise SpecError([Problem(flag, 1, 1, (flag.lstrip("-"),), str(exc))]) from None
    path = targets_path or Path("targets.yaml")
    if not path.exists():
        message = f"{spec!r} is not a URL and there is no targets file {str(path)!r}"
        raise SpecError([Problem(flag, 1, 1, (flag.lstrip("-"),), message)])
    environments = load_targets(path).targets
    if spec not in environments:
        known = ", ".join(sorted(environments)) or "none"
        message = f"no target named {spec!r} in {path} (known: {known})"
        raise SpecError([Problem(flag, 1, 1, (flag.lstrip("-"),), message)])
    env = environments[spec]
    urls = {s: u for s in SURFACES if (u := getattr(env, s) or env.base_url)}
    if not urls:
        message = f"target {spec!r} has no base_url and no surface URL"
        raise SpecError([Problem(str(path), 1, 1, ("targets", spec), message)])
    return Target(
        name=spec,
        urls=urls,
        headers=dict(env.headers),
        tenant=env.tenant,
        user_agent=env.user_agent or DEFAULT_USER_AGENT,
    )
