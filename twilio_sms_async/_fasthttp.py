"""A lean HTTP/1.1 keep-alive client on asyncio protocols: the default send path.

Why it exists: a create through stock httpx costs 650-3,000 µs of client CPU
(httpcore's pool bookkeeping, anyio locks, h11), several times the official
client's ~220 µs (benchmarks/README.md). Twilio's REST API needs very little
of HTTP: one origin, small request bodies, ``Content-Length`` or chunked
responses, keep-alive. This module does exactly that with a few allocations
per request, and raises httpx's own exception types, so the rest of the
library maps outcomes identically on either path.

It is used only when it is safe to: on asyncio, with no caller-supplied
httpx client or transport, no proxy in the environment, and no mocking
library (respx, pytest-httpx) patched into httpx. In every other case the
session goes through httpx unchanged.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from typing import Any

import httpcore
import httpx

__all__ = ["FastHTTP", "RawResponse", "fast_path_possible", "httpx_is_patched"]

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

# What httpx and httpcore look like unpatched; a mocking library replaces one of these.
_ORIGINALS = (
    (httpcore.AsyncConnectionPool, "handle_async_request", httpcore.AsyncConnectionPool.handle_async_request),
    (httpx.AsyncHTTPTransport, "handle_async_request", httpx.AsyncHTTPTransport.handle_async_request),
    (httpx.AsyncClient, "_transport_for_url", httpx.AsyncClient._transport_for_url),
)


def httpx_is_patched() -> bool:
    """True while respx, pytest-httpx or similar intercept httpx: requests must then go through httpx."""
    for owner, name, original in _ORIGINALS:
        current = getattr(owner, name, None)
        if current is not original or not getattr(current, "__module__", "").startswith(("httpx", "httpcore")):
            return True
    return False


def fast_path_possible(base_url: str, env: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """Whether the lean path can serve ``base_url`` (http/https, no proxy configured)."""
    env = os.environ if env is None else env
    if any(env.get(name) for name in _PROXY_VARIABLES):
        return False
    return base_url.startswith(("https://", "http://"))


class RawResponse:
    __slots__ = ("body", "headers", "reason", "status")

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body


class _Closed(Exception):
    """The connection closed; ``got_bytes`` says whether any of a response had arrived."""

    def __init__(self, got_bytes: bool) -> None:
        super().__init__("Server disconnected without sending a response." if not got_bytes else "incomplete response")
        self.got_bytes = got_bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    __slots__ = ("_buffer", "_chunked", "_eof_body", "_head", "_length", "_waiter", "closed", "last_used", "transport")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.last_used = 0.0
        self._buffer = bytearray()
        self._waiter: asyncio.Future[RawResponse] | None = None
        self._head: tuple[int, str, dict[str, str]] | None = None
        self._length = -1
        self._chunked = False
        self._eof_body = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if self._eof_body and self._head is not None:
                status, reason, headers = self._head
                waiter.set_result(RawResponse(status, reason, headers, bytes(self._buffer)))
            else:
                waiter.set_exception(_Closed(got_bytes=bool(self._buffer) or self._head is not None))

    def eof_received(self) -> bool | None:
        self.closed = True
        return None

    def send(self, data: bytes, waiter: asyncio.Future[RawResponse]) -> None:
        self._waiter = waiter
        self._head = None
        self._length = -1
        self._chunked = False
        self._eof_body = False
        self._buffer.clear()
        assert self.transport is not None
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None or self._waiter.done():
            return
        try:
            response = self._parse()
        except ValueError as exc:
            self.closed = True
            self._waiter.set_exception(httpx.RemoteProtocolError(f"malformed response: {exc}"))
            if self.transport is not None:
                self.transport.close()
            return
        if response is not None:
            self._waiter.set_result(response)

    def _parse(self) -> RawResponse | None:
        buffer = self._buffer
        if self._head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > 65536:
                    raise ValueError("response headers too large")
                return None
            lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            del buffer[: end + 4]
            version, _, rest = lines[0].partition(" ")
            code, _, reason = rest.partition(" ")
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise ValueError(f"bad status line {lines[0][:80]!r}")
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    raise ValueError("bad header line")
                headers[name.strip().lower()] = value.strip()
            status = int(code)
            self._head = (status, reason, headers)
            if headers.get("connection", "").lower() == "close":
                self.closed = True
            if status in (204, 304) or 100 <= status < 200:
                self._length = 0
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                self._chunked = True
            elif "content-length" in headers:
                self._length = int(headers["content-length"])
            else:
                self._eof_body = True  # read until the server closes
                self.closed = True
                return None
        status, reason, headers = self._head
        if self._chunked:
            body = _dechunk(buffer)
            if body is None:
                return None
            return RawResponse(status, reason, headers, body)
        if self._eof_body:
            return None
        if len(buffer) < self._length:
            return None
        body = bytes(buffer[: self._length])
        del buffer[: self._length]
        return RawResponse(status, reason, headers, body)


def _dechunk(buffer: bytearray) -> bytes | None:
    """The whole body of a complete chunked message, or None if more is needed."""
    body = bytearray()
    position = 0
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";")[0].strip() or b"0", 16)
        start = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", line_end)
            if trailer_end < 0 and buffer[start : start + 2] != b"\r\n":
                return None
            return bytes(body)
        if len(buffer) < start + size + 2:
            return None
        body += buffer[start : start + size]
        position = start + size + 2


class FastHTTP:
    """Keep-alive connections to one origin; at most as many as callers in flight.

    The caller (the session's concurrency gate) bounds requests in flight,
    so a request never waits for a connection here: it reuses an idle one or
    opens a new one.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        keepalive_expiry: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        url = httpx.URL(base_url)
        self._tls = url.scheme == "https"
        self._host = url.host
        self._port = url.port or (443 if self._tls else 80)
        default_port = self._port == (443 if self._tls else 80)
        self._host_header = url.host if default_port else f"{url.host}:{self._port}"
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._expiry = keepalive_expiry
        self._ssl = (ssl_context or _default_ssl_context()) if self._tls else None
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()

    def encode(self, method: str, target: str, headers: bytes, body: bytes | None) -> bytes:
        """The request's bytes; ``headers`` is a prebuilt ``Name: value\\r\\n`` block."""
        head = f"{method} {target} HTTP/1.1\r\nHost: {self._host_header}\r\n".encode("ascii")
        if body is None:
            return head + headers + b"\r\n"
        return head + headers + b"Content-Length: " + str(len(body)).encode("ascii") + b"\r\n\r\n" + body

    async def request(self, data: bytes) -> RawResponse:
        """Send one encoded request and return its response; raises httpx exception types."""
        loop = asyncio.get_running_loop()
        connection = await self._connection(loop)
        waiter: asyncio.Future[RawResponse] = loop.create_future()
        timer = loop.call_later(self._read_timeout, _expire, waiter)
        reused = connection.last_used > 0
        try:
            connection.send(data, waiter)
            response = await waiter
        except _Closed as exc:
            self._discard(connection)
            # A reused keep-alive connection the server closed before answering:
            # the request may or may not have been read, exactly like httpx's case.
            raise httpx.RemoteProtocolError(f"{exc} (reused connection: {reused})") from None
        except BaseException:
            # Timeout, cancellation, malformed response: the connection's state is unknown.
            self._discard(connection)
            raise
        finally:
            timer.cancel()
        if connection.closed:
            self._discard(connection)
        else:
            connection.last_used = time.monotonic()
            self._idle.append(connection)
        return response

    async def _connection(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and now - connection.last_used < self._expiry:
                return connection
            self._discard(connection)
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    _Connection,
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl else None,
                ),
                self._connect_timeout,
            )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {self._host}:{self._port} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
        self._all.add(connection)
        return connection

    def _discard(self, connection: _Connection) -> None:
        self._all.discard(connection)
        connection.closed = True
        if connection.transport is not None:
            connection.transport.close()

    async def aclose(self) -> None:
        for connection in list(self._all):
            self._discard(connection)
        self._idle.clear()

    @property
    def open_connections(self) -> int:
        return len(self._all)


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(httpx.ReadTimeout("timed out waiting for the response"))


def _default_ssl_context() -> ssl.SSLContext:
    """The trust store httpx would use: SSL_CERT_FILE / SSL_CERT_DIR when set, else certifi's bundle."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is not None or capath is not None:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    try:
        import certifi
    except ImportError:  # pragma: no cover
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
