"""A FastAPI service that sends SMS and receives inbound messages and status callbacks.

Run it (credentials from TWILIO_* variables)::

    uvicorn --factory examples.fastapi_app:create_app

One ``AsyncClient`` lives for the app's lifetime (opened in the lifespan,
shared by every request). Webhooks are verified by the ``TwilioWebhook``
dependency: a forged request gets 403 before any handler runs.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the Annotated
# dependency below at runtime, and it is local to create_app.
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

from twilio_sms_async import APIError, AsyncClient, ValidationError
from twilio_sms_async.webhooks import MessagingResponse, StatusTracker, VerifiedWebhook
from twilio_sms_async.webhooks.starlette import TwilioWebhook


class SendBody(BaseModel):
    to: str
    body: str


def create_app(
    *,
    client_factory: Callable[[], AsyncClient] = AsyncClient,
    auth_token: str | None = None,
    sender: str | None = None,
    public_base_url: str | None = None,
) -> FastAPI:
    tracker = StatusTracker()
    twilio = TwilioWebhook(auth_token, base_url=public_base_url)
    Hook = Annotated[VerifiedWebhook, Depends(twilio)]  # 403 for anything Twilio did not sign

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with client_factory() as client:
            app.state.client = client
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/send")
    async def send(payload: SendBody, request: Request) -> dict[str, str]:
        client: AsyncClient = request.app.state.client
        callback = str(request.url_for("status_callback"))
        if public_base_url:
            callback = public_base_url.rstrip("/") + request.app.url_path_for("status_callback")
        try:
            msg = await client.messages.send(
                to=payload.to, from_=sender or "+15017122661", body=payload.body, status_callback=callback
            )
        except ValidationError as exc:
            raise HTTPException(422, detail=str(exc)) from exc
        except APIError as exc:
            raise HTTPException(502, detail={"twilio_code": exc.code, "message": exc.message}) from exc
        tracker.update(msg.sid, msg.status)
        return {"sid": msg.sid, "status": str(msg.status)}

    @app.post("/twilio/inbound")
    async def inbound(hook: Hook) -> Response:
        reply = MessagingResponse()
        if not hook.duplicate:
            message = hook.inbound_message()
            reply.message(f"Thanks, we got: {message.body}")
        return Response(str(reply), media_type=MessagingResponse.content_type)

    @app.post("/twilio/status", name="status_callback", status_code=204)
    async def status_callback(hook: Hook) -> Response:
        if not hook.duplicate:
            callback = hook.status_callback()
            tracker.update(callback.message_sid, callback.status)
        return Response(status_code=204)

    @app.get("/messages/{sid}")
    async def message_status(sid: str) -> dict[str, str | None]:
        status = tracker.get(sid)
        return {"sid": sid, "status": None if status is None else str(status)}

    return app
