"""Faults the sandbox can inject, decided deterministically from a seed.

Each decision is keyed by what the request is (for a create, its recipient
and body; otherwise its method and path) and by how many times that key has
been seen. A test therefore gets the same faults for the same requests
however its tasks interleave.
"""

from __future__ import annotations

import enum
import random
import time
from collections import Counter

import attrs

__all__ = ["Fault", "Faults"]


class Fault(enum.Enum):
    """What happens to one request."""

    NONE = "none"
    RATE_LIMITED = "rate_limited"  # 429 / 20429, nothing processed
    SERVER_ERROR = "server_error"  # 500, nothing processed
    DROP_BEFORE = "drop_before"  # connection closed before processing
    DROP_AFTER = "drop_after"  # processed (a create is created), then the connection is closed


@attrs.frozen(kw_only=True)
class Faults:
    """Fault settings; all off by default.

    ``rate_limit`` is the account's creates per second (a token bucket of
    ``rate_limit_burst``, default one second's worth) answered with 429/20429
    beyond it, with ``Retry-After`` when ``retry_after`` is set.
    ``latency`` delays every answer. ``server_error_rate``, ``drop_before_rate``
    and ``drop_after_rate`` are probabilities per request. An undelivered
    message (``undelivered_rate``) fails asynchronously with one of
    ``undelivered_codes``.
    """

    rate_limit: float | None = None
    rate_limit_burst: int | None = None
    retry_after: float | None = None
    latency: float = 0.0
    server_error_rate: float = 0.0
    drop_before_rate: float = 0.0
    drop_after_rate: float = 0.0
    undelivered_rate: float = 0.0
    undelivered_codes: tuple[int, ...] = (30003, 30005, 30006, 30007)

    @property
    def random_faults(self) -> bool:
        return bool(self.server_error_rate or self.drop_before_rate or self.drop_after_rate)


class FaultInjector:
    """Applies :class:`Faults` for one sandbox."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self.faults = faults
        self.seed = seed
        self._seen: Counter[str] = Counter()
        burst = faults.rate_limit_burst or max(1, int(faults.rate_limit or 1))
        self._capacity = float(burst)
        self._tokens = float(burst)
        self._refilled = time.monotonic()

    def _take_token(self) -> bool:
        rate = self.faults.rate_limit
        if rate is None:
            return True
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def decide(self, key: str, *, is_create: bool) -> Fault:
        """The fault for this request (consumes a rate-limit token for a create)."""
        faults = self.faults
        if faults.random_faults:
            self._seen[key] += 1
            roll = random.Random(f"{self.seed}:{key}:{self._seen[key]}").random()
            if roll < faults.drop_before_rate:
                return Fault.DROP_BEFORE
            roll -= faults.drop_before_rate
            if roll < faults.server_error_rate:
                return Fault.SERVER_ERROR
            roll -= faults.server_error_rate
            if roll < faults.drop_after_rate:
                return Fault.DROP_AFTER if is_create else Fault.DROP_BEFORE
        if is_create and not self._take_token():
            return Fault.RATE_LIMITED
        return Fault.NONE

    def undelivered_code(self, sid: str) -> int | None:
        """The async failure code for a message, or None when it is delivered."""
        rate = self.faults.undelivered_rate
        if not rate:
            return None
        rng = random.Random(f"{self.seed}:dlr:{sid}")
        if rng.random() < rate:
            return rng.choice(self.faults.undelivered_codes)
        return None
