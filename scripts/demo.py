"""`make demo`: start the demo shop, probe it with the shipped journeys, rehearse load, stop it.

The probes (http and browser) write reports/<timestamp>-run/, the smoke rehearsal
reports/<timestamp>-load/ (reports/latest points at the newest), below the folder it is run
from (`make demo` runs it from the project). Exits with the worse of the two exit codes, so
`make demo` fails exactly when one of them does.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from runner.demoshop.process import running_demo_shop

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    journeys = str(ROOT / "journeys")
    with tempfile.TemporaryDirectory(prefix="journey-demo-") as folder:
        with running_demo_shop(Path(folder), workers=2) as url:
            print(f"demo: demo shop at {url}; running the shipped journeys", flush=True)
            run = [sys.executable, "-m", "runner", "run", journeys, "--target", url]
            code = subprocess.call([*run, "--repeat", "3"])
            print("demo: a 30-second smoke rehearsal under load", flush=True)
            load = [sys.executable, "-m", "runner", "load", "smoke", "--journeys", journeys]
            code = max(code, subprocess.call([*load, "--target", url, "--workers", "2"]))
    print(f"demo: report in {Path.cwd() / 'reports' / 'latest'} (exit {code})", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
