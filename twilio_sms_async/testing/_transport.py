"""The sandbox as an in-process httpx transport: no sockets, same behaviour as the server."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import httpx

from ._faults import Fault
from ._state import SandboxRequest

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["SandboxTransport"]


class SandboxTransport(httpx.AsyncBaseTransport):
    """Routes an ``httpx.AsyncClient``'s requests to a :class:`Sandbox`.

    A dropped connection surfaces as httpx's ``RemoteProtocolError``, exactly
    what a client sees when a real server hangs up without answering.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        result = await self.sandbox.handle(
            SandboxRequest(
                method=request.method,
                path=request.url.path,
                query=parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True),
                form=parse_qsl(content.decode("utf-8"), keep_blank_values=True) if content else [],
                headers={k.lower(): v for k, v in request.headers.items()},
            )
        )
        if isinstance(result, Fault):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(result.status, headers=dict(result.headers), content=result.body, request=request)
