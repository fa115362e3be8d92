"""Running the demo shop: `serve()` prepares the database and runs uvicorn until a signal.

`serve()` validates faults and the root path first (a bad one raises ValueError before anything
starts), makes the
database (a temporary file when `db` is None), stores the startup faults in it, binds the
socket, then runs one uvicorn server in-process or `workers` uvicorn worker processes. Workers
build the app from environment variables (`DEMOSHOP_DB`, `DEMOSHOP_ROOT_PATH`,
`PROMETHEUS_MULTIPROC_DIR`), since the app factory is imported by name in each process. The root
path is the shop's, not uvicorn's `root_path` (which would prepend it to paths that lack it):
clients must send it. SIGTERM and SIGINT stop it cleanly: `serve()`
then removes what it created and returns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Final

import uvicorn
from uvicorn.supervisors import Multiprocess

from runner.demoshop.app import DB_ENV, ROOT_PATH_ENV
from runner.demoshop.database import Database
from runner.demoshop.faults import FaultStore, parse_fault_specs
from runner.demoshop.metrics import MULTIPROC_ENV
from runner.demoshop.paths import check_root_path
from runner.demoshop.schema import initialise

APP_FACTORY: Final = "runner.demoshop.app:create_app_from_environment"
GRACEFUL_SHUTDOWN_S: Final = 5  # in-flight requests (even a 60 s latency fault) get this long

# uvicorn configures this logger; the shop's start-up line belongs with its own.
logger = logging.getLogger("uvicorn.error")


def serve(
    *,
    host: str,
    port: int,
    db: str | None,
    workers: int,
    faults: list[str],
    root_path: str = "",
) -> None:
    """Run the demo shop on `host:port` until SIGTERM or SIGINT, then return.

    With a `root_path` (`/en-gb`) every route is served below it (`/en-gb/cart`) and every other
    path answers 404.

    Raises:
        ValueError: a malformed fault (the message names it) or root path, `workers` below 1,
            or a `db` whose folder does not exist. Nothing has started then.
        OSError: the address cannot be bound (e.g. the port is in use).
    """
    startup_faults = parse_fault_specs(faults)
    try:
        root_path = check_root_path(root_path)
    except ValueError as exc:
        raise ValueError(f"invalid root_path: {exc}") from None
    if workers < 1:
        raise ValueError(f"invalid workers {workers}: expected at least 1")
    if db is not None and not Path(db).resolve().parent.is_dir():
        raise ValueError(f"invalid db {db!r}: folder {str(Path(db).parent)!r} does not exist")
    with tempfile.TemporaryDirectory(prefix="demoshop-") as scratch:
        db_path = db if db is not None else os.path.join(scratch, "shop.db")
        metrics_dir = os.path.join(scratch, "metrics")
        os.mkdir(metrics_dir)
        database = Database(db_path)
        try:
            initialise(database)
            FaultStore(database).replace_all(startup_faults)
        finally:
            database.close()
        variables = {DB_ENV: db_path, ROOT_PATH_ENV: root_path, MULTIPROC_ENV: metrics_dir}
        with _environment(variables), _bind(host, port) as sock:
            config = uvicorn.Config(
                APP_FACTORY,
                factory=True,
                host=host,
                port=port,
                workers=workers,
                lifespan="on",
                access_log=False,  # one line per request would flood a load rehearsal's logs
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            )
            logger.info(
                "demo shop on http://%s:%d%s (db %s, %d workers)",
                host,
                port,
                root_path,
                db_path,
                workers,
            )
            with _signals_end_quietly():
                if workers == 1:
                    uvicorn.Server(config).run(sockets=[sock])
                else:
                    Multiprocess(config, sockets=[sock]).run()


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _bind(host: str, port: int) -> Iterator[socket.socket]:
    # Bound here rather than by uvicorn, which answers a busy port with sys.exit(1).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: accepted sockets inherit it, and asyncio only sets TCP_NODELAY on
    # sockets whose proto is TCP. Without it every keep-alive response waits ~40 ms for the
    # client's delayed ACK (Nagle), which would dwarf the shop's real latency.
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.set_inheritable(True)
        yield sock


@contextlib.contextmanager
def _signals_end_quietly() -> Iterator[None]:
    """Make SIGTERM/SIGINT end the server without killing this process afterwards.

    uvicorn shuts down on either signal, then re-raises it so the previous handler runs: the
    default one would kill us before the temporary files are removed (SIGTERM) or raise
    KeyboardInterrupt (SIGINT). Our no-op handler is that previous one while the server runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ignore(signum: int, frame: FrameType | None) -> None:
        logger.info("demo shop stopping on signal %d", signum)

    saved = {sig: signal.signal(sig, ignore) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
