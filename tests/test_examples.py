"""The example apps, end to end: send through the sandbox, get its signed callbacks, refuse forgeries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from twilio_sms_async.testing import SANDBOX_AUTH_TOKEN, SANDBOX_NUMBER, Sandbox
from twilio_sms_async.webhooks import compute_signature

pytest.importorskip("fastapi", reason="the FastAPI example needs fastapi (a test dependency)")

INBOUND = {
    "MessageSid": "SM" + "a" * 32,
    "AccountSid": "AC" + "b" * 32,
    "From": "+15558675310",
    "To": SANDBOX_NUMBER,
    "Body": "Hello <app> & co",
    "NumMedia": "0",
    "SmsStatus": "received",
}


def signed(url: str, form: dict[str, str], token: str = SANDBOX_AUTH_TOKEN) -> dict[str, str]:
    return {
        "X-Twilio-Signature": compute_signature(url, form, token),
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def test_fastapi_app_sends_receives_and_tracks_delivery() -> None:
    from examples.fastapi_app import create_app

    holder: dict[str, Any] = {}
    app_transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=lambda *a: holder["app"](*a))  # type: ignore[arg-type]
    sandbox = Sandbox(callback_transport=app_transport)
    app = create_app(
        client_factory=sandbox.client,
        auth_token=SANDBOX_AUTH_TOKEN,
        sender=SANDBOX_NUMBER,
        public_base_url="https://hooks.example.com",
    )
    holder["app"] = app
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://hooks.example.com") as http,
    ):
        sent = await http.post("/send", json={"to": "+15558675310", "body": "hi"})
        assert sent.status_code == 200, sent.text
        sid = sent.json()["sid"]
        await sandbox.advance(10)  # the sandbox POSTs signed callbacks into the app
        assert [status for _, _, status in sandbox.callbacks] == [204, 204, 204, 204]
        assert (await http.get(f"/messages/{sid}")).json()["status"] == "delivered"

        url = "https://hooks.example.com/twilio/inbound"
        reply = await http.post("/twilio/inbound", content=urlencode(INBOUND), headers=signed(url, INBOUND))
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("application/xml")
        assert "<Message>Thanks, we got: Hello &lt;app&gt; &amp; co</Message>" in reply.text
        # Twilio retrying the same webhook: acknowledged without a second reply.
        again = await http.post("/twilio/inbound", content=urlencode(INBOUND), headers=signed(url, INBOUND))
        assert "<Message>" not in again.text

        forged = await http.post(
            "/twilio/inbound", content=urlencode(INBOUND), headers=signed(url, INBOUND, token="attacker")
        )
        assert forged.status_code == 403
        tampered = await http.post(
            "/twilio/inbound", content=urlencode({**INBOUND, "Body": "changed"}), headers=signed(url, INBOUND)
        )
        assert tampered.status_code == 403
        bad_send = await http.post("/send", json={"to": "555", "body": "hi"})
        assert bad_send.status_code == 422
        refused = await http.post("/send", json={"to": "+15005550004", "body": "hi"})
        assert refused.status_code == 502
        assert refused.json()["detail"]["twilio_code"] == 21610


async def test_aiohttp_app_over_real_loopback_http() -> None:
    pytest.importorskip("aiohttp")
    from aiohttp.test_utils import TestServer

    from examples.aiohttp_app import create_app

    sandbox = Sandbox()
    app = create_app(client_factory=sandbox.client, auth_token=SANDBOX_AUTH_TOKEN, sender=SANDBOX_NUMBER)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("/")).rstrip("/")
        async with httpx.AsyncClient(base_url=base) as http:
            sent = await http.post("/send", json={"to": "+15558675310", "body": "hi"})
            assert sent.status_code == 200, sent.text
            sid = sent.json()["sid"]
            await sandbox.advance(10)  # real HTTP POSTs to the loopback server, signed
            assert [status for _, _, status in sandbox.callbacks] == [204, 204, 204, 204]
            assert (await http.get(f"/messages/{sid}")).json()["status"] == "delivered"

            url = f"{base}/twilio/inbound"
            reply = await http.post("/twilio/inbound", content=urlencode(INBOUND), headers=signed(url, INBOUND))
            assert reply.status_code == 200
            assert "Thanks, we got: Hello &lt;app&gt; &amp; co" in reply.text
            forged = await http.post(
                "/twilio/inbound", content=urlencode(INBOUND), headers=signed(url, INBOUND, token="attacker")
            )
            assert forged.status_code == 403
    finally:
        await server.close()
