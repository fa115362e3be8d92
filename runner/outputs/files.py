"""Every file a run leaves in its output folder, written in one place, each atomically.

`journey run`, `journey load` and `journey report` all write the same set (results.json,
junit.xml, index.html, metrics.prom), each through the Redactor, so adding an output or a
rule about them touches this module only. (captures.jsonl is not among them: it is streamed
while the run goes, by runner.outputs.captures, and complete before these are written.)

Each file is written as `NAME.partial` and renamed over NAME (`os.replace`, atomic on one
file system): a CI step reading junit.xml while a run is stopped, or a run stopped a second
time while writing, sees the previous file or the new one, never half of one. results.json
comes last, so that its presence means the set is complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from runner.document import ResultsDocument
from runner.outputs.html import write_html
from runner.outputs.junit import write_junit
from runner.outputs.prometheus import write_prometheus
from runner.outputs.results_json import write_results
from runner.redact import Redactor

PARTIAL = ".partial"


def write_outputs(
    document: ResultsDocument,
    out_dir: Path,
    redactor: Redactor,
    *,
    artefacts_dir: Path | None = None,
) -> None:
    """Write every output of `document` into `out_dir`, which is made if it is not there.

    `artefacts_dir` is where the screenshots and traces that results.json names live (by
    default `out_dir`): `journey report --out` renders a past run elsewhere. Raises OSError
    when a file cannot be written; its `.partial` is then removed.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    base_dir = artefacts_dir or out_dir
    _atomically(out_dir / "junit.xml", lambda path: write_junit(document, path, redactor))
    _atomically(
        out_dir / "index.html",
        lambda path: write_html(document, path, redactor, base_dir=base_dir),
    )
    _atomically(out_dir / "metrics.prom", lambda path: write_prometheus(document, path, redactor))
    # results.json's writer keeps its own `.partial` and rename: it is also used on its own
    write_results(document, out_dir / "results.json", redactor)


def _atomically(path: Path, write: Callable[[Path], None]) -> None:
    partial = path.with_name(path.name + PARTIAL)
    try:
        write(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
