"""Opening Redis and turning its failures into :class:`StoreUnavailableError`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from .._jobs import StoreUnavailableError

__all__ = ["RedisHandle", "connect", "mask_url", "store_errors"]

Redis = aioredis.Redis

# Failures that mean "no answer": a restart, a network partition, a replica
# still loading its data. A script error is a bug and is left to surface.
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
    OSError,
)


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (fit for errors and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def describe(client: Redis) -> str:
    """Where ``client`` points, without credentials."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


@contextlib.contextmanager
def store_errors(client: Redis, doing: str) -> Iterator[None]:
    """Raise :class:`StoreUnavailableError` (naming the server, never its password) for an unreachable Redis."""
    try:
        yield
    except _UNAVAILABLE as exc:
        raise StoreUnavailableError(f"Redis at {describe(client)} did not answer while {doing}: {exc}") from None


async def connect(url: str, *, socket_timeout: float = 5.0) -> Redis:
    """A Redis client for ``url`` (``redis://``, ``rediss://`` or ``unix://``), checked with a PING.

    Raises :class:`StoreUnavailableError` at once if the server cannot be
    reached, so a job never starts half-connected.
    """
    try:
        # One immediate retry replaces a pooled connection a Redis restart
        # broke; an outage must surface now, not after redis-py's backoff.
        client = aioredis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 1),
        )
    except ValueError as exc:
        raise StoreUnavailableError(f"not a Redis URL: {mask_url(url)} ({exc})") from None
    try:
        with store_errors(client, "connecting"):
            await client.ping()
    except BaseException:
        await client.aclose()
        raise
    return client


class RedisHandle:
    """The Redis client a job, limiter or deduplicator talks to.

    Either the caller's ``redis.asyncio.Redis`` (never closed here), or one
    opened from a URL on first use and closed by :meth:`aclose`. Scripts are
    registered once per client.
    """

    def __init__(self, redis: Redis | str) -> None:
        self._url = redis if isinstance(redis, str) else None
        self._client: Redis | None = None if isinstance(redis, str) else redis
        self._connecting = anyio.Lock()
        self._scripts: dict[str, Any] = {}

    @property
    def opened(self) -> bool:
        """True while there is a client (the caller's, or one opened from the URL)."""
        return self._client is not None

    async def client(self) -> Redis:
        if self._client is None:
            async with self._connecting:
                if self._client is None:
                    assert self._url is not None
                    self._client = await connect(self._url)
        return self._client

    async def run(self, source: str, keys: list[str], args: list[Any], doing: str) -> Any:
        """Run a Lua script; :class:`StoreUnavailableError` if Redis does not answer."""
        client = await self.client()
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = client.register_script(source)
        with store_errors(client, doing):
            return await script(keys=keys, args=args)

    async def aclose(self) -> None:
        """Close the client if it was opened from a URL."""
        if self._url is not None and self._client is not None:
            client, self._client = self._client, None
            self._scripts.clear()
            await client.aclose()
