"""The load engine: journeys' http flows as Locust users, driven by a profile's stages.

Importing this package imports Locust, which monkey-patches the standard library with gevent:
only `journey load` and `journey worker` may import it, never a process that runs Playwright
(see DESIGN.md, "Processes"). Browser probes during a rehearsal run in their own process.
"""

from __future__ import annotations
