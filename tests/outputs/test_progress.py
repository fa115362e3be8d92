"""Progress lines: redrawn on a terminal, plain and at most every 10 s elsewhere, none if quiet."""

from __future__ import annotations

import io

from rich.console import Console

from runner.outputs.progress import Progress, duration, runs_line


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain_console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, width=60, color_system=None, force_terminal=False)


def test_off_a_terminal_a_plain_line_at_most_every_ten_seconds_never_wrapped() -> None:
    buffer, clock = io.StringIO(), Clock()
    progress = Progress(plain_console(buffer), clock=clock)
    long = "run 1/1000 runs · 0 failed · " + "x" * 80  # longer than the console's 60 columns
    for second in range(31):
        clock.now = float(second)
        progress.update(f"{long} {second}")
    progress.close()
    lines = buffer.getvalue().splitlines()
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["0", "10", "20", "30"]
    assert all(line.startswith("run 1/1000") for line in lines)  # one line each, not wrapped


def test_quiet_prints_no_progress() -> None:
    buffer = io.StringIO()
    progress = Progress(plain_console(buffer), quiet=True)
    progress.update("run 1/2 runs")
    assert buffer.getvalue() == ""


def test_on_a_terminal_the_line_is_redrawn_and_gone_before_the_summary() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, force_terminal=True, color_system=None)
    with Progress(console) as progress:
        progress.update("run 1/2 runs")
        progress.update("run 2/2 runs")
    console.print("PASS")
    assert buffer.getvalue().rstrip().endswith("PASS")


def test_the_run_line_says_done_failed_elapsed_and_left() -> None:
    assert runs_line(10, 40, 2, 8.0) == "run 10/40 runs · 2 failed · 8s elapsed · ~24s left"
    assert runs_line(3, None, 0, 125.0) == "run 3 runs · 0 failed · 2m05s elapsed"
    assert duration(3725) == "1h02m"
