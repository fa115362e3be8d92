"""journey: synthetic retail journey tester.

Declarative YAML journeys run as probes, load rehearsals and canary checks, judged against
SLOs. The package is layered left to right (spec → engines → results → slo → outputs → cli);
see DESIGN.md.
"""

from __future__ import annotations

__version__ = "0.1.0"
