"""Standard streams that a closed pipe cannot fail: `journey run … | head -1` keeps its exit code.

When the reader of a pipe goes away (`head -1` has its line), every later write raises
BrokenPipeError: in a progress line mid-run, in the summary, and in the flush Python makes as
it exits, after which it exits 120 whatever the verdict was. A closed stdout is not a failure
of the run, so a guarded stream, on the first broken pipe, points its file descriptor at
/dev/null (the usual recipe: os.dup2 of devnull) and goes on: the run finishes, writes its
files, and exits with its verdict's code. Nothing else changes: a write to a stream that is
still open is the stream's own.

Imports nothing of ours; only `cli.main` installs it, for its own process.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import IO, Any, cast


class PipeSafeStream:
    """A text stream whose writes and flushes survive the reader closing the pipe."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.reader_gone = False  # the pipe broke once: everything since went to /dev/null

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_devnull()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_devnull()
            with contextlib.suppress(OSError):
                self._stream.flush()  # what was buffered now goes to /dev/null

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)  # encoding, errors, buffer, …: the stream's own

    def _to_devnull(self) -> None:
        self.reader_gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        except (OSError, ValueError):  # no descriptor to redirect: writes stay swallowed
            pass
        finally:
            os.close(devnull)


def guard_standard_streams() -> None:
    """Make sys.stdout and sys.stderr pipe-safe for the rest of this process (idempotent)."""
    if not isinstance(sys.stdout, PipeSafeStream) and sys.stdout is not None:
        sys.stdout = cast(IO[str], PipeSafeStream(sys.stdout))
    if not isinstance(sys.stderr, PipeSafeStream) and sys.stderr is not None:
        sys.stderr = cast(IO[str], PipeSafeStream(sys.stderr))
