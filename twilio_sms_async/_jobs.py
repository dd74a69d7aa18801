"""A bulk send shared by several workers: the contract between :class:`BulkSend` and a job store.

Several processes (or machines) run ``send_many`` over the *same* input
with the same job. They split it in chunks of consecutive indices: each
worker claims a chunk under a lease, and before sending index ``i`` claims
``i`` itself, atomically, so no two workers ever send one index. A chunk
whose worker stopped renewing its lease is taken over by another; there, an
index that was claimed but never finished was in flight when its worker
died, and is reported ``unknown``, never sent again.

Chunks over a stream (a consumer group, say) because every worker already
has the input: only indices cross the store, never message bodies or phone
numbers, and the store's memory is a few bits per message.

The store itself lives elsewhere (``twilio_sms_async.redis.RedisJob``);
this module holds only what the core needs to drive one.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, NamedTuple, Protocol, runtime_checkable

from ._errors import TwilioError, ValidationError
from ._journal import fingerprint

__all__ = ["Claim", "Claimed", "SharedJob", "StoreUnavailableError", "chunked_items", "describe_input"]


class StoreUnavailableError(TwilioError):
    """The shared store (Redis) did not answer: nothing more is sent until it is back.

    Messages already in flight finish and are reported; rerun the job to
    resume where it stopped.
    """


class Claim(enum.Enum):
    """What a worker may do with an index it reached."""

    SEND = "send"  # claimed: this worker sends it
    DONE = "done"  # an outcome is recorded already: skip
    INTERRUPTED = "interrupted"  # claimed by a worker that died mid-send: report unknown


class Claimed(NamedTuple):
    """A claim's answer; for INTERRUPTED, who started the index and when (epoch seconds)."""

    verdict: Claim
    started_at: float | None = None
    worker: str | None = None


@runtime_checkable
class SharedJob(Protocol):
    """A job store several workers share (see the module docs)."""

    @property
    def job_id(self) -> str: ...

    @property
    def input_identity(self) -> tuple[int, str] | None:
        """``(total, input_id)`` when the caller knows them; else :func:`describe_input` reads the input."""
        ...

    async def join(self, *, total: int, input_id: str) -> None:
        """Create the job, or check that it was created for the same input.

        Raises :class:`~twilio_sms_async.JournalMismatchError` for other input.
        """
        ...

    async def next_chunk(self) -> range | None:
        """Claim a chunk of indices (fresh, or abandoned by a dead worker).

        Waits while other live workers still hold chunks that could yet be
        abandoned; ``None`` once every chunk is finished or held.
        """
        ...

    async def claim(self, index: int) -> Claimed:
        """Claim ``index`` before sending it."""
        ...

    def record(self, index: int, outcome: str, detail: str) -> None:
        """Record an outcome; it reaches the store with the next round trip or :meth:`close`."""
        ...

    def release(self, index: int) -> None:
        """Un-claim ``index``: it was certainly not sent (stored like :meth:`record`)."""
        ...

    async def renew(self) -> None:
        """Extend the leases of the chunks this worker holds."""
        ...

    @property
    def lease_seconds(self) -> float: ...

    async def close(self) -> None:
        """Store the outcomes not yet stored and release this worker's leases."""
        ...


def _reiterable(source: object) -> None:
    if isinstance(source, (Iterator, AsyncIterator)):
        raise ValidationError(
            "requests",
            "a shared job reads its input more than once (to find a chunk a dead worker left): "
            "pass a list or a reader that starts over on each iteration, not a generator",
        )


async def describe_input(source: Iterable[Any] | AsyncIterable[Any]) -> tuple[int, str]:
    """Count ``source`` and digest what it sends, so every worker can check it runs the same input.

    Reads the whole input once. Callers that know better (the CLI hashes the
    file and the template) pass ``total`` and ``input_id`` themselves.
    """
    _reiterable(source)
    total = 0
    digest = 0
    async for item in _items(source, 0):
        total += 1
        digest = zlib.crc32(_item_key(item).encode(), digest)
    return total, f"items:{total}:{digest:08x}"


def _item_key(item: Any) -> str:
    if isinstance(item, TwilioError):
        return "error"
    to = item.get("to") if isinstance(item, Mapping) else getattr(item, "to", None)
    body = item.get("body") if isinstance(item, Mapping) else getattr(item, "body", None)
    return fingerprint(str(to), None if body is None else str(body))


async def _items(source: Iterable[Any] | AsyncIterable[Any], start: int) -> AsyncIterator[Any]:
    """Items of ``source`` from index ``start`` on, read from the beginning."""
    position = 0
    if isinstance(source, AsyncIterable):
        async for item in source:
            if position >= start:
                yield item
            position += 1
    else:
        for item in source:
            if position >= start:
                yield item
            position += 1


async def chunked_items(job: SharedJob, source: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[tuple[int, Any]]:
    """``(index, item)`` for every index of every chunk this worker claims.

    Fresh chunks come in increasing order, so one pass over the input
    serves them; a chunk taken over behind the reader reopens the input.
    """
    _reiterable(source)
    reader: AsyncIterator[Any] | None = None
    position = 0
    try:
        while (chunk := await job.next_chunk()) is not None:
            if reader is None or chunk.start < position:
                if reader is not None:
                    await _close(reader)
                reader = aiter(_items(source, chunk.start))
                position = chunk.start
            while position < chunk.start:  # skip chunks other workers own
                await anext(reader)
                position += 1
            for index in chunk:
                try:
                    item = await anext(reader)
                except StopAsyncIteration:
                    raise ValidationError(
                        "requests", f"the input ended at index {index}, before the job's total; was it changed?"
                    ) from None
                position += 1
                yield index, item
    finally:
        if reader is not None:
            await _close(reader)


async def _close(reader: AsyncIterator[Any]) -> None:
    aclose = getattr(reader, "aclose", None)
    if aclose is not None:
        await aclose()
