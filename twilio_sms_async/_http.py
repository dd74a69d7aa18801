"""The one seam between this library and httpx.

Everything that touches httpx lives here: building the pooled client,
attaching auth and User-Agent, gating concurrency, and turning httpx's
outcomes into this library's: JSON for a success, an :class:`APIError` for an
error status, a :class:`TransportError` (saying whether the request may have
reached Twilio) for anything else. Swapping the transport for a faster one
changes this module only.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
import httpx
import sniffio

from ._config import Credentials, PoolLimits, Timeouts
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    RateLimitError,
    TransportError,
    error_class_for,
)
from ._fasthttp import FastHTTP, fast_path_possible, httpx_is_patched
from ._limits import Limiter
from ._redaction import logger
from ._retry import RetryPolicy, RetryStats, call_with_retry, parse_retry_after
from ._version import __version__

__all__ = ["HttpSession", "user_agent"]

_FORM = "application/x-www-form-urlencoded"


def user_agent() -> str:
    """``twilio-sms-async/<v> Python/<v> httpx/<v> (<system> <machine>)``."""
    return (
        f"twilio-sms-async/{__version__} Python/{platform.python_version()} "
        f"httpx/{httpx.__version__} ({platform.system()} {platform.machine()})"
    )


class HttpSession:
    """Sends requests for one client; safe to share across any number of tasks.

    At most ``max_concurrency`` requests are handed to httpx at once: extra
    callers wait here, where waiting is cheap, instead of in httpx's pool,
    whose cost grows with its queue (design-notes.md §4).
    """

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        timeouts: Timeouts,
        limits: PoolLimits,
        max_concurrency: int | None,
        http_client: httpx.AsyncClient | None,
        transport: httpx.AsyncBaseTransport | None,
        retry: RetryPolicy,
        limiter: Limiter,
        fast_path: bool = True,
    ) -> None:
        if http_client is not None and transport is not None:
            raise ConfigurationError("transport: pass either http_client= or transport=, not both")
        self.base_url = base_url
        self.owns_client = http_client is None
        self.client = http_client or httpx.AsyncClient(
            timeout=timeouts.to_httpx(),
            limits=limits.to_httpx(),
            transport=transport,
            follow_redirects=False,
        )
        self.max_concurrency = max_concurrency or limits.max_connections
        # fast_acquire: an uncontended acquire does not yield to the event loop
        # (the request right after it is a checkpoint anyway); measured in benchmarks/.
        self._gate = anyio.Semaphore(self.max_concurrency, fast_acquire=True)
        # Built once: per-request header work is measurable at thousands/s.
        self._headers = {
            "Authorization": credentials.authorization_header(),
            "User-Agent": user_agent(),
            "Accept": "application/json",
            "Accept-Charset": "utf-8",
        }
        self._form_headers = {**self._headers, "Content-Type": _FORM}
        self._fast_headers = "".join(f"{k}: {v}\r\n" for k, v in self._headers.items()).encode("latin-1")
        self._fast_form_headers = self._fast_headers + f"Content-Type: {_FORM}\r\n".encode("ascii")
        # Requests name a target (path and query) on the origin; a base_url may
        # carry a path prefix (a proxy mount), which belongs to the target.
        split = urlsplit(base_url)
        self._origin = f"{split.scheme}://{split.netloc}"
        self._origin_length = len(self._origin)
        self._fast: FastHTTP | None = None
        if fast_path and http_client is None and transport is None and fast_path_possible(base_url):
            self._fast = FastHTTP(
                base_url,
                connect_timeout=timeouts.connect,
                read_timeout=max(timeouts.read, timeouts.write),
                keepalive_expiry=limits.keepalive_expiry,
            )
        self.closed = False
        self.retry = retry
        self.limiter = limiter
        self.stats = RetryStats()

    @property
    def uses_fast_path(self) -> bool:
        """Whether requests from asyncio take the lean HTTP path (see ``_fasthttp``)."""
        return self._fast is not None

    async def aclose(self) -> None:
        self.closed = True
        if self._fast is not None:
            await self._fast.aclose()
        if self.owns_client:
            await self.client.aclose()

    async def call(
        self,
        method: str,
        url: str,
        *,
        form: bytes | None = None,
        params: list[tuple[str, str]] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        """Send a request that is safe to repeat, retrying per the policy; return its JSON."""

        async def attempt() -> Any:
            return await self.request(method, url, form=form, params=params)

        return await call_with_retry(
            attempt,
            policy=retry or self.retry,
            idempotent=True,
            label=f"{method} {url.rsplit('/', 1)[-1]}",
            stats=self.stats,
            on_error=self.learn,
        )

    def learn(self, error: Exception) -> None:
        """Feed an account-level 429 to the rate limiter so every sender slows down."""
        if isinstance(error, RateLimitError):
            self.limiter.throttled()

    async def request(
        self,
        method: str,
        url: str,
        *,
        form: bytes | None = None,
        params: list[tuple[str, str]] | None = None,
    ) -> Any:
        """Send one request once; return the decoded JSON (None for 204)."""
        if self.closed:
            raise RuntimeError("this AsyncClient is closed; create a new one")
        if params:
            url = f"{url}?{urlencode(params)}"
        debug = logger.isEnabledFor(10)
        started = time.perf_counter() if debug else 0.0
        headers: Mapping[str, str]
        async with self._gate:
            try:
                if self._fast is not None and url.startswith(self._origin) and self._fast_usable():
                    raw = await self._fast.request(
                        self._fast.encode(
                            method,
                            url[self._origin_length :] or "/",
                            self._fast_form_headers if form is not None else self._fast_headers,
                            form,
                        )
                    )
                    status, reason, headers, content = raw.status, raw.reason, raw.headers, raw.body
                else:
                    response = await self.client.request(
                        method, url, content=form, headers=self._form_headers if form is not None else self._headers
                    )
                    status, reason, headers, content = (
                        response.status_code,
                        response.reason_phrase,
                        response.headers,
                        response.content,
                    )
            except httpx.HTTPError as exc:
                raise _transport_error(exc, method, url) from exc
        if debug:
            logger.debug(
                "%s %s -> %d in %.1f ms",
                method,
                url[self._origin_length :],
                status,
                (time.perf_counter() - started) * 1000,
            )
        if status < 300:
            if status == 204 or not content:
                return None
            try:
                return json.loads(content)
            except ValueError as exc:
                raise APIError(
                    status=status, code=status, message="the response was not JSON", method=method, url=url
                ) from exc
        raise api_error(status, reason, headers, content, method, url)

    def _fast_usable(self) -> bool:
        # Per request, because a test may start respx (or trio may run us) at any time.
        return not httpx_is_patched() and sniffio.current_async_library() == "asyncio"


def api_error(status: int, reason: str, headers: Mapping[str, str], content: bytes, method: str, url: str) -> APIError:
    """The exception for an error response, from Twilio's JSON error body where there is one."""
    body: Any = None
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw_code = body.get("code")
        code = raw_code if isinstance(raw_code, int) else _int_or(raw_code, status)
        message = str(body.get("message") or body.get("detail") or body.get("title") or reason)
        more_info = body.get("more_info") or body.get("type")
        details = body.get("details") or body.get("errors")
    else:
        text = content.decode("utf-8", "replace").strip() if content else ""
        code = status
        message = (text[:200] if text else reason) or f"HTTP {status}"
        more_info = None
        details = None
    cls = error_class_for(status, code)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "message": message,
        "method": method,
        "url": url,
        "more_info": more_info if isinstance(more_info, str) else None,
        "details": details if isinstance(details, dict) else None,
        "headers": {k.lower(): v for k, v in headers.items()},
    }
    if issubclass(cls, RateLimitError):
        return cls(retry_after=parse_retry_after(kwargs["headers"]), **kwargs)
    return cls(**kwargs)


def _int_or(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _transport_error(exc: httpx.HTTPError, method: str, url: str) -> TransportError:
    # Whether the request may have reached Twilio decides whether a create
    # may be retried, so err towards "sent" for anything ambiguous.
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return APITimeoutError(
            f"timed out before sending: {type(exc).__name__}", method=method, url=url, request_sent=False
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"timed out after sending: {type(exc).__name__}", method=method, url=url, request_sent=True
        )
    if isinstance(exc, (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
        return APIConnectionError(f"could not connect: {exc}", method=method, url=url, request_sent=False)
    return TransportError(
        f"connection failed mid-request: {type(exc).__name__}: {exc}", method=method, url=url, request_sent=True
    )
