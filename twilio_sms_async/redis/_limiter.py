"""``RedisRateLimiter``: one create budget shared by every process that uses the same key.

The arithmetic is :class:`~twilio_sms_async.RateLimiter`'s (GCRA meters,
AIMD on 429 and 21611), but the meters live in Redis and each acquisition
is one Lua script: it reserves the global slot and the sender's slot and
says how long to wait. A 429 seen by one worker therefore slows all of
them, and the recovery is shared too.

Successes and throttles are noted locally and ride along with the next
acquisition, so pacing costs one round trip per message, not three.
"""

from __future__ import annotations

import math

import anyio

from .._limits import RateLimit, Sleep
from ._connect import Redis, RedisHandle
from ._scripts import ACQUIRE

__all__ = ["RedisRateLimiter"]


class RedisRateLimiter:
    """Pass as ``AsyncClient(rate_limit=RedisRateLimiter(redis, RateLimit(...), key="my-account"))``.

    Every process sharing ``key`` (use the account SID, or one key per
    Twilio account) shares one budget. All of them should pass the same
    :class:`RateLimit`; the ceilings in force are those of the process
    acquiring. ``redis`` is a ``redis.asyncio.Redis`` or a URL. Raises
    :class:`~twilio_sms_async.StoreUnavailableError` (before sending) when
    Redis cannot be reached.
    """

    def __init__(
        self,
        redis: Redis | str,
        settings: RateLimit | float,
        *,
        key: str,
        prefix: str = "twilio-sms",
        sleep: Sleep = anyio.sleep,
    ) -> None:
        if not isinstance(settings, RateLimit):
            settings = RateLimit(per_second=float(settings))
        if not key or any(c.isspace() for c in key):
            raise ValueError("key: a non-empty name without spaces (the account SID, say)")
        self.settings = settings
        self._sleep = sleep
        self._redis = RedisHandle(redis)
        self._base = f"{prefix}:rate:{{{key}}}:"
        self._successes = 0
        self._throttle_global = False
        self._throttled_senders: set[str] = set()
        self._rate = settings.per_second or math.inf
        self.throttle_events = 0
        s = settings
        self._fixed = [
            s.per_second or 0,
            s.burst,
            s.per_sender or 0,
            s.per_sender_burst,
            1 if s.adaptive else 0,
            s.decrease,
            s.recovery,
            s.cooldown,
            s.min_per_second,
        ]

    def __repr__(self) -> str:
        return f"<RedisRateLimiter {self._base[:-1]!r} {self.settings!r}>"

    @property
    def current_rate(self) -> float:
        """The shared global rate as of this process's last acquisition (``inf`` when uncapped)."""
        return self._rate

    def record_success(self) -> None:
        self._successes += 1

    def throttled(self, sender: str | None = None) -> None:
        if not self.settings.adaptive:
            return
        self.throttle_events += 1
        if sender is None:
            self._throttle_global = True
        else:
            self._throttled_senders.add(sender)

    async def acquire(self, sender: str | None = None) -> None:
        successes, self._successes = self._successes, 0
        throttle_global, self._throttle_global = self._throttle_global, False
        sender_key = ""
        throttle_sender = False
        if sender is not None and (self.settings.per_sender is not None or sender in self._throttled_senders):
            sender_key = self._base + "sender:" + sender
            throttle_sender = sender in self._throttled_senders
            self._throttled_senders.discard(sender)
        try:
            delay_us, rate_milli = await self._redis.run(
                ACQUIRE,
                [self._base + "global", sender_key, self._base + "ok:"],
                [*self._fixed, successes, int(throttle_global), int(throttle_sender)],
                "pacing a message",
            )
        except BaseException:
            # Not applied: keep them for the next acquisition.
            self._successes += successes
            self._throttle_global = self._throttle_global or throttle_global
            if throttle_sender and sender is not None:
                self._throttled_senders.add(sender)
            raise
        self._rate = rate_milli / 1000 if rate_milli else math.inf
        if delay_us > 0:
            await self._sleep(delay_us / 1_000_000)

    async def aclose(self) -> None:
        """Close a connection this limiter opened from a URL."""
        await self._redis.aclose()
