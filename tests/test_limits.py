"""The create pacer: rate held over a fake clock, bursts, per-sender meters, adaptive convergence."""

from __future__ import annotations

import math
from collections import deque

import anyio.lowlevel
import pytest

from twilio_sms_async import RateLimit, RateLimiter


class FakeClock:
    """Virtual time: sleeping advances the clock instantly (one sleeper at a time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()


def limiter(settings: RateLimit) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(settings, clock=clock, sleep=clock.sleep), clock


@pytest.mark.parametrize(("rate", "burst"), [(50.0, 1), (7.0, 1), (200.0, 20), (1.0, 3)])
async def test_rate_is_held_within_5_percent(rate: float, burst: int) -> None:
    pacer, clock = limiter(RateLimit(per_second=rate, burst=burst, adaptive=False))
    start = clock.now
    n = 2000 if rate > 10 else 200
    for _ in range(n):
        await pacer.acquire()
    elapsed = clock.now - start
    achieved = (n - burst) / elapsed  # the burst is free; the rest is paced
    assert achieved == pytest.approx(rate, rel=0.05)


async def test_burst_passes_at_once_after_a_quiet_spell() -> None:
    pacer, clock = limiter(RateLimit(per_second=10, burst=5, adaptive=False))
    start = clock.now
    for _ in range(5):
        await pacer.acquire()
    assert clock.now == start
    await pacer.acquire()
    assert clock.now == pytest.approx(start + 0.1)
    clock.now += 10  # quiet: the burst refills
    before = clock.now
    for _ in range(5):
        await pacer.acquire()
    assert clock.now == before


async def test_per_sender_rate_is_independent_per_sender() -> None:
    pacer, clock = limiter(RateLimit(per_sender=2.0, adaptive=False))
    start = clock.now
    for _ in range(10):
        await pacer.acquire("+15017122661")
    assert clock.now - start == pytest.approx(4.5)
    # Another sender has its own budget: no wait.
    before = clock.now
    await pacer.acquire("+15017122662")
    assert clock.now == before
    assert pacer.sender_rate("+15017122661") == 2.0


async def test_throttle_backs_off_ignores_echoes_then_recovers() -> None:
    settings = RateLimit(per_second=100, decrease=0.5, recovery=0.1, cooldown=1.0)
    pacer, clock = limiter(settings)
    for _ in range(300):
        await pacer.acquire()
        pacer.record_success()
    pacer.throttled()
    assert pacer.current_rate == pytest.approx(50.0, rel=0.05)
    pacer.throttled()  # a second 429 from the same burst: ignored
    assert pacer.current_rate == pytest.approx(50.0, rel=0.05)
    # Climbs back by 10% of the pre-drop rate per second, never above the ceiling.
    clock.now += 2.0
    await pacer.acquire()
    assert pacer.current_rate == pytest.approx(70.0, rel=0.05)
    clock.now += 60.0
    await pacer.acquire()
    assert pacer.current_rate == 100.0
    assert pacer.throttle_events == 1


async def test_uncapped_limiter_learns_a_rate_from_the_first_429() -> None:
    pacer, clock = limiter(RateLimit())
    assert pacer.current_rate == math.inf
    pacer.throttled()  # a 429 before anything was accepted: no signal, no change
    assert pacer.current_rate == math.inf
    for _ in range(80):
        await pacer.acquire()
        pacer.record_success()
        clock.now += 0.025  # 40/s getting through
    pacer.throttled()
    assert pacer.current_rate == pytest.approx(40 * 0.9, rel=0.1)


async def test_a_burst_429_early_on_does_not_collapse_the_rate() -> None:
    """100 requests at once, 50 accepted in the first 100 ms: the rate drops to about 425/s, not to zero."""
    pacer, clock = limiter(RateLimit())
    for _ in range(50):
        await pacer.acquire()
        pacer.record_success()
    clock.now += 0.01
    pacer.throttled()
    assert pacer.current_rate == pytest.approx(500 * 0.9, rel=0.05)


async def test_sender_queue_full_slows_only_that_sender() -> None:
    pacer, _ = limiter(RateLimit(per_sender=10.0))
    for _ in range(20):
        await pacer.acquire("A")
        await pacer.acquire("B")
    pacer.throttled("A")
    assert pacer.sender_rate("A") is not None
    assert pacer.sender_rate("A") < 10.0  # type: ignore[operator]
    assert pacer.sender_rate("B") == 10.0
    assert pacer.current_rate == math.inf


@pytest.mark.parametrize("enforced", [20.0, 75.0, 300.0])
async def test_adaptive_limiter_converges_on_an_enforced_rate(enforced: float) -> None:
    """A server that accepts at most `enforced` creates in any sliding second answers 429 beyond."""
    pacer, clock = limiter(RateLimit(per_second=enforced * 4))
    accepted: deque[float] = deque()
    results: list[tuple[float, bool]] = []
    start = clock.now
    while clock.now - start < 60.0:
        await pacer.acquire()
        clock.now += 0.0001  # the request takes a moment
        while accepted and accepted[0] <= clock.now - 1.0:
            accepted.popleft()
        ok = len(accepted) < enforced
        if ok:
            accepted.append(clock.now)
            pacer.record_success()
        else:
            pacer.throttled()
        results.append((clock.now, ok))
    settled = [ok for t, ok in results if t - start > 15.0]
    span = results[-1][0] - (start + 15.0)
    achieved = sum(settled) / span
    rejected = settled.count(False) / len(settled)
    assert achieved == pytest.approx(enforced, rel=0.10)
    assert rejected < 0.05


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="per_second"):
        RateLimit(per_second=0)
    with pytest.raises(ValueError, match="decrease"):
        RateLimit(decrease=1.5)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(burst=0)
