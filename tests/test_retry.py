"""Retry policy: what is retried, what is never resent, and how long we wait."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime

import httpx
import pytest
import respx

from twilio_sms_async import (
    NO_RETRY,
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from twilio_sms_async._errors import SenderQueueFullError
from twilio_sms_async._retry import RetryStats, call_with_retry, parse_retry_after

from .conftest import ACCOUNT_SID, AUTH_TOKEN, FAST_RETRY, MESSAGE_SID, message_json

SEND = {"to": "+15558675310", "from_": "+15017122661", "body": "hello"}


def error(status: int, code: int | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"code": code or status, "message": "x", "status": status}, headers=headers)


OK_MESSAGE = httpx.Response(200, json=message_json())
CREATED = httpx.Response(201, json=message_json())


@pytest.mark.parametrize(
    "first",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        error(429, 20429),
        error(500),
        error(502),
        error(503),
        error(504),
    ],
)
async def test_reads_are_retried_on_transient_failures(
    client: AsyncClient, mock_api: respx.MockRouter, first: httpx.Response | Exception
) -> None:
    route = mock_api.get(f"/Messages/{MESSAGE_SID}.json").mock(side_effect=[first, OK_MESSAGE])
    msg = await client.messages.fetch(MESSAGE_SID)
    assert msg.sid == MESSAGE_SID
    assert route.call_count == 2
    assert client.stats.retries == 1


@pytest.mark.parametrize(
    ("answer", "exc"),
    [(error(400, 21211), InvalidRequestError), (error(404, 20404), NotFoundError), (error(501), ServerError)],
)
async def test_reads_are_not_retried_on_definite_errors(
    client: AsyncClient, mock_api: respx.MockRouter, answer: httpx.Response, exc: type[Exception]
) -> None:
    route = mock_api.get(f"/Messages/{MESSAGE_SID}.json").mock(return_value=answer)
    with pytest.raises(exc):
        await client.messages.fetch(MESSAGE_SID)
    assert route.call_count == 1


async def test_deletes_are_retried_and_give_up_after_max_attempts(
    client: AsyncClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.delete(f"/Messages/{MESSAGE_SID}.json").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError):
        await client.messages.delete(MESSAGE_SID)
    assert route.call_count == 3  # FAST_RETRY.max_attempts


@pytest.mark.parametrize(
    "first",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.PoolTimeout("pool"),
        error(429, 20429),
        error(429, 20429, {"Retry-After": "0"}),
        error(503, 20429),
    ],
)
async def test_create_is_retried_only_when_twilio_certainly_did_not_act(
    client: AsyncClient, mock_api: respx.MockRouter, first: httpx.Response | Exception
) -> None:
    route = mock_api.post("/Messages.json").mock(side_effect=[first, CREATED])
    msg = await client.messages.send(**SEND)
    assert msg.sid == MESSAGE_SID
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("first", "cause"),
    [
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.WriteTimeout("slow write"), APITimeoutError),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), TransportError),
        (httpx.ReadError("connection reset"), TransportError),
        (error(500), ServerError),
        (error(502), ServerError),
        (error(503), ServerError),
    ],
)
async def test_create_that_may_have_landed_is_never_resent(
    client: AsyncClient, mock_api: respx.MockRouter, first: httpx.Response | Exception, cause: type[Exception]
) -> None:
    route = mock_api.post("/Messages.json").mock(side_effect=[first, CREATED])
    before = datetime.now(UTC).replace(microsecond=0)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.messages.send(**SEND)
    assert route.call_count == 1
    err = info.value
    assert isinstance(err.__cause__, cause)
    assert err.request.to == SEND["to"]
    assert err.request.body == SEND["body"]
    assert err.attempt == 1
    assert err.started_at >= before
    assert "+1555***5310" in str(err)
    assert "+15558675310" not in str(err)
    assert AUTH_TOKEN not in str(err)
    assert client.stats.unknown_outcomes == 1


async def test_unknown_after_a_safe_retry_reports_the_attempt(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/Messages.json").mock(side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("t")])
    with pytest.raises(OutcomeUnknownError) as info:
        await client.messages.send(**SEND)
    assert info.value.attempt == 2
    assert route.call_count == 2


async def test_create_gives_up_with_the_last_safe_error(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/Messages.json").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as info:
        await client.messages.send(**SEND)
    assert info.value.request_sent is False
    assert route.call_count == 3


async def test_create_rejections_are_not_retried(mock_api: respx.MockRouter) -> None:
    # Not adaptive: a 21611 would otherwise (rightly) slow this sender for the retry.
    client = AsyncClient(ACCOUNT_SID, AUTH_TOKEN, retry=FAST_RETRY, rate_limit=RateLimit(adaptive=False))
    route = mock_api.post("/Messages.json").mock(side_effect=[error(400, 21611), CREATED])
    with pytest.raises(SenderQueueFullError):
        await client.messages.send(**SEND)
    assert route.call_count == 1
    # Opting in to waiting for a busy sender retries it.
    policy = RetryPolicy(max_attempts=2, initial_wait=0, max_wait=0, retry_codes=frozenset({20429, 21611}))
    route.side_effect = [error(400, 21611), CREATED]
    assert (await client.messages.send(**SEND, retry=policy)).sid == MESSAGE_SID


async def test_per_call_policy_overrides_the_client(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"/Messages/{MESSAGE_SID}.json").mock(side_effect=[error(503), OK_MESSAGE])
    with pytest.raises(ServerError):
        await client.messages.fetch(MESSAGE_SID, retry=NO_RETRY)
    assert route.call_count == 1


async def test_reconcile_finds_the_message_instead_of_resending(
    client: AsyncClient, mock_api: respx.MockRouter
) -> None:
    create = mock_api.post("/Messages.json").mock(side_effect=[httpx.ReadTimeout("slow"), CREATED])
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    listed = mock_api.get("/Messages.json").respond(
        200,
        json={
            "messages": [
                message_json(sid="SM" + "e" * 32, body="other", date_created=now),
                message_json(sid="SM" + "f" * 32, body="hello", date_created=now),
            ],
            "next_page_uri": None,
        },
    )
    msg = await client.messages.send(**SEND, reconcile=True)
    assert msg.sid == "SM" + "f" * 32
    assert create.call_count == 1
    assert listed.calls.last.request.url.params["To"] == SEND["to"]


async def test_reconcile_resends_when_nothing_is_found(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    create = mock_api.post("/Messages.json").mock(side_effect=[httpx.ReadTimeout("slow"), CREATED])
    old = "Mon, 01 Jan 2024 00:00:00 +0000"
    mock_api.get("/Messages.json").respond(
        200, json={"messages": [message_json(body="hello", date_created=old)], "next_page_uri": None}
    )
    msg = await client.messages.send(**SEND, reconcile=True)
    assert msg.sid == MESSAGE_SID
    assert create.call_count == 2


async def test_429_slows_the_shared_rate_limiter(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    import math

    mock_api.post("/Messages.json").mock(side_effect=[CREATED, CREATED, CREATED, error(429, 20429), CREATED])
    for _ in range(3):
        await client.messages.send(**SEND)
    assert client.rate_limiter.current_rate == math.inf
    await client.messages.send(**SEND)  # 429, then retried
    assert client.rate_limiter.current_rate < math.inf
    assert client.stats.rate_limited == 1


async def test_retries_are_logged_without_secrets(
    client: AsyncClient, mock_api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="twilio_sms_async")
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").mock(side_effect=[error(503), OK_MESSAGE])
    await client.messages.fetch(MESSAGE_SID)
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert retries == [f"retrying GET {MESSAGE_SID}.json after ServerError (attempt 2 of 3) in 0.00 s"]
    assert AUTH_TOKEN not in caplog.text


class Recorder:
    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 0.0

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def rate_limited(retry_after: float | None) -> RateLimitError:
    return RateLimitError(
        status=429, code=20429, message="x", method="GET", url="u", retry_after=retry_after, headers={}
    )


async def test_retry_after_replaces_backoff_and_deadline_stops_waiting() -> None:
    calls = 0
    rec = Recorder()

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise rate_limited(7.0 if calls == 1 else None)
        return "ok"

    policy = RetryPolicy(max_attempts=5, initial_wait=1.0, max_wait=1.0, max_total=45)
    result = await call_with_retry(
        attempt, policy=policy, idempotent=True, label="t", stats=RetryStats(), sleep=rec.sleep, clock=rec.clock
    )
    assert result == "ok"
    assert rec.waits[0] == 7.0
    assert 0.0 <= rec.waits[1] <= 1.0

    # A Retry-After past the deadline ends the call instead of sleeping into it.
    rec = Recorder()

    async def always_limited() -> str:
        raise rate_limited(60.0)

    with pytest.raises(RateLimitError):
        await call_with_retry(
            always_limited,
            policy=policy,
            idempotent=True,
            label="t",
            stats=RetryStats(),
            sleep=rec.sleep,
            clock=rec.clock,
        )
    assert rec.waits == []


def test_backoff_is_full_jitter_capped() -> None:
    policy = RetryPolicy(initial_wait=0.5, max_wait=8.0)
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        waits = [policy.backoff(attempt, rng=rng) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # full jitter reaches near the cap


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 25 Nov 2026 00:00:10 GMT"}, 10.0),
        ({"retry-after": "Wed, 25 Nov 2026 00:00:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "inf"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC).timestamp()
    assert parse_retry_after(headers, now=now) == expected
