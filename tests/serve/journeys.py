"""Small journey files for serve's tests, written into a test's folder."""

from __future__ import annotations

from pathlib import Path


def write_journey(
    folder: Path,
    name: str,
    url: str,
    *,
    every: str = "1s",
    timeout: str = "2s",
    success: str = "99%",
    step: str = "fetch",
) -> Path:
    """A one-step http journey GETting `url` (a shop path), on its own schedule."""
    path = folder / f"{name}.yaml"
    path.write_text(
        f"journey: {name}\n"
        "channel: web\n"
        f"timeout: {timeout}\n"
        f"schedule: {{every: {every}}}\n"
        f"slo: {{success: {success}, latency: {{p95: 1s}}, steps: {{{step}: {{p95: 500ms}}}}}}\n"
        "http:\n"
        f"  - name: {step}\n"
        f"    request: {{url: \"{url}\"}}\n"
        "    expect: {status: 200}\n",
        encoding="utf-8",
    )
    return path
