"""`journey run --push-to`: one run's metrics, pushed to a Prometheus Pushgateway.

For probes that do not live long enough to be scraped (a Kubernetes CronJob, a CI step): the
run ends, pushes the very families metrics.prom holds (`registry_of`), and exits. Shaped by
how a Pushgateway keeps what it is sent:

- **PUT, one group per probe.** `push_to_gateway` PUTs, which replaces the whole group (every
  series under the same job and grouping key), so the group always holds exactly the latest
  run: a pushed `journey_runs_total` is that one run's count, never a sum over runs, and a
  journey or verdict series the latest run lacks is gone rather than left stale.
- **A bounded grouping key.** job = `--push-job` (default "journey") and `target` (the
  target's name), plus `tenant` when the target has one. Never a run id, a time or anything
  else unbounded: the Pushgateway never forgets a group by itself, so each distinct key would
  be a group kept for ever. The Pushgateway writes the key's labels over the pushed ones of the
  same name, which agree here (every series' `target` and `tenant` are the target's).
- **Alert on the last result and on staleness, not on rates.** What Prometheus scrapes from a
  Pushgateway is the latest push, repeated until the next: `rate()` over a counter that each
  push resets means nothing. Alert on `journey_verdict`, `journey_objective_met` and the
  runs' `result` split, and on `time() - push_time_seconds` (the Pushgateway's own gauge, set
  at each successful push) for a probe that stopped pushing. A failed push therefore only
  costs a line on stderr, never the run's exit code, which stays the verdict's.

Secrets never leave: the exposition text is scrubbed by the run's Redactor in the handler,
just before prometheus_client's `default_handler` sends it. Bounded: every connect and read
gives up after `timeout_s`. Imports only `redact`, the typed document and `prometheus`.
"""

from __future__ import annotations

import http.client
import urllib.error
from collections.abc import Callable, Sequence

from prometheus_client.exposition import default_handler, push_to_gateway

from runner.document import ResultsDocument
from runner.outputs.prometheus import registry_of
from runner.redact import Redactor

DEFAULT_JOB = "journey"
PUSH_TIMEOUT_S = 10.0
_BODY_SHOWN = 160  # characters of a Pushgateway's error body on the one stderr line


def grouping_key(document: ResultsDocument, redactor: Redactor) -> dict[str, str]:
    """The group a run's metrics replace: its target's name, and its tenant when it has one.

    Both are bounded (a targets file's name or the `--target` base URL, a ≤ 64-character
    tenant); scrubbed like the body, so that key and labels agree whatever the name holds.
    """
    key = {"target": redactor.scrub(document.target.name)}
    if document.target.tenant:
        key["tenant"] = redactor.scrub(document.target.tenant)
    return key


def push_document(
    document: ResultsDocument,
    url: str,
    *,
    job: str = DEFAULT_JOB,
    redactor: Redactor,
    timeout_s: float = PUSH_TIMEOUT_S,
) -> str | None:
    """PUT the document's families to the Pushgateway at `url` under `job` and its target.

    Returns None once the Pushgateway has accepted them, else the one-line reason it did not
    (refused connection, timeout, a 4xx or 5xx with the start of its body, a malformed URL).
    Never raises for a failed push: the caller reports it and the run's verdict stands. Raises
    ValueError, as `render_prometheus` does, for a malformed document (a bug, not a push).
    """
    registry = registry_of(document)
    list(registry.collect())  # a malformed document fails here, before any byte is sent
    handler = _scrubbing_handler(redactor)
    try:
        push_to_gateway(
            url,
            job=job,
            registry=registry,
            grouping_key=grouping_key(document, redactor),
            timeout=timeout_s,
            handler=handler,
        )
    except urllib.error.HTTPError as exc:  # before URLError: it is one
        return redactor.scrub(_http_reason(exc))
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return f"timed out after {timeout_s:g}s"
        return redactor.scrub(str(reason) or type(reason).__name__)
    except TimeoutError:  # a read after the connection was made
        return f"timed out after {timeout_s:g}s"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # ValueError: http.client.InvalidURL; HTTPException: a server that does not speak HTTP
        return redactor.scrub(str(exc) or type(exc).__name__)
    return None


def _scrubbing_handler(redactor: Redactor) -> Callable[..., Callable[[], None]]:
    """prometheus_client's default handler, sending the body only once it is scrubbed.

    A label may quote a secret (an objective's or step's name written with one): the text is
    scrubbed exactly as write_prometheus scrubs metrics.prom.
    """

    def handler(
        url: str,
        method: str,
        timeout: float | None,
        headers: Sequence[tuple[str, str]],
        data: bytes,
    ) -> Callable[[], None]:
        body = redactor.scrub(data.decode("utf-8")).encode("utf-8")
        return default_handler(url, method, timeout, list(headers), body)

    return handler


def _http_reason(exc: urllib.error.HTTPError) -> str:
    """`HTTP 400 Bad Request: pushed metrics are invalid…`: the status and the body's start.

    Only a text/plain body is quoted (the Pushgateway explains itself so); an HTML error page
    of a proxy or of something that is not a Pushgateway says nothing a line can hold.
    """
    body = ""
    if exc.headers is not None and exc.headers.get_content_type() == "text/plain":
        try:
            body = exc.read().decode("utf-8", errors="replace")
        except OSError:
            pass
    first = " ".join(body.split())[:_BODY_SHOWN]
    status = f"HTTP {exc.code} {exc.reason}".rstrip()
    return f"{status}: {first}" if first else status
