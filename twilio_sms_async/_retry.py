"""When to try a request again, and how long to wait first.

Twilio's Message create has no idempotency key (facts sheet §15), so the
rules differ by operation:

* reads, deletes and updates are retried on connection failures, timeouts,
  429 and 500/502/503/504: repeating them cannot duplicate anything;
* a **create** is retried only where Twilio certainly did not act: the
  connection failed before the request was written, or Twilio answered
  429/20429 ("never processed", §10a). A timeout after sending, a reset
  mid-response or a 5xx leaves the outcome unknown: that raises
  :class:`OutcomeUnknownError` instead of risking a second message.

Waits are exponential with full jitter, capped per wait and in total, and a
server's ``Retry-After`` replaces the computed wait (clamped to the deadline).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal, TypeVar

import anyio
import attrs

from ._errors import APIError, RateLimitError, ServerError, TransportError, TwilioError
from ._redaction import logger, mask_phone

if TYPE_CHECKING:
    from ._requests import MessageRequest

__all__ = [
    "NO_RETRY",
    "Decision",
    "OutcomeUnknownError",
    "RetryPolicy",
    "RetryStats",
    "call_with_retry",
    "parse_retry_after",
]

T = TypeVar("T")

Decision = Literal["retry", "raise", "unknown"]

_RETRY_STATUSES = frozenset({500, 502, 503, 504})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How many times, and how patiently, to try a request.

    ``max_attempts`` counts the first try. ``max_total`` bounds the whole
    call, waits included. ``retry_codes`` lists Twilio error codes that mean
    "not accepted, try later" for a create; add 21611 (sender queue full) to
    wait for a busy sender instead of failing the message.
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    max_total: float = 45.0
    initial_wait: float = 0.5
    max_wait: float = 8.0
    respect_retry_after: bool = True
    retry_codes: frozenset[int] = frozenset({20429})

    def backoff(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """Full-jitter wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
        ceiling = min(self.max_wait, self.initial_wait * (2 ** (attempt - 1)))
        return (rng or random).uniform(0.0, ceiling)

    def wait_for(self, error: TwilioError, attempt: int, *, rng: random.Random | None = None) -> float:
        """The wait before the next try: the server's ``Retry-After`` if it gave one, else :meth:`backoff`."""
        if self.respect_retry_after and isinstance(error, RateLimitError) and error.retry_after is not None:
            return error.retry_after
        if self.respect_retry_after and isinstance(error, APIError):
            hinted = parse_retry_after(error.headers)
            if hinted is not None:
                return hinted
        return self.backoff(attempt, rng=rng)

    def decide(self, error: TwilioError, *, idempotent: bool) -> Decision:
        """Whether ``error`` is worth another try, fatal, or (for a create) an unknown outcome."""
        if isinstance(error, RateLimitError):
            return "retry"
        if isinstance(error, APIError) and error.code in self.retry_codes and error.status < 500:
            return "retry"
        if isinstance(error, TransportError):
            if not error.request_sent or idempotent:
                return "retry"
            return "unknown"
        if isinstance(error, ServerError):
            if not idempotent:
                return "unknown"
            return "retry" if error.status in _RETRY_STATUSES else "raise"
        return "raise"


#: A policy that tries once: failures surface immediately (still as OutcomeUnknownError for creates).
NO_RETRY = RetryPolicy(max_attempts=1)


class OutcomeUnknownError(TwilioError):
    """A create may or may not have reached Twilio: do not send it again blindly.

    Carries what reconciliation needs: the :attr:`request`, the
    :attr:`attempt` whose outcome is unknown, when it started
    (:attr:`started_at`, UTC) and the underlying error as ``__cause__``.
    ``client.messages.find_sent(request, since=err.started_at)`` looks for it.
    """

    def __init__(self, request: MessageRequest, *, attempt: int, started_at: datetime, reason: str) -> None:
        self.request = request
        self.attempt = attempt
        self.started_at = started_at
        self.reason = reason
        super().__init__(
            f"outcome unknown for the message to {mask_phone(request.to)} "
            f"(attempt {attempt}, started {started_at:%Y-%m-%dT%H:%M:%SZ}): {reason}; "
            "it may have been sent: reconcile before sending it again"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_unknown, (self.request, self.attempt, self.started_at, self.reason))


def _rebuild_unknown(request: MessageRequest, attempt: int, started_at: datetime, reason: str) -> OutcomeUnknownError:
    return OutcomeUnknownError(request, attempt=attempt, started_at=started_at, reason=reason)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait according to ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date), or None."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return value if math.isfinite(value) and value >= 0 else None


@attrs.define
class RetryStats:
    """Counters a client keeps across all its calls (read them from ``client.stats``)."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    unknown_outcomes: int = 0


async def call_with_retry(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    label: str,
    stats: RetryStats,
    on_error: Callable[[TwilioError], None] | None = None,
    on_unknown: Callable[[int, datetime, TwilioError], TwilioError] | None = None,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``attempt`` until it succeeds or the policy says stop.

    ``on_error`` sees every failure (the rate limiter learns from 429s
    there). For a non-idempotent call, an unknown outcome is turned into the
    exception ``on_unknown`` builds, raised from the original error.
    """
    deadline = clock() + policy.max_total
    tries = 0
    while True:
        tries += 1
        stats.requests += 1
        started_at = datetime.now(UTC)
        try:
            return await attempt()
        except TwilioError as error:
            if isinstance(error, RateLimitError):
                stats.rate_limited += 1
            if on_error is not None:
                on_error(error)
            decision = policy.decide(error, idempotent=idempotent)
            if decision == "unknown":
                stats.unknown_outcomes += 1
                if on_unknown is None:
                    raise
                raise on_unknown(tries, started_at, error) from error
            if decision == "raise" or tries >= policy.max_attempts:
                raise
            wait = policy.wait_for(error, tries)
            remaining = deadline - clock()
            if wait > remaining:
                raise
            stats.retries += 1
            if logger.isEnabledFor(10):
                logger.debug(
                    "retrying %s after %s (attempt %d of %d) in %.2f s",
                    label,
                    type(error).__name__,
                    tries + 1,
                    policy.max_attempts,
                    wait,
                )
            await sleep(wait)
