"""The sandbox over real loopback HTTP/1.1 (h11 on anyio), for any client in any process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import anyio
import h11
from anyio.abc import SocketAttribute, SocketStream

from ._faults import Fault
from ._state import SandboxRequest

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["serve"]

_MAX_BODY = 1 << 20


@asynccontextmanager
async def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, *, tick: float = 0.1) -> AsyncIterator[str]:
    """Serve ``sandbox`` on ``host:port`` (0 picks a free port); yields the base URL.

    While serving, status changes fall due on the sandbox's clock and their
    callbacks are delivered every ``tick`` seconds.
    """
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    bound = listener.extra(SocketAttribute.local_port)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, lambda stream: _connection(sandbox, stream))
        tasks.start_soon(_ticker, sandbox, tick)
        try:
            yield f"http://{host}:{bound}"
        finally:
            tasks.cancel_scope.cancel()
    await listener.aclose()


async def _ticker(sandbox: Sandbox, tick: float) -> None:
    while True:
        await anyio.sleep(tick)
        sandbox._apply_due()
        await sandbox.deliver_callbacks()


async def _connection(sandbox: Sandbox, stream: SocketStream) -> None:
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_BODY)
    async with stream:
        while True:
            try:
                request, body = await _read_request(conn, stream)
            except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
                return
            except h11.RemoteProtocolError:
                await _send(conn, stream, 400, b'{"message": "malformed request"}', close=True)
                return
            if request is None:
                return
            target = urlsplit(request.target.decode("ascii"))
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers}
            result = await sandbox.handle(
                SandboxRequest(
                    method=request.method.decode("ascii"),
                    path=target.path,
                    query=parse_qsl(target.query, keep_blank_values=True),
                    form=parse_qsl(body.decode("utf-8"), keep_blank_values=True) if body else [],
                    headers=headers,
                )
            )
            if isinstance(result, Fault):
                return  # hang up without an answer: a dropped connection
            extra = [(k.encode(), v.encode()) for k, v in result.headers.items()]
            try:
                await _send(conn, stream, result.status, result.body, extra=extra)
            except (anyio.BrokenResourceError, ConnectionError):
                return
            if conn.our_state is h11.MUST_CLOSE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return


async def _read_request(conn: h11.Connection, stream: SocketStream) -> tuple[h11.Request | None, bytes]:
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                data = await stream.receive(65536)
            except anyio.EndOfStream:
                data = b""
            conn.receive_data(data)
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return request, bytes(body)
        else:  # ConnectionClosed or PAUSED
            return None, b""


async def _send(
    conn: h11.Connection,
    stream: SocketStream,
    status: int,
    body: bytes,
    *,
    extra: list[tuple[bytes, bytes]] | None = None,
    close: bool = False,
) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"server", b"twilio-sms-async-sandbox")]
    if body and not any(k.lower() == b"content-type" for k, _ in extra or []):
        headers.append((b"content-type", b"application/json"))
    if close:
        headers.append((b"connection", b"close"))
    headers += extra or []
    data = conn.send(h11.Response(status_code=status, headers=headers))
    if body:
        data += conn.send(h11.Data(data=body)) or b""
    data += conn.send(h11.EndOfMessage()) or b""
    await stream.send(data or b"")
