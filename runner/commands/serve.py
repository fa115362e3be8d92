"""`journey serve`: the journeys on their schedules against every target, until SIGTERM.

Everything that can be wrong with the input is found before anything is probed (exit 2): the
journeys and targets, a secret bound for another host, the history file, the port. Then the
daemon runs (runner/serve/daemon.py) until Ctrl-C or SIGTERM, and the command returns "pass":
a server that stopped as asked exits 0, not 130. SIGHUP reloads the journey files.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from pydantic import ValidationError

from runner.commands.run import ENGINES, select_journeys
from runner.engines.browser_thread import BrowserOptions
from runner.engines.probe import ProbeOptions, ProbeRound, pairs_of
from runner.errors import Problem, SpecError
from runner.redact import Redactor
from runner.results import Engine
from runner.serve.daemon import Daemon, DaemonOptions
from runner.serve.history import History
from runner.serve.prober import Probe, Prober
from runner.serve.series import Series
from runner.serve.slis import slis_of
from runner.serve.tallies import Tallies
from runner.serve.triggers import Plan
from runner.spec import load_journeys, resolve_target
from runner.spec.loader import LoadedJourney
from runner.spec.origins import check_secret_origins
from runner.spec.schedule import Schedule
from runner.spec.secrets import secret_values
from runner.spec.target import Target
from runner.stopping import Stopping
from runner.vocabulary import PASS, RunVerdict

logger = logging.getLogger("runner.serve")

OTHER_TENANT = "other"


def serve_command(args: argparse.Namespace) -> RunVerdict:
    """Serve until stopped; return "pass" (exit 0). Raises SpecError (exit 2) for bad input."""
    stopping: Stopping = getattr(args, "stopping", None) or Stopping()
    if not getattr(args, "quiet", False):
        logging.getLogger("runner.serve").setLevel(logging.INFO)  # start-up, reloads, stop
    engines = ENGINES[args.engine]
    targets = _targets(args)
    tenants = tenant_labels(targets, args.max_tenants)
    if args.retention < args.slo_window:
        message = (
            f"retention {args.retention:g}s is shorter than the SLO window "
            f"{args.slo_window:g}s: the budgets would forget what they are over"
        )
        raise SpecError([Problem("--retention", 1, 1, ("retention",), message)])
    override = _override(args)

    secrets = Secrets(targets)

    def load_probes() -> list[Probe]:
        journeys = select_journeys(load_journeys(args.paths), args.tag, engines)
        for target in targets:
            check_secret_origins(journeys, target)  # before anything is sent: exit 2
        secrets.learn(journeys)  # a journey added by SIGHUP may bring an ${ENV} secret
        return probes_of(journeys, targets, tenants, engines, override, args.jitter)

    probes = load_probes()
    journeys = list({id(p.journey): p.journey for p in probes}.values())
    history = _history(args)
    tallies = Tallies()
    with tempfile.TemporaryDirectory(prefix="journey-serve-") as scratch:
        options = ProbeOptions(
            engines=engines,
            stopping=stopping,
            browser=BrowserOptions(
                artefacts=Path(scratch) / "artefacts",
                scrub=secrets.scrub,
                browser_path=args.browser_path,
                trace=False,  # nothing keeps a serve's traces; a failure's reason is kept
            ),
        )
        pairs = pairs_of(journeys, *targets)
        with ProbeRound(pairs, options) as probe_round:
            limits = {"http": args.concurrency, "browser": args.browser_concurrency}
            prober = Prober(
                probe_round.engines,
                history,
                tallies,
                limits={e: n for e, n in limits.items() if e in probe_round.engines},
                scrub=secrets.scrub,
            )

            def reload_probes() -> list[Probe]:
                fresh = load_probes()
                kept = [p for p in fresh if p.series.engine in probe_round.engines]
                if len(kept) < len(fresh):
                    logger.warning("reload: browser journeys need a restart of serve to start")
                return kept

            daemon = Daemon(
                prober,
                history,
                tallies,
                reload_probes,
                DaemonOptions(
                    host=args.host,
                    port=args.port,
                    location=args.location,
                    slo_window_s=args.slo_window,
                    grace_s=args.grace,
                ),
            )
            try:
                with stopping.deferred():
                    daemon.run(probes, stopping)
            except OSError as exc:
                message = f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
                raise SpecError([Problem("--port", 1, 1, ("port",), message)]) from None
    return PASS


class Secrets:
    """What serve scrubs from everything it keeps: the secrets of the journeys it probes now.

    Learnt again at every load, so a journey added by SIGHUP with a new `${ENV}` secret is
    scrubbed from its first failure's reason, as one probed from the start is.
    """

    def __init__(self, targets: list[Target]) -> None:
        self._targets = targets
        self._redactor = Redactor()

    def learn(self, journeys: list[LoadedJourney]) -> None:
        values: set[str] = set()
        for target in self._targets:
            values |= secret_values(journeys, target)
        self._redactor = Redactor(values)

    def scrub(self, text: str) -> str:
        return self._redactor.scrub(text)


def probes_of(
    journeys: list[LoadedJourney],
    targets: list[Target],
    tenants: dict[str, str],
    engines: tuple[Engine, ...],
    override: Schedule | None,
    jitter: float | None,
) -> list[Probe]:
    """Every journey's flows against every target, each with its plan and SLIs."""
    probes = []
    for journey in journeys:
        schedule = journey.spec.schedule
        if jitter is not None and override is None and schedule is not None:
            schedule = schedule.model_copy(update={"jitter": jitter})
        plan = Plan.of(schedule, override)
        for target in targets:
            for engine in journey.spec.flows():
                if engine not in engines:
                    continue
                series = Series(
                    journey.name, engine, target.name, tenants[target.name], journey.spec.channel
                )
                slis = tuple(slis_of(journey.spec, engine))
                probes.append(Probe(series, journey, target, plan, slis))
    return probes


def tenant_labels(targets: list[Target], cap: int) -> dict[str, str]:
    """Each target's tenant label: its tenant, "" for none, `other` beyond the first `cap`."""
    seen: list[str] = []
    labels = {}
    for target in targets:
        tenant = target.tenant or ""
        if tenant and tenant not in seen:
            seen.append(tenant)
        labels[target.name] = tenant if not tenant or seen.index(tenant) < cap else OTHER_TENANT
    return labels


def _targets(args: argparse.Namespace) -> list[Target]:
    path = Path(args.targets) if args.targets else None
    targets = [resolve_target(spec, path) for spec in args.target]
    names = [t.name for t in targets]
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise SpecError([Problem("--target", 1, 1, ("target",), f"{twice!r} given twice")])
    return targets


def _override(args: argparse.Namespace) -> Schedule | None:
    if args.every is not None and args.cron is not None:
        message = "give --every or --cron, not both"
        raise SpecError([Problem("--every", 1, 1, ("every",), message)])
    try:
        if args.every is not None:
            return Schedule(every=args.every, jitter=args.jitter)
        if args.cron is not None:
            return Schedule(cron=args.cron, jitter=args.jitter)
    except ValidationError as exc:  # a jitter beyond half the interval, a zero interval
        detail = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise SpecError([Problem("--every", 1, 1, ("every",), detail)]) from None
    return None


def _history(args: argparse.Namespace) -> History:
    try:
        return History(args.db, retention_s=args.retention)
    except ValueError as exc:
        raise SpecError([Problem("--db", 1, 1, ("db",), str(exc))]) from None
    except OSError as exc:
        message = f"cannot open the history {args.db!r}: {exc.strerror or exc}"
        raise SpecError([Problem("--db", 1, 1, ("db",), message)]) from None
