"""Building the results document: the one place that turns judgements into what outputs read.

`build_document` makes the document of `run` and `load` alike (and of the canary and scheduled
probes to come): journey entries from judged tallies, plus entries measured elsewhere (a
rehearsal's browser probes) merged in, never appended afterwards. `rehearsal` shapes a
rehearsal's load section from its outcome and the seconds the judge split. Builders read the
judge's results and the spec; they never run anything, and outputs never build.
"""

from __future__ import annotations

from runner.builder.journeys import iso, percentiles
from runner.builder.results import build_document

__all__ = ["build_document", "iso", "percentiles"]
