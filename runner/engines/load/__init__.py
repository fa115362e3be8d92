"""The load engine: journeys' http flows as Locust users, driven by a profile's stages.

This `__init__` imports nothing; its modules import Locust, which monkey-patches the standard
library with gevent: only `journey load` and `journey worker` may import them, never a process
that runs Playwright (see DESIGN.md, "Processes"; tests/test_layers.py runs the commands to
check). Browser probes during a rehearsal run in their own process.
"""

from __future__ import annotations
