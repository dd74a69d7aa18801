"""aiohttp: verify a Twilio webhook in a handler, or answer 403.

.. code-block:: python

    from aiohttp import web
    from twilio_sms_async.webhooks.aiohttp import TwilioWebhook

    twilio = TwilioWebhook()  # TWILIO_AUTH_TOKEN

    async def inbound(request: web.Request) -> web.Response:
        hook = await twilio.verify(request)          # raises web.HTTPForbidden if forged
        ...

aiohttp is imported only when this module is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from ._request import FrameworkAdapter, VerifiedWebhook
from ._verify import InvalidSignatureError

__all__ = ["TwilioWebhook"]

Handler = Callable[[web.Request, VerifiedWebhook], Awaitable[web.StreamResponse]]


class TwilioWebhook(FrameworkAdapter):
    """Checks requests for an aiohttp app; :meth:`handler` wraps a handler that receives the verified hook."""

    async def verify(self, request: web.Request) -> VerifiedWebhook:
        body = await request.read()
        try:
            return await self.verifier.averify(
                method=request.method, url=str(request.url), headers=dict(request.headers), body=body
            )
        except InvalidSignatureError as exc:
            raise web.HTTPForbidden(text=f"invalid Twilio signature: {exc}") from exc

    def handler(self, func: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Decorate ``async def handle(request, hook)`` into an aiohttp handler."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            return await func(request, await self.verify(request))

        return wrapped
