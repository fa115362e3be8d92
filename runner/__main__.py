"""`python -m runner` is the `journey` command, for environments without the console script."""

from __future__ import annotations

from runner.cli import main

if __name__ == "__main__":
    main()
