"""RedisRateLimiter: one GCRA schedule and one adaptive rate for every process sharing a key."""

from __future__ import annotations

import math

import pytest

from twilio_sms_async import RateLimit, StoreUnavailableError
from twilio_sms_async.redis import RedisJob, RedisRateLimiter
from twilio_sms_async.testing import SANDBOX_NUMBER, Sandbox

from .test_redis_job import rows


class Waits:
    """A sleep that only records what it was asked to wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def test_two_limiters_sharing_a_key_share_one_schedule(redis_url: str) -> None:
    waits = Waits()
    first = RedisRateLimiter(redis_url, RateLimit(per_second=10), key="acct", sleep=waits)
    second = RedisRateLimiter(redis_url, RateLimit(per_second=10), key="acct", sleep=waits)
    for _ in range(10):
        await first.acquire()
        await second.acquire()
    await first.aclose()
    await second.aclose()
    # 20 slots, 100 ms apart, handed out alternately: one budget, not two.
    slots = sorted([0.0] * (20 - len(waits.delays)) + waits.delays)
    for k, delay in enumerate(slots):
        assert delay == pytest.approx(k * 0.1, abs=0.03)


async def test_separate_keys_are_separate_budgets(redis_url: str) -> None:
    waits = Waits()
    one = RedisRateLimiter(redis_url, 10, key="acct-1", sleep=waits)
    two = RedisRateLimiter(redis_url, 10, key="acct-2", sleep=waits)
    await one.acquire()
    await two.acquire()
    assert waits.delays == []
    await one.aclose()
    await two.aclose()


async def test_a_429_seen_by_one_process_slows_every_process(redis_url: str) -> None:
    waits = Waits()
    settings = RateLimit(per_second=100)
    seen_429 = RedisRateLimiter(redis_url, settings, key="acct", sleep=waits)
    other = RedisRateLimiter(redis_url, settings, key="acct", sleep=waits)
    await other.acquire()
    assert other.current_rate == 100
    for _ in range(50):
        seen_429.record_success()  # 50 accepted in the last second...
    seen_429.throttled()  # ...then a 429
    await seen_429.acquire()
    await other.acquire()
    # The drop is based on what got through (50/s), times `decrease`, shared by both.
    assert other.current_rate == pytest.approx(45, abs=1)
    assert seen_429.current_rate == pytest.approx(45, abs=1)
    await seen_429.aclose()
    await other.aclose()


async def test_per_sender_meters_are_shared_and_separate_per_sender(redis_url: str) -> None:
    waits = Waits()
    settings = RateLimit(per_sender=5)
    a = RedisRateLimiter(redis_url, settings, key="acct", sleep=waits)
    b = RedisRateLimiter(redis_url, settings, key="acct", sleep=waits)
    await a.acquire("+15005550006")
    await b.acquire("+15005550006")
    await b.acquire("+15005550007")
    assert len(waits.delays) == 1
    assert waits.delays[0] == pytest.approx(0.2, abs=0.03)  # the second on the same sender waits 1/5 s
    assert a.current_rate == math.inf  # no global cap
    await a.aclose()
    await b.aclose()


async def test_the_client_takes_a_shared_limiter_and_paces_sends_with_it(redis_url: str) -> None:
    waits = Waits()
    limiter = RedisRateLimiter(redis_url, RateLimit(per_second=20), key="acct", sleep=waits)
    sandbox = Sandbox()
    async with sandbox.client(rate_limit=limiter) as client:
        assert client.rate_limiter is limiter
        for _ in range(3):
            await client.messages.send(to="+15558675310", from_=SANDBOX_NUMBER, body="hi")
    assert len(sandbox.messages) == 3
    assert len(waits.delays) == 2  # the 2nd and 3rd waited for their slots
    await limiter.aclose()


async def test_an_unreachable_limiter_fails_the_send_before_it_is_sent() -> None:
    limiter = RedisRateLimiter("redis://:pw-secret@127.0.0.1:1/0", 10, key="acct")
    sandbox = Sandbox()
    async with sandbox.client(rate_limit=limiter) as client:
        with pytest.raises(StoreUnavailableError, match=r"Redis at redis://127.0.0.1:1/0 did not answer") as caught:
            await client.messages.send(to="+15558675310", from_=SANDBOX_NUMBER, body="hi")
    assert "pw-secret" not in str(caught.value)
    assert not sandbox.messages


async def test_a_bulk_whose_limiter_loses_redis_releases_its_claims_for_the_resume(redis_url: str) -> None:
    sandbox = Sandbox()
    items = rows(40)
    broken = RedisRateLimiter("redis://127.0.0.1:1/0", 10, key="acct")
    async with sandbox.client(rate_limit=broken) as client:
        with pytest.raises(StoreUnavailableError):
            await client.messages.send_all(items, job=RedisJob(redis_url, "paced", chunk_size=10), concurrency=4)
    assert not sandbox.messages
    async with RedisJob(redis_url, "paced") as job:
        status = await job.status()
    assert status is not None
    assert (status.done, status.in_flight) == (0, 0)  # claimed, not sent, released: nothing unknown

    async with sandbox.client() as client:
        summary = await client.messages.send_all(items, job=RedisJob(redis_url, "paced", chunk_size=10, lease=1))
    assert (summary.sent, summary.unknown) == (40, 0)
    assert len(sandbox.messages) == 40


def test_settings_and_key_are_checked() -> None:
    with pytest.raises(ValueError, match="key"):
        RedisRateLimiter("redis://127.0.0.1", 10, key="has space")
    with pytest.raises(ValueError, match="per_second"):
        RedisRateLimiter("redis://127.0.0.1", -1, key="k")
