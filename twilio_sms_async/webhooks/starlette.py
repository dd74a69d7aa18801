"""FastAPI and Starlette: a dependency that verifies a Twilio webhook or answers 403.

.. code-block:: python

    from fastapi import Depends, FastAPI, Response
    from twilio_sms_async.webhooks import MessagingResponse, VerifiedWebhook
    from twilio_sms_async.webhooks.starlette import TwilioWebhook

    twilio = TwilioWebhook()  # TWILIO_AUTH_TOKEN; trust_forwarded=True behind your own proxy

    @app.post("/twilio/inbound")
    async def inbound(hook: VerifiedWebhook = Depends(twilio)) -> Response:
        msg = hook.inbound_message()
        return Response(str(MessagingResponse().message(f"Got: {msg.body}")), media_type="application/xml")

Starlette is imported only when this module is, so neither framework is a
dependency of the library.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ._request import FrameworkAdapter, VerifiedWebhook
from ._verify import InvalidSignatureError

__all__ = ["TwilioWebhook"]


class TwilioWebhook(FrameworkAdapter):
    """Use an instance as a FastAPI dependency (or call it from any Starlette endpoint)."""

    async def __call__(self, request: Request) -> VerifiedWebhook:
        body = await request.body()
        try:
            return await self.verifier.averify(
                method=request.method, url=str(request.url), headers=dict(request.headers), body=body
            )
        except InvalidSignatureError as exc:
            raise HTTPException(status_code=403, detail=f"invalid Twilio signature: {exc}") from exc
