"""Pacing message creates: a global rate, a per-sender rate, and learning from 429s.

Each meter is a GCRA (generic cell rate algorithm): one number per meter,
the theoretical arrival time, and reserving a slot is a synchronous update,
so concurrent tasks need no lock. A caller reserves its slot and then sleeps
until it comes, so waiting callers are served in arrival order.

The global rate is **adaptive** (AIMD). On a 429 it drops to ``decrease``
times what was actually getting through, and then climbs back linearly. The
climb is ``recovery`` of the pre-drop rate per second, up to the configured
ceiling. A fan-out thereby settles near what the account allows instead of
retrying into a wall. Twilio's 21611 (sender queue full) slows just that
sender in the same way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

import anyio
import attrs

__all__ = ["Limiter", "RateLimit", "RateLimiter"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Per-sender meters idle this long (seconds) are forgotten, so memory stays
#: bounded by the senders in recent use, not by every sender ever seen.
_IDLE_SENDER_TTL = 60.0


@attrs.frozen(kw_only=True)
class RateLimit:
    """Message-create pacing.

    ``per_second`` caps all creates (None: no cap until a 429 teaches one
    when ``adaptive``); ``per_sender`` caps each ``From`` number or
    Messaging Service, which is how Twilio queues (its MPS). ``burst`` lets
    that many go at once after a quiet spell.
    """

    per_second: float | None = None
    burst: int = 1
    per_sender: float | None = None
    per_sender_burst: int = 1
    adaptive: bool = True
    decrease: float = 0.9
    recovery: float = 0.05
    cooldown: float = 1.0
    min_per_second: float = 0.5

    def __attrs_post_init__(self) -> None:
        for name in ("per_second", "per_sender"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name}: must be > 0 (or None for no cap)")
        if self.burst < 1 or self.per_sender_burst < 1:
            raise ValueError("burst: must be >= 1")
        if not 0 < self.decrease < 1:
            raise ValueError("decrease: must be between 0 and 1")


@runtime_checkable
class Limiter(Protocol):
    """What the client needs from a create pacer.

    :class:`RateLimiter` paces one process; ``twilio_sms_async.redis``'s
    ``RedisRateLimiter`` shares one budget between processes. Pass either as
    ``AsyncClient(rate_limit=...)``.
    """

    @property
    def current_rate(self) -> float:
        """The global rate now in force (``inf`` when uncapped)."""
        ...

    async def acquire(self, sender: str | None = None) -> None:
        """Wait for the next create's slot (globally and for ``sender``)."""
        ...

    def throttled(self, sender: str | None = None) -> None:
        """A 429 (no ``sender``) or a 21611 (that sender's queue) was seen: slow down."""
        ...

    def record_success(self) -> None:
        """A create was accepted (the adaptive drop is based on the accepted rate)."""
        ...


class _Meter:
    """One GCRA meter; ``rate`` may change at any time."""

    __slots__ = ("burst", "rate", "tat")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tat = -math.inf

    def reserve(self, now: float) -> float:
        """Take the next slot; return how long to wait for it."""
        if self.rate == math.inf:
            return 0.0
        interval = 1.0 / self.rate
        start = self.tat if self.tat > now else now
        self.tat = start + interval
        delay = start - (self.burst - 1) * interval - now
        # Float noise in the schedule must not turn into a real sleep.
        return delay if delay > 1e-9 else 0.0


class _Adaptive:
    """AIMD state for one meter."""

    __slots__ = ("ceiling", "last_decrease", "last_update", "meter", "settings", "step")

    def __init__(self, meter: _Meter, ceiling: float, settings: RateLimit) -> None:
        self.meter = meter
        self.ceiling = ceiling
        self.settings = settings
        self.last_decrease = -math.inf
        self.last_update = -math.inf
        self.step = 0.0

    def throttled(self, now: float, observed: float) -> bool:
        if now - self.last_decrease < self.settings.cooldown:
            return False  # 429s from requests already in flight at the old rate
        current = self.meter.rate
        if observed <= 0.0 and current == math.inf:
            # Nothing accepted yet to measure: leave the pace to the retry backoff
            # until a success shows what gets through.
            return False
        base = observed if current == math.inf else min(current, max(observed, self.settings.min_per_second))
        new_rate = max(self.settings.min_per_second, base * self.settings.decrease)
        self.meter.rate = new_rate
        self.step = max(base * self.settings.recovery, self.settings.min_per_second)
        self.last_decrease = self.last_update = now
        # Nobody may use the old schedule's head start after a 429.
        self.meter.tat = max(self.meter.tat, now)
        return True

    def recover(self, now: float) -> None:
        rate = self.meter.rate
        if rate >= self.ceiling or self.step == 0.0:
            return
        elapsed = now - self.last_update
        self.last_update = now
        if elapsed > 0:
            self.meter.rate = min(self.ceiling, rate + self.step * elapsed)


class RateLimiter:
    """The client's create pacer: one global meter and one meter per active sender."""

    def __init__(self, settings: RateLimit, *, clock: Clock = time.monotonic, sleep: Sleep = anyio.sleep) -> None:
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        ceiling = settings.per_second or math.inf
        self._global = _Adaptive(_Meter(ceiling, settings.burst), ceiling, settings)
        self._senders: dict[str, _Adaptive] = {}
        # Accepted creates per 100 ms slot over the last second: what really got through.
        self._slots = [0] * 10
        self._slot_index = 0
        self._slot_started = clock()
        self._first_success: float | None = None
        self.throttle_events = 0

    @property
    def current_rate(self) -> float:
        """The global rate now in force (``inf`` when uncapped)."""
        return self._global.meter.rate

    def sender_rate(self, sender: str) -> float | None:
        state = self._senders.get(sender)
        return None if state is None else state.meter.rate

    def record_success(self) -> None:
        """Count a create Twilio accepted; the adaptive drop is based on this rate."""
        now = self._clock()
        self._advance_slots(now)
        self._slots[self._slot_index] += 1
        if self._first_success is None:
            self._first_success = now

    def _advance_slots(self, now: float) -> None:
        elapsed = now - self._slot_started
        if elapsed < 0.1:
            return
        steps = min(10, int(elapsed / 0.1))
        for _ in range(steps):
            self._slot_index = (self._slot_index + 1) % 10
            self._slots[self._slot_index] = 0
        self._slot_started += steps * 0.1 if steps < 10 else elapsed

    def observed_rate(self) -> float:
        """Accepted creates per second over the last second (or since the first, if sooner)."""
        now = self._clock()
        self._advance_slots(now)
        if self._first_success is None:
            return 0.0
        span = min(1.0, max(0.1, now - self._first_success))
        return sum(self._slots) / span

    async def acquire(self, sender: str | None = None) -> None:
        """Wait for this create's slot under the global and the sender's meter."""
        now = self._clock()
        if self.settings.adaptive:
            self._global.recover(now)
        delay = self._global.meter.reserve(now)
        if sender is not None and (self.settings.per_sender is not None or sender in self._senders):
            state = self._sender_state(sender, now)
            if self.settings.adaptive:
                state.recover(now)
            delay = max(delay, state.meter.reserve(now))
        if delay > 0.0:
            await self._sleep(delay)

    def _sender_state(self, sender: str, now: float) -> _Adaptive:
        state = self._senders.get(sender)
        if state is None:
            if len(self._senders) >= 1024:
                self._forget_idle(now)
            ceiling = self.settings.per_sender or math.inf
            state = _Adaptive(_Meter(ceiling, self.settings.per_sender_burst), ceiling, self.settings)
            self._senders[sender] = state
        return state

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, s in self._senders.items() if s.meter.tat < now - _IDLE_SENDER_TTL]:
            del self._senders[key]

    def throttled(self, sender: str | None = None) -> None:
        """A 429 (account) or, with ``sender``, a 21611 (that sender's queue): slow down."""
        if not self.settings.adaptive:
            return
        now = self._clock()
        if sender is None:
            if self._global.throttled(now, self.observed_rate()):
                self.throttle_events += 1
            return
        state = self._sender_state(sender, now)
        observed = state.meter.rate if state.meter.rate != math.inf else self.observed_rate()
        if state.throttled(now, observed):
            self.throttle_events += 1
