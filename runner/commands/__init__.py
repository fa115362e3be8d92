"""One module per command: wiring spec, engines, slo and outputs for that command.

They sit between the pieces and `cli.py`: they return a verdict word, never an exit code, and
never call `sys.exit`.
"""

from __future__ import annotations
