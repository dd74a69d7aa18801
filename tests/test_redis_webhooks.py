"""RedisDeduplicator: a webhook retried to another replica is still a duplicate."""

# No `from __future__ import annotations`: FastAPI must evaluate the
# endpoint's annotation, which names a dependency local to replica().

from typing import Annotated
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import Depends, FastAPI, Response

from twilio_sms_async import StoreUnavailableError
from twilio_sms_async.redis import RedisDeduplicator
from twilio_sms_async.webhooks import VerifiedWebhook, WebhookVerifier, compute_signature
from twilio_sms_async.webhooks.starlette import TwilioWebhook

TOKEN = "webhook-test-token"
FORM = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}


def replica(dedupe: RedisDeduplicator, acted: list[str]) -> FastAPI:
    """One replica of a FastAPI app that acts on status callbacks once."""
    app = FastAPI()
    twilio = TwilioWebhook(TOKEN, dedupe=dedupe)

    @app.post("/status")
    async def status(hook: Annotated[VerifiedWebhook, Depends(twilio)]) -> Response:
        if not hook.duplicate:
            acted.append(hook.status_callback().message_sid)
        return Response(status_code=204)

    return app


async def post(app: FastAPI, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        answer = await http.post("/status", content=urlencode(FORM), headers=headers)
    return answer.status_code


def signed(**extra: str) -> dict[str, str]:
    return {
        "X-Twilio-Signature": compute_signature("http://testserver/status", FORM, TOKEN),
        "Content-Type": "application/x-www-form-urlencoded",
        **extra,
    }


async def test_a_retry_to_another_replica_is_a_duplicate(redis_url: str) -> None:
    acted: list[str] = []
    one = RedisDeduplicator(redis_url, ttl=60)
    two = RedisDeduplicator(redis_url, ttl=60)
    first, second = replica(one, acted), replica(two, acted)
    assert await post(first, signed(**{"I-Twilio-Idempotency-Token": "tok-1"})) == 204
    assert await post(second, signed(**{"I-Twilio-Idempotency-Token": "tok-1"})) == 204  # Twilio's retry
    assert acted == [FORM["MessageSid"]]
    assert await post(second, signed(**{"I-Twilio-Idempotency-Token": "tok-2"})) == 204  # a new delivery
    assert acted == [FORM["MessageSid"]] * 2
    await one.aclose()
    await two.aclose()


async def test_the_sync_verify_refuses_a_shared_deduplicator(redis_url: str) -> None:
    verifier = WebhookVerifier(TOKEN, dedupe=RedisDeduplicator(redis_url))
    with pytest.raises(TypeError, match="averify"):
        verifier.verify(method="POST", url="http://testserver/status", headers=signed(), body=urlencode(FORM).encode())


async def test_redis_down_is_an_error_not_a_silent_repeat() -> None:
    verifier = WebhookVerifier(TOKEN, dedupe=RedisDeduplicator("redis://127.0.0.1:1/0"))
    with pytest.raises(StoreUnavailableError):
        await verifier.averify(
            method="POST", url="http://testserver/status", headers=signed(), body=urlencode(FORM).encode()
        )
