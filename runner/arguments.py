"""The command line's words: every command, flag, default, example and exit code, for `--help`.

Shaped for people who know pytest, Locust and k6: every command has a description, examples
and the exit-code table in its help; every flag says what it does and its default; flags are
never abbreviated (`--rep 1` is an error, not `--repeat`); a misspelt flag gets "did you mean
--target?"; bare `journey` lists the commands; `JOURNEY_TARGET` is the default `--target`, as
`LOCUST_HOST` is Locust's. Parsing only: `cli.py` dispatches, the commands do the work.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import IO, NoReturn

from runner import __version__

TARGET_ENV = "JOURNEY_TARGET"

EXIT_CODES = """\
exit codes:
  0    every objective met (canary: promote)
  1    an objective missed, a rehearsal aborted by its rail (canary: roll back)
  2    invalid input: journeys, profile, targets, flags or ${ENV}; nothing was run
  3    the target could not be reached at all
  4    not enough evidence: a canary hold, or a pass not shown with --require-evidence
  70   an internal error of ours (a traceback, then "please report")
  130  interrupted by Ctrl-C or SIGTERM; what was measured is written"""

EXAMPLES = {
    "validate": """\
examples:
  journey validate journeys/
  journey validate journeys/ loadprofiles/ --targets targets.yaml""",
    "run": """\
examples:
  journey run journeys/ --target http://127.0.0.1:8000
  journey run journeys/checkout.yaml --target staging --engine browser --repeat 5
  journey run journeys/ --target staging --repeat 600 --require-evidence
  journey run journeys/ --target prod --push-to http://pushgateway:9091 --push-job probes""",
    "load": """\
examples:
  journey load flash-sale --target http://127.0.0.1:8000 --time-scale 0.05
  journey load black-friday --target staging --master --expect-workers 4""",
    "canary": """\
examples:
  journey canary journeys/checkout.yaml --baseline http://10.0.0.5 --candidate http://10.0.0.6
  journey canary journeys/ --tag critical --baseline prod --candidate prod-canary --targets t.yaml
  journey canary journeys/cart.yaml --baseline URL --candidate URL --margin latency=5% \\
      --margin errors=2x --looks 6 --iterations 150 --max-duration 20m""",
    "serve": """\
examples:
  journey serve journeys/ --target http://127.0.0.1:8000
  journey serve journeys/ --target prod-eu --target prod-us --targets targets.yaml \\
      --host 0.0.0.0 --db /var/lib/journey/serve.db --location eu-west-1
  journey serve journeys/checkout.yaml --target staging --every 30s --engine http""",
    "rules": """\
examples:
  journey rules journeys/ --out deploy/rules/journey-rules.yaml
  journey rules journeys/ --quorum 2 --serve-url 'http://journey-serve.{{ $labels.location }}:9464'
  journey rules journeys/ --push-period 15m --push-job checkout-probe > pushed-rules.yaml
  journey rules journeys/checkout.yaml --format openslo""",
    "worker": """\
examples:
  journey worker --master-host master.internal""",
    "report": """\
examples:
  journey report reports/latest/results.json
  journey report old/results.json --out rerendered/""",
    "demo-shop": """\
examples:
  journey demo-shop --port 8000
  journey demo-shop --port 8000 --workers 2 --fault checkout:latency=800ms
  journey demo-shop --port 8000 --root-path /en-gb""",
}

DESCRIPTIONS = {
    "validate": "Check journey files, load profiles and targets files without sending a "
    "request: exit 0 when all are valid, else one line per problem and exit 2.",
    "run": "Run journeys as probes (http and browser flows), once or --repeat N times, judge "
    "them against their SLOs with the evidence each verdict has, and write results.json, "
    "junit.xml, index.html and metrics.prom.",
    "load": "Rehearse a peak event: a load profile's stages on Locust workers, browser probes "
    "during the load, safety rails that abort a run that hurts the target, judged and "
    "reported like a run.",
    "canary": "Judge a release: the same journeys against a baseline and a candidate, "
    "interleaved and at the same time, looked at K planned times; roll back (exit 1) at the "
    "first metric beyond its margin, promote (exit 0) once every metric is shown within it or "
    "at the last look, hold (exit 4) when the samples cannot say or both arms miss an SLO. "
    "Every metric's verdict comes with its numbers.",
    "serve": "Probe journeys on their schedules (interval or cron, with jitter) until SIGTERM, "
    "against one or more targets side by side; keep every result in SQLite; export counters, "
    "histograms, SLO compliance, error budgets and burn rates at /metrics for Prometheus; "
    "serve a status page at / and /healthz. SIGHUP reloads the journey files.",
    "rules": "Write Prometheus recording and alerting rules from the journeys' SLOs, over the "
    "series `journey serve` exports: multiwindow, multi-burn-rate alerts (page at 14.4x over "
    "1h and 5m and at 6x over 6h and 30m, ticket at 3x over 1d and 2h and at 1x over 3d and "
    "6h, for a 30-day window), and alerts for probes absent, stale or skipping runs; or the "
    "SLOs as OpenSLO v1 documents. Sends nothing.",
    "worker": "A load worker for `journey load --master` on another host: it receives the "
    "spec from the master and generates its share of the load until the master ends.",
    "report": "Re-render every output of a past run from its results.json and exit with the "
    "code that run ended with.",
    "demo-shop": "Run the embedded demo shop, a real retail system to rehearse against, until "
    "Ctrl-C or SIGTERM (exit 0).",
}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Epilogs kept as written; every flag's help ends with its default, when it has one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "%(default)" in text or default in (None, False, [], argparse.SUPPRESS):
            return text
        if action.option_strings and action.nargs != 0:
            return f"{text} (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """argparse, strict: no abbreviations, and one line with a suggestion for a wrong flag."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        """One line on stderr and exit 2, as for every other invalid input."""
        self.exit(2, f"{self.prog}: {self.suggest(message)}\n")

    def suggest(self, message: str) -> str:
        """`message`, with "did you mean --target?" for a flag close to one of ours."""
        flags = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
        for word in re.findall(r"(?<!\w)(--?[A-Za-z][\w-]*)", message):
            close = difflib.get_close_matches(word.split("=")[0], flags, n=1, cutoff=0.6)
            if close and close[0] != word:
                return f"{message} (did you mean {close[0]}?)"
        return message


def build_parser() -> Parser:
    """The `journey` command line; `args.command` names the command chosen."""
    parser = Parser(
        prog="journey",
        description="Synthetic retail journeys: probes, load rehearsals and their evidence, "
        "judged against SLOs.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("-V", "--version", action="version", version=f"journey {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=Parser, title="commands"
    )
    _validate(_command(commands, "validate", "check journeys, profiles and targets files"))
    _run(_command(commands, "run", "run journeys as probes, judge them, write reports"))
    _load(_command(commands, "load", "a load rehearsal of a profile on Locust"))
    _canary(_command(commands, "canary", "baseline against candidate: promote, hold or roll back"))
    _serve(_command(commands, "serve", "scheduled probes: /metrics, budgets and burn rates"))
    _rules(_command(commands, "rules", "Prometheus burn-rate rules or OpenSLO from the SLOs"))
    _worker(_command(commands, "worker", "a load worker for a `journey load --master`"))
    _report(_command(commands, "report", "re-render the outputs of a results.json"))
    _demo_shop(_command(commands, "demo-shop", "run the embedded demo shop"))
    return parser


def parse(argv: Sequence[str], *, stdout: IO[str] | None = None) -> argparse.Namespace:
    """Parse `argv`; bare `journey` prints the commands and exits 2 (a command is needed).

    Unknown flags are reported by the command's own parser, which knows its flags to suggest.
    """
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    words = list(argv)
    name = next((w for w in words if w in subparsers.choices), None)
    if name is not None:  # before argparse, which would first say that --target is missing
        chosen: Parser = subparsers.choices[name]
        known = {o for a in chosen._actions for o in a.option_strings}
        for word in words[words.index(name) + 1 :]:
            if word == "--":
                break
            if word.startswith("--") and word.split("=")[0] not in known:
                chosen.error(f"unrecognized argument: {word}")
    args, extras = parser.parse_known_args(words)
    if args.command is None:
        parser.print_help(stdout or sys.stdout)
        raise SystemExit(2)
    if extras:
        subparsers.choices[args.command].error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def _command(commands: argparse._SubParsersAction[Parser], name: str, summary: str) -> Parser:
    parser = commands.add_parser(
        name,
        help=summary,
        description=textwrap.fill(DESCRIPTIONS[name], width=79),
        epilog=f"{EXAMPLES[name]}\n\n{EXIT_CODES}",
    )
    output = parser.add_argument_group("output")
    output.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    output.add_argument(
        "-v", "--verbose", action="store_true", help="also print what the engines log"
    )
    output.add_argument(
        "--no-color",
        action="store_true",
        help="no colour on the terminal (as NO_COLOR=1 does; FORCE_COLOR=1 forces it)",
    )
    return parser


def _target(parser: Parser) -> None:
    default = os.environ.get(TARGET_ENV) or None
    parser.add_argument(
        "--target",
        required=default is None,
        default=default,
        metavar="URL|NAME",
        help=f"a base URL, or an environment of the targets file (default: ${TARGET_ENV})",
    )
    targets_flag(parser)


def targets_flag(parser: argparse.ArgumentParser) -> None:
    """`--targets FILE`, which every command that takes a NAME for a target takes alike."""
    parser.add_argument(
        "--targets",
        metavar="FILE",
        help="the targets file a NAME is looked up in (default: targets.yaml)",
    )


def selection_flags(parser: argparse.ArgumentParser, engine: str, engine_help: str) -> None:
    """`--engine` (defaulting to `engine`) and `--tag`, which `canary` and `serve` take."""
    parser.add_argument(
        "--engine", choices=["http", "browser", "all"], default=engine, help=engine_help
    )
    parser.add_argument(
        "--tag", action="append", default=[], metavar="T", help="only journeys tagged T"
    )


def browser_flags(parser: argparse.ArgumentParser) -> None:
    """`--trace` and `--browser-path`, which `run` and `canary` take alike."""
    parser.add_argument(
        "--trace",
        choices=["on-failure", "off"],
        default="on-failure",
        help="keep a Playwright trace of failed browser runs, or record none",
    )
    parser.add_argument(
        "--browser-path",
        metavar="PATH",
        help="the Chromium to use (default: $JOURNEY_BROWSER, then one found)",
    )


def evidence_flags(parser: argparse.ArgumentParser) -> None:
    """`--confidence` and `--require-evidence`, which `run` and `load` take alike."""
    parser.add_argument(
        "--confidence",
        type=confidence,
        default=0.95,
        metavar="LEVEL",
        help="the confidence of every objective's one-sided bound, e.g. 95%% or 0.99",
    )
    parser.add_argument(
        "--require-evidence",
        action="store_true",
        help="exit 4 when a pass has an objective met but not shown by its samples",
    )


def _validate(parser: Parser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="journey, profile or targets files, or folders searched for *.yaml",
    )
    parser.add_argument("--targets", metavar="FILE", help="also check this targets file")


def _run(parser: Parser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="journey files, or folders of them"
    )
    _target(parser)
    parser.add_argument(
        "--engine",
        choices=["http", "browser", "all"],
        default="all",
        help="which flows to run: all runs every flow each journey has",
    )
    parser.add_argument(
        "--repeat", type=positive_int, default=1, metavar="N", help="runs per journey"
    )
    parser.add_argument(
        "--interval",
        type=seconds,
        default=0.0,
        metavar="DURATION",
        help="start rounds this far apart, start to start (seconds)",
    )
    parser.add_argument(
        "--duration",
        type=seconds,
        default=None,
        metavar="DURATION",
        help="start no round after this long",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="where outputs go (default: reports/<timestamp>-run/)"
    )
    parser.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="T",
        help="run only journeys carrying tag T; repeatable",
    )
    parser.add_argument(
        "--timeline", action="store_true", help="also write timeline.jsonl, a line per run"
    )
    browser_flags(parser)
    evidence_flags(parser)
    push = parser.add_argument_group("pushgateway")
    push.add_argument(
        "--push-to",
        type=push_url,
        default=None,
        metavar="URL",
        help="at the end, push the run's metrics to this Prometheus Pushgateway (a failed "
        "push is one line on stderr; the exit code stays the verdict's)",
    )
    push.add_argument(
        "--push-job",
        type=push_job,
        default="journey",
        metavar="NAME",
        help="the job the metrics are pushed under, with the target (and tenant) as the group",
    )


PUSH_JOB = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def push_url(text: str) -> str:
    """`--push-to`: a Pushgateway's base URL, http or https, without credentials or a query."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if (
        parts is None
        or not port_ok
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or re.search(r"/metrics(/|$)", parts.path.rstrip("/"))  # we add /metrics/job/…
    ):
        raise argparse.ArgumentTypeError(
            f"expected a Pushgateway URL such as http://pushgateway:9091, got {text[:40]!r}"
        )
    return text.rstrip("/")


def push_job(text: str) -> str:
    """`--push-job`: a bounded job name, 1 to 64 of letters, digits and `_.:-` (no `/`)."""
    if not PUSH_JOB.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"expected 1 to 64 letters, digits or _.:- such as nightly-probe, got {text[:40]!r}"
        )
    return text


MARGIN_KEYS = {
    "latency": "relative",
    "freshness": "relative",
    "floor": "duration",
    "errors": "ratio",
    "slow": "ratio",
}


def _canary(parser: Parser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="journey files, or folders of them"
    )
    for arm, what in (("baseline", "the version live now"), ("candidate", "the release")):
        parser.add_argument(
            f"--{arm}",
            required=True,
            metavar="URL|NAME",
            help=f"{what}: a base URL, or an environment of the targets file (an arm chosen "
            "by a header or cookie on the same URL is an environment with that header)",
        )
    targets_flag(parser)
    selection_flags(
        parser, "http", "which flows to compare (browser canaries are slow: 12 × 75 runs per arm)"
    )
    plan = parser.add_argument_group("the plan")
    plan.add_argument("--looks", type=positive_int, default=12, metavar="K", help="planned looks")
    plan.add_argument(
        "--iterations",
        type=positive_int,
        default=75,
        metavar="N",
        help="runs of each journey per arm per look",
    )
    plan.add_argument(
        "--warmup",
        type=non_negative_int,
        default=10,
        metavar="N",
        help="runs of each journey per arm first, discarded (the baseline's fix the margin floor)",
    )
    plan.add_argument(
        "--alpha",
        type=alpha,
        default=0.02,
        metavar="A",
        help="the chance of rolling back a release whose every metric sits at its margin",
    )
    plan.add_argument(
        "--margin",
        action="append",
        type=margin,
        default=[],
        metavar="KIND=VALUE",
        help="how much worse the candidate may be: latency=10%%, freshness=10%%, floor=5ms "
        "(the least latency margin), errors=1.5x, slow=1.5x; repeatable",
    )
    plan.add_argument(
        "--max-duration",
        type=seconds,
        default=None,
        metavar="DURATION",
        help="stop after this long and hold, unless a metric rolled back (default: no bound)",
    )
    plan.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="the seed of the arms' random run order (default: a new one, in results.json)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="where outputs go (default: reports/<timestamp>-canary/)"
    )
    browser_flags(parser)
    parser.add_argument(
        "--confidence",
        type=confidence,
        default=0.95,
        metavar="LEVEL",
        help="the confidence of each arm's SLO bounds, e.g. 95%% or 0.99",
    )


def margin(text: str) -> tuple[str, float]:
    """`latency=10%`, `floor=5ms`, `errors=1.5x`: a margin's kind and value."""
    key, _, value = text.partition("=")
    kind = MARGIN_KEYS.get(key.strip())
    if kind is None or not value:
        known = ", ".join(f"{k}=…" for k in MARGIN_KEYS)
        raise argparse.ArgumentTypeError(f"expected one of {known}, got {text!r}")
    value = value.strip()
    try:
        if kind == "duration":
            from runner.spec.units import parse_duration

            number = parse_duration(value)
        elif kind == "relative":
            number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
            if not value.endswith("%") and number > 1.0:
                number = -1.0  # "latency=10" is 10 %, or 1000 %: say which, with a %
        else:
            number = float(value[:-1] if value.endswith(("x", "×")) else value)
    except ValueError:
        number = -1.0
    if number < 0 or (kind == "ratio" and number < 1.0) or not number < float("inf"):
        wants = {"duration": "a duration like 5ms", "relative": "a share like 10%"}.get(
            kind, "a ratio of at least 1, like 1.5x"
        )
        raise argparse.ArgumentTypeError(f"{key}: expected {wants}, got {value!r}")
    return key.strip(), number


def alpha(text: str) -> float:
    """`0.02` or `2%`: a one-sided error rate below 50 %."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"expected a level such as 0.02 or 2%, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """A count flag that may be 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return value


def _load(parser: Parser) -> None:
    parser.add_argument(
        "profile", metavar="PROFILE", help="a profile file, or a shipped profile's name"
    )
    parser.add_argument(
        "--journeys",
        default="journeys",
        metavar="DIR",
        help="where the journeys the profile names are",
    )
    _target(parser)
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="local worker processes (default: one per core)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="scale every stage and window: 0.05 plays 13 minutes in 39 s",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="where outputs go (default: reports/<timestamp>-load/)"
    )
    parser.add_argument(
        "--master", action="store_true", help="start no local worker: wait for remote ones"
    )
    parser.add_argument(
        "--expect-workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="with --master, the workers to wait for",
    )
    parser.add_argument(
        "--master-port", type=int, default=5557, metavar="PORT", help="the port workers use"
    )
    parser.add_argument(
        "--no-probes", action="store_true", help="skip the profile's browser probes"
    )
    evidence_flags(parser)


SERVE_EXIT_CODES = """\
exit codes:
  0    stopped by SIGTERM or Ctrl-C, after the runs in flight ended or their grace ran out
  2    invalid input: journeys, targets, flags, the history file, or a port it cannot use
  70   an internal error of ours (a traceback, then "please report")"""


def _serve(parser: Parser) -> None:
    parser.epilog = f"{EXAMPLES['serve']}\n\n{SERVE_EXIT_CODES}"
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="journey files, or folders of them"
    )
    default = os.environ.get(TARGET_ENV) or None
    parser.add_argument(
        "--target",
        action="append",
        required=default is None,
        metavar="URL|NAME",
        help="a base URL, or an environment of the targets file; repeat it to probe several "
        f"(tenants, regions) side by side (default: ${TARGET_ENV})",
    )
    targets_flag(parser)
    selection_flags(parser, "all", "which flows to probe, where a journey has them")
    where = parser.add_argument_group("where")
    where.add_argument("--host", default="127.0.0.1", help="the address /metrics listens on")
    where.add_argument("--port", type=port, default=9464, help="the port /metrics listens on")
    where.add_argument(
        "--db",
        default="journey-serve.db",
        metavar="FILE",
        help="the SQLite history, kept across restarts",
    )
    where.add_argument(
        "--location",
        default="",
        metavar="NAME",
        help="where this serve probes from (a region): the `location` label",
    )
    when = parser.add_argument_group("schedules")
    when.add_argument(
        "--every",
        type=seconds,
        metavar="DURATION",
        help="run every journey this often, whatever its schedule: says (default: the "
        "journey's own, else 1m)",
    )
    when.add_argument(
        "--cron",
        metavar="EXPR",
        type=cron,
        help="run every journey on this cron expression (UTC), whatever its schedule: says",
    )
    when.add_argument(
        "--jitter",
        type=seconds,
        metavar="DURATION",
        help="move each fire by up to this much at random (default: a tenth of the interval, "
        "at most 30s)",
    )
    bounds = parser.add_argument_group("bounds")
    bounds.add_argument(
        "--concurrency",
        type=positive_int,
        default=8,
        metavar="N",
        help="most http runs in flight at once; a fire beyond it is skipped, counted apart",
    )
    bounds.add_argument(
        "--browser-concurrency",
        type=positive_int,
        default=1,
        metavar="N",
        help="most browser runs in flight (queued on the one browser) at once",
    )
    bounds.add_argument(
        "--grace",
        type=seconds,
        default=10.0,
        metavar="DURATION",
        help="how long SIGTERM waits for runs in flight before abandoning them",
    )
    slo = parser.add_argument_group("budgets")
    slo.add_argument(
        "--slo-window",
        type=seconds,
        default=30 * 86400.0,
        metavar="DURATION",
        help="the window compliance and error budgets are over",
    )
    slo.add_argument(
        "--retention",
        type=seconds,
        default=35 * 86400.0,
        metavar="DURATION",
        help="how long results are kept in the history (at least the SLO window)",
    )
    slo.add_argument(
        "--max-tenants",
        type=positive_int,
        default=50,
        metavar="N",
        help="distinct tenant labels at most; further tenants are labelled `other`",
    )
    browser_flags(parser)


def _rules(parser: Parser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="journey files, or folders of them"
    )
    parser.add_argument("--out", metavar="FILE", help="the file to write (default: stdout)")
    parser.add_argument(
        "--format",
        choices=["prometheus", "openslo"],
        default="prometheus",
        help="a Prometheus rule file, or OpenSLO v1 documents",
    )
    parser.add_argument(
        "--engine",
        choices=["http", "browser", "all"],
        default="all",
        help="which flows' series to alert on: those `journey serve --engine` probes",
    )
    parser.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="only journeys with this tag"
    )
    parser.add_argument(
        "--window",
        type=seconds,
        default="30d",
        metavar="DURATION",
        help="the SLO window the error budget is over; the burn factors scale with it",
    )
    parser.add_argument(
        "--serve-url",
        default="http://journey-serve:9464",
        metavar="URL",
        help="serve's page, which alerts link to (may use {{ $labels.location }})",
    )
    parser.add_argument(
        "--quorum",
        type=positive_int,
        metavar="N",
        help="page only when at least N locations burn at once (default: each location pages)",
    )
    parser.add_argument(
        "--push-period",
        type=seconds,
        metavar="DURATION",
        help="also alert on one-shot probes pushed this often to a Pushgateway (default: none)",
    )
    parser.add_argument(
        "--push-job",
        default="journey",
        metavar="NAME",
        help="the pushed probes' job, as `journey run --push-job` gives it",
    )


def port(text: str) -> int:
    """A TCP port to listen on: 0 (any free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def cron(text: str) -> str:
    """A five-field crontab expression, checked as the journey files' `cron:` is."""
    from runner.spec.schedule import check_cron

    try:
        check_cron(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _worker(parser: Parser) -> None:
    parser.add_argument(
        "--master-host",
        required=True,
        metavar="HOST",
        help="the host running `journey load --master`",
    )
    parser.add_argument(
        "--master-port", type=int, default=5557, metavar="PORT", help="the master's port"
    )


def _report(parser: Parser) -> None:
    parser.add_argument("results", metavar="RESULTS.json", help="a results.json of a past run")
    parser.add_argument(
        "--out", metavar="DIR", help="where to write (default: the results file's folder)"
    )


def _demo_shop(parser: Parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="the port to listen on")
    parser.add_argument(
        "--db", default=None, help="the SQLite file (default: a fresh temporary one)"
    )
    parser.add_argument("--workers", type=positive_int, default=1, help="server worker processes")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="GROUP:KIND=VALUE",
        help="start with a fault, e.g. checkout:latency=800ms; repeatable",
    )
    parser.add_argument(
        "--root-path",
        default=None,
        metavar="PATH",
        help="serve every route under this path prefix, e.g. /en-gb (default: at /)",
    )


def seconds(text: str) -> float:
    """A duration flag: `30s`, `2m`, `1500ms`."""
    from runner.spec.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    """A count flag: an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def confidence(text: str) -> float:
    """`95%`, `99.9%` or `0.95`: from 50 % up to, not including, 100 %."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = -1.0
    if not 0.5 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a level such as 95% or 0.99, got {text!r}")
    return value
