"""`python -m runner` is the `journey` command, for environments without the console script."""

from __future__ import annotations

import signal
from types import FrameType


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    # Until cli.main installs its own handlers (runner/stopping.py): a Ctrl-C or SIGTERM while
    # the command is still being imported ends it with 130, nothing started, no traceback.
    raise SystemExit(130)


if __name__ == "__main__":
    for _signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(_signal, _exit_quietly)
    from runner.cli import main  # after the handlers: importing it takes ~0.1 s

    main()
