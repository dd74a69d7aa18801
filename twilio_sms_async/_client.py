"""``AsyncClient``: credentials, host, one pooled HTTP session, and the resources on top."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType

import httpx

from ._config import DEFAULT_LIMITS, DEFAULT_TIMEOUTS, Credentials, PoolLimits, Timeouts
from ._errors import ConfigurationError
from ._hosts import resolve_base_url
from ._http import HttpSession
from ._limits import Limiter, RateLimit, RateLimiter
from ._messages import MessagesResource
from ._retry import RetryPolicy, RetryStats

__all__ = ["AsyncClient"]


class AsyncClient:
    """An asyncio (and trio) client for Twilio Programmable Messaging.

    Build one per process and share it: it holds one connection pool and is
    safe to use from any number of concurrent tasks. Close it with
    ``async with`` or :meth:`aclose`.

    Credentials come from the arguments, else from ``TWILIO_ACCOUNT_SID``
    with ``TWILIO_AUTH_TOKEN`` or ``TWILIO_API_KEY``/``TWILIO_API_SECRET``.
    The host comes from ``base_url``, else ``edge``/``region`` (or
    ``TWILIO_EDGE``/``TWILIO_REGION``), else ``https://api.twilio.com``.

    ``timeout`` is seconds for every phase, or a :class:`Timeouts`;
    ``limits`` sizes the pool, and ``max_concurrency`` (default: the pool
    size) caps requests in flight. ``retry`` is the default
    :class:`RetryPolicy` (each call may override it); ``rate_limit`` paces
    message creates: messages per second, or a :class:`RateLimit` with a
    per-sender rate. Either way the pace adapts down on 429s and back up.
    A limiter object (``twilio_sms_async.redis.RedisRateLimiter``) shares
    one budget with every other process that uses it.
    ``http_client`` lends the client your own ``httpx.AsyncClient`` (never
    closed by us); ``transport`` plugs an httpx transport (a proxy, a mock,
    the sandbox) into ours.

    On asyncio, requests take a lean built-in HTTP/1.1 path several times
    cheaper than httpx's pool (``benchmarks/``); it steps aside for a
    caller's client or transport, trio, proxies in the environment, and
    mocking libraries such as respx. ``fast_path=False`` always uses httpx.
    """

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        edge: str | None = None,
        region: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        limits: PoolLimits | None = None,
        max_concurrency: int | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: float | RateLimit | Limiter | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        fast_path: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self._credentials = Credentials.resolve(
            account_sid=account_sid,
            auth_token=auth_token,
            api_key=api_key,
            api_secret=api_secret,
            env=env,
        )
        self.base_url = resolve_base_url(edge=edge, region=region, base_url=base_url, env=env)
        if max_concurrency is not None and (not isinstance(max_concurrency, int) or max_concurrency < 1):
            raise ConfigurationError("max_concurrency: must be a whole number >= 1")
        self._session = HttpSession(
            base_url=self.base_url,
            credentials=self._credentials,
            timeouts=_timeouts(timeout),
            limits=limits or DEFAULT_LIMITS,
            max_concurrency=max_concurrency,
            http_client=http_client,
            transport=transport,
            retry=retry or RetryPolicy(),
            limiter=_limiter(rate_limit),
            fast_path=fast_path,
        )
        self.messages = MessagesResource(self._session, self._credentials.account_sid)

    @property
    def account_sid(self) -> str:
        """The account every request acts on."""
        return self._credentials.account_sid

    @property
    def max_concurrency(self) -> int:
        """How many requests this client has in flight at most."""
        return self._session.max_concurrency

    @property
    def stats(self) -> RetryStats:
        """Live counters: requests, retries, 429s seen, unknown outcomes."""
        return self._session.stats

    @property
    def rate_limiter(self) -> Limiter:
        """The create pacer shared by every send on this client (a :class:`RateLimiter` unless one was passed)."""
        return self._session.limiter

    @property
    def is_closed(self) -> bool:
        return self._session.closed

    def __repr__(self) -> str:
        auth = f"api_key={self._credentials.username}" if self._credentials.uses_api_key else "auth_token=***"
        return f"<AsyncClient account_sid={self.account_sid} {auth} base_url={self.base_url}>"

    async def aclose(self) -> None:
        """Close the connection pool (a caller's own ``http_client`` is left open)."""
        await self._session.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _timeouts(timeout: float | Timeouts | None) -> Timeouts:
    if timeout is None:
        return DEFAULT_TIMEOUTS
    if isinstance(timeout, Timeouts):
        return timeout
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return Timeouts(connect=timeout, read=timeout, write=timeout, pool=timeout)
    raise ConfigurationError("timeout: seconds > 0, or a Timeouts(...)")


def _limiter(rate_limit: float | RateLimit | Limiter | None) -> Limiter:
    if rate_limit is None:
        return RateLimiter(RateLimit())
    if isinstance(rate_limit, RateLimit):
        return RateLimiter(rate_limit)
    if isinstance(rate_limit, (int, float)) and not isinstance(rate_limit, bool) and rate_limit > 0:
        return RateLimiter(RateLimit(per_second=float(rate_limit)))
    if isinstance(rate_limit, Limiter):
        return rate_limit  # a shared pacer, e.g. twilio_sms_async.redis.RedisRateLimiter
    raise ConfigurationError(
        "rate_limit: messages per second > 0, a RateLimit(...), or a limiter such as RedisRateLimiter"
    )
