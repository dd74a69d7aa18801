"""The same service on aiohttp: send, receive inbound messages, track delivery.

Run it (credentials from TWILIO_* variables)::

    python -m aiohttp.web -H 127.0.0.1 -P 8080 examples.aiohttp_app:init_app
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from twilio_sms_async import APIError, AsyncClient, ValidationError
from twilio_sms_async.webhooks import MessagingResponse, StatusTracker, VerifiedWebhook
from twilio_sms_async.webhooks.aiohttp import TwilioWebhook

CLIENT = web.AppKey("client", AsyncClient)
TRACKER = web.AppKey("tracker", StatusTracker)


def create_app(
    *,
    client_factory: Callable[[], AsyncClient] = AsyncClient,
    auth_token: str | None = None,
    sender: str | None = None,
) -> web.Application:
    twilio = TwilioWebhook(auth_token)
    app = web.Application()
    app[TRACKER] = StatusTracker()

    async def client_context(app: web.Application) -> AsyncIterator[None]:
        async with client_factory() as client:
            app[CLIENT] = client
            yield

    app.cleanup_ctx.append(client_context)

    async def send(request: web.Request) -> web.Response:
        payload: dict[str, Any] = await request.json()
        callback = str(request.url.with_path("/twilio/status").with_query(None))
        try:
            msg = await request.app[CLIENT].messages.send(
                to=payload["to"], from_=sender or "+15017122661", body=payload["body"], status_callback=callback
            )
        except ValidationError as exc:
            raise web.HTTPUnprocessableEntity(text=str(exc)) from exc
        except APIError as exc:
            raise web.HTTPBadGateway(text=f"Twilio error {exc.code}: {exc.message}") from exc
        request.app[TRACKER].update(msg.sid, msg.status)
        return web.json_response({"sid": msg.sid, "status": str(msg.status)})

    @twilio.handler
    async def inbound(request: web.Request, hook: VerifiedWebhook) -> web.Response:
        reply = MessagingResponse()
        if not hook.duplicate:
            reply.message(f"Thanks, we got: {hook.inbound_message().body}")
        return web.Response(text=str(reply), content_type=MessagingResponse.content_type)

    @twilio.handler
    async def status(request: web.Request, hook: VerifiedWebhook) -> web.Response:
        if not hook.duplicate:
            callback = hook.status_callback()
            request.app[TRACKER].update(callback.message_sid, callback.status)
        return web.Response(status=204)

    async def message_status(request: web.Request) -> web.Response:
        current = request.app[TRACKER].get(request.match_info["sid"])
        return web.json_response(
            {"sid": request.match_info["sid"], "status": None if current is None else str(current)}
        )

    app.router.add_post("/send", send)
    app.router.add_post("/twilio/inbound", inbound)
    app.router.add_post("/twilio/status", status)
    app.router.add_get("/messages/{sid}", message_status)
    return app


def init_app(argv: list[str] | None = None) -> web.Application:
    """Entry point for ``python -m aiohttp.web``."""
    return create_app()
