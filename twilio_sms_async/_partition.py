"""Listing a long date range fast: windows listed concurrently, merged into one stream.

Twilio's list is sequential (each page names the next), so one listing moves
at one page per round trip. Split the range into windows and each window is
its own sequential listing, so ``concurrency`` windows move at once.

Windows are whole GMT days. Twilio applies the ``DateSent`` filters by date,
inclusively on both ends ("on and before", "on and after"), so windows like
``[Jan 1, Jan 4]``, ``[Jan 5, Jan 8]`` neither overlap nor leave a gap. A
message exactly on a boundary belongs to exactly one window.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from types import TracebackType
from typing import Generic, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._errors import ValidationError
from ._pagination import AsyncPaginator

__all__ = ["PartitionedListing", "day_windows"]

T = TypeVar("T")


def day_windows(first: date, last: date, count: int) -> list[tuple[date, date]]:
    """Split ``[first, last]`` (inclusive days) into up to ``count`` contiguous windows, newest first."""
    if last < first:
        raise ValidationError("date_sent_before", "is earlier than date_sent_after")
    if count < 1:
        raise ValidationError("windows", "must be a whole number >= 1")
    days = (last - first).days + 1
    count = min(count, days)
    size, extra = divmod(days, count)
    windows = []
    start = first
    for i in range(count):
        length = size + (1 if i < extra else 0)
        end = start + timedelta(days=length - 1)
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows[::-1]


class PartitionedListing(Generic[T]):
    """One stream of items from several windows listed at once.

    Use as ``async with client.messages.list_partitioned(...) as messages:``
    then ``async for message in messages``. With ``ordered=True`` items come
    in Twilio's order across windows (newest window first), and each window
    buffers at most ``buffer_pages`` pages ahead of the reader; otherwise
    items come as soon as any window has them. Leaving the block early
    cancels every window's listing.
    """

    def __init__(
        self,
        windows: list[tuple[date, date]],
        listing: Callable[[date, date], AsyncPaginator[T]],
        *,
        concurrency: int,
        ordered: bool,
        buffer_pages: int,
    ) -> None:
        if concurrency < 1:
            raise ValidationError("concurrency", "must be a whole number >= 1")
        if buffer_pages < 1:
            raise ValidationError("buffer_pages", "must be a whole number >= 1")
        self.windows = windows
        self._listing = listing
        self._concurrency = min(concurrency, len(windows))
        self._ordered = ordered
        self._buffer = buffer_pages
        self._next_window = 0
        self._task_group: TaskGroup | None = None
        self._streams: list[tuple[MemoryObjectSendStream[tuple[T, ...]], MemoryObjectReceiveStream[tuple[T, ...]]]] = []
        self._shared: MemoryObjectReceiveStream[tuple[T, ...]] | None = None

    async def __aenter__(self) -> PartitionedListing[T]:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        if self._ordered:
            self._streams = [anyio.create_memory_object_stream[tuple[T, ...]](self._buffer) for _ in self.windows]
            for _ in range(self._concurrency):
                self._task_group.start_soon(self._ordered_worker)
        else:
            send, self._shared = anyio.create_memory_object_stream[tuple[T, ...]](self._concurrency * self._buffer)
            for _ in range(self._concurrency):
                self._task_group.start_soon(self._unordered_worker, send.clone())
            send.close()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._task_group is not None
        self._task_group.cancel_scope.cancel()
        try:
            return await self._task_group.__aexit__(exc_type, exc, tb)
        finally:
            for send, receive in self._streams:
                send.close()
                receive.close()
            if self._shared is not None:
                self._shared.close()

    def _claim(self) -> int | None:
        if self._next_window >= len(self.windows):
            return None
        index = self._next_window
        self._next_window += 1
        return index

    async def _list_window(self, index: int, send: MemoryObjectSendStream[tuple[T, ...]]) -> None:
        first, last = self.windows[index]
        async with self._listing(first, last) as paginator:  # closes the window's prefetch, even on cancel
            async for page in paginator.pages():
                if page.items:
                    await send.send(page.items)

    async def _unordered_worker(self, send: MemoryObjectSendStream[tuple[T, ...]]) -> None:
        async with send:
            while (index := self._claim()) is not None:
                await self._list_window(index, send)

    async def _ordered_worker(self) -> None:
        while (index := self._claim()) is not None:
            send = self._streams[index][0]
            async with send:
                await self._list_window(index, send)

    def __aiter__(self) -> AsyncIterator[T]:
        if self._task_group is None:
            raise RuntimeError("use `async with client.messages.list_partitioned(...) as messages:`")
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        if self._ordered:
            for _, receive in self._streams:
                async for items in receive:
                    for item in items:
                        yield item
        else:
            assert self._shared is not None
            async for items in self._shared:
                for item in items:
                    yield item
