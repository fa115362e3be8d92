"""The HTTP client the http engine drives: what both httpx and the load users' client offer.

Probes pass an `httpx.Client`; load users pass `runner.engines.load.client.FastClient`
(geventhttpclient under Locust). The flow code is one, so it is typed against the small part
of httpx's interface that both implement, and mypy checks that both still do. Structural
(Protocols), so neither client inherits from anything of ours, and this module imports
neither httpx nor Locust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from runner.engines.load.client import FastClient


class Redirect(Protocol):
    """One hop of a redirect chain: its status and where it pointed."""

    @property
    def status_code(self) -> int: ...

    @property
    def url(self) -> object: ...  # read as `str(url)`: the URL that answered


class HttpResponse(Protocol):
    """What the flow, its checks and captures read of a response."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...  # looked up case-insensitively by both

    @property
    def history(self) -> Sequence[Redirect]: ...  # the redirects followed, oldest first

    @property
    def text(self) -> str: ...

    @property
    def url(self) -> object: ...  # the final URL, read as `str(url)`: httpx's URL, or a str

    def json(self) -> Any: ...  # any JSON value; raises ValueError when the body is not JSON


class HttpClient(Protocol):
    """Sends one request as `httpx.Client.request` does; the caller owns its cookie jar.

    Raises httpx's exceptions: ConnectError / ConnectTimeout when no connection could be
    made, a TimeoutException when no answer came within `timeout`, another HTTPError when
    the answer broke off. A status of 4xx or 5xx is an answer, never an exception.
    """

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = ...,
        params: Mapping[str, str] | None = ...,
        json: Any = ...,  # a JSON body: any JSON value
        data: Mapping[str, str] | None = ...,
        timeout: float = ...,
        follow_redirects: bool = ...,
        extensions: Mapping[str, str] | None = ...,
    ) -> HttpResponse: ...


if TYPE_CHECKING:

    def _both_clients_satisfy_the_protocol(
        probe: httpx.Client, load: FastClient
    ) -> tuple[HttpClient, HttpClient]:
        # Never runs: mypy --strict fails here when either client stops matching HttpClient.
        return probe, load
