"""results.json: the machine-readable record of a run, and the source of every other output.

The schema is versioned (`"schema": 1`) and stable once released: fields are added, never
renamed. Latency and freshness are float seconds. The document is built by runner.builder and
typed by runner.document; this module only writes it (redacted, atomically) and reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runner.document import ResultsDocument, from_json, to_json
from runner.redact import Redactor


def write_results(document: ResultsDocument, path: Path, redactor: Redactor) -> None:
    """Write results.json (redacted), atomically: a reader never sees half a file."""
    data = to_json(document)
    text = redactor.scrub(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    partial = path.with_suffix(".json.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def read_results(path: Path) -> ResultsDocument:
    """Read a results.json written by any version with this schema.

    Raises OSError, ValueError (not JSON; DocumentError for another schema or a bad field).
    """
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    return from_json(data)
