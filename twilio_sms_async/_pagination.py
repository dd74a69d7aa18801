"""Async paginators over Twilio's list endpoints.

A paginator is returned without an ``await`` and streams: ``async for``
yields items, ``.pages()`` yields pages, and memory holds the current page
plus at most ``prefetch`` pages fetched ahead, whatever the size of the log.
Following ``next_page_uri`` is guarded: it must stay on the client's host
and must never repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
import sniffio

from ._errors import PaginationError, ValidationError
from ._hosts import pin_to_host

if TYPE_CHECKING:
    from ._http import HttpSession

__all__ = ["AsyncPaginator", "Page", "format_list_date", "page_size_param"]

#: A page's decoded JSON and how many of its items are wanted (``limit`` may cut the last page).
_RawPage = tuple[dict[str, Any], int]

T = TypeVar("T")

MAX_PAGE_SIZE = 1000
_CYCLE_MEMORY = 10_000


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list: its items and where the list goes next.

    Save ``next_page_uri`` to resume a long listing later with
    ``paginator(start_uri=...)``.
    """

    items: tuple[T, ...]
    page: int
    page_size: int
    uri: str | None
    next_page_uri: str | None


class _Cursor(Generic[T]):
    """Where a listing is: the next URL, items still wanted, and recent pages (to catch cycles).

    Cycle detection remembers the last :data:`_CYCLE_MEMORY` page URLs, so
    its memory is bounded too; a cycle longer than that is not plausible.
    """

    def __init__(self, paginator: AsyncPaginator[T]) -> None:
        self.paginator = paginator
        session = paginator._session
        if paginator._start_uri is not None:
            self.url: str | None = pin_to_host(session.base_url, paginator._start_uri)
            self.params: list[tuple[str, str]] | None = None
        else:
            self.url, self.params = paginator._url, paginator._params
        self.remaining = paginator._limit
        self._recent: deque[int] = deque()
        self._seen: set[int] = set()

    async def fetch(self) -> _RawPage | None:
        """The next page's JSON, checked but not yet parsed, or None when the listing is complete.

        Parsing into models is left to the reader, so a prefetching task asks
        for the following page as soon as this one has arrived.
        """
        url = self.url
        if url is None:
            return None
        key = hash(url)
        if key in self._seen:
            raise PaginationError(f"the list repeated page {url!r}; stopping instead of looping forever")
        self._seen.add(key)
        self._recent.append(key)
        if len(self._recent) > _CYCLE_MEMORY:
            self._seen.discard(self._recent.popleft())
        paginator = self.paginator
        data = await paginator._session.call("GET", url, params=self.params)
        self.params = None
        items = paginator._envelope(data)
        take = len(items)
        if self.remaining is not None:
            if take >= self.remaining:
                self.url = None
                return data, self.remaining
            self.remaining -= take
        next_uri = data.get("next_page_uri")
        self.url = pin_to_host(paginator._session.base_url, next_uri) if next_uri and items else None
        return data, take


class _PageIterator(Generic[T]):
    """Pages in order; on asyncio, up to ``depth`` pages are fetched ahead by one background task.

    The background task exists only while pages are wanted: breaking out of
    the loop, an error, or :meth:`aclose` cancels it (and its in-flight
    request), so nothing is left running. Memory holds at most ``depth``
    pages beyond the one being read.
    """

    def __init__(self, cursor: _Cursor[T], depth: int) -> None:
        self._cursor = cursor
        self._depth = depth
        self._task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[_RawPage | BaseException | None] | None = None
        self._done = False

    def __aiter__(self) -> _PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        if self._done:
            raise StopAsyncIteration
        if self._depth > 0 and self._queue is None and sniffio.current_async_library() == "asyncio":
            self._queue = asyncio.Queue(maxsize=self._depth)
            # The task gets the cursor and queue, not this iterator, so an iterator
            # abandoned by a ``break`` can be collected and cancel it in __del__.
            self._task = asyncio.get_running_loop().create_task(_fill(self._cursor, self._queue))
        if self._queue is None:
            raw = await self._cursor.fetch()
        else:
            item = await self._queue.get()
            if isinstance(item, BaseException):
                self._done = True
                raise item
            raw = item
        if raw is None:
            self._done = True
            raise StopAsyncIteration
        return self._cursor.paginator._page(*raw)

    async def aclose(self) -> None:
        """Stop: cancel the page being fetched ahead, if any, and wait for it to go."""
        self._done = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def __del__(self) -> None:
        # A loop that broke out without aclose(): do not leave the fetch running.
        if self._task is not None and not self._task.done():
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                self._task.cancel()


async def _fill(cursor: _Cursor[T], queue: asyncio.Queue[_RawPage | BaseException | None]) -> None:
    try:
        while True:
            page = await cursor.fetch()
            await queue.put(page)
            if page is None:
                return
    except Exception as exc:  # handed to the reader, raised there
        await queue.put(exc)


class _ItemIterator(Generic[T]):
    __slots__ = ("_items", "_pages")

    def __init__(self, pages: _PageIterator[T]) -> None:
        self._pages = pages
        self._items: Iterator[T] = iter(())

    def __aiter__(self) -> _ItemIterator[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            for item in self._items:
                return item
            page = await self._pages.__anext__()
            self._items = iter(page.items)

    async def aclose(self) -> None:
        await self._pages.aclose()


class AsyncPaginator(Generic[T]):
    """Streams a Twilio list page by page, up to an optional ``limit`` of items.

    ``async for item in paginator`` yields items; ``paginator.pages()``
    yields :class:`Page` objects (save ``next_page_uri`` to resume later with
    ``start_uri=``). With ``prefetch`` (default 1) the next page is already
    being fetched while the caller works on the current one (on asyncio;
    trio pages sequentially). ``async with paginator as items:`` closes the
    prefetch deterministically even if the loop is left early.
    """

    def __init__(
        self,
        session: HttpSession,
        *,
        url: str,
        params: list[tuple[str, str]],
        key: str,
        parse: Callable[[Mapping[str, Any]], T],
        limit: int | None = None,
        start_uri: str | None = None,
        prefetch: int = 1,
    ) -> None:
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValidationError("limit", "must be a whole number >= 1 (or None for no limit)")
        if not isinstance(prefetch, int) or prefetch < 0:
            raise ValidationError("prefetch", "must be a whole number >= 0 (0: no prefetch)")
        self._session = session
        self._url = url
        self._params = params
        self._key = key
        self._parse = parse
        self._limit = limit
        self._start_uri = start_uri
        self._prefetch = prefetch
        self._open: weakref.WeakSet[_PageIterator[T]] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"<AsyncPaginator {self._key} limit={self._limit} prefetch={self._prefetch}>"

    def pages(self) -> _PageIterator[T]:
        """Iterate pages in Twilio's order; the last one may be cut short by ``limit``."""
        iterator = _PageIterator(_Cursor(self), self._prefetch)
        self._open.add(iterator)
        return iterator

    def __aiter__(self) -> _ItemIterator[T]:
        return _ItemIterator(self.pages())

    async def __aenter__(self) -> AsyncPaginator[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel any page still being fetched ahead for this paginator's iterations."""
        for iterator in list(self._open):
            await iterator.aclose()

    async def collect(self, *, max_items: int) -> list[T]:
        """Gather into a list, refusing to hold more than ``max_items`` (a bound is required)."""
        if not isinstance(max_items, int) or max_items < 1:
            raise ValidationError("max_items", "must be a whole number >= 1")
        result: list[T] = []
        items = self.__aiter__()
        try:
            async for item in items:
                if len(result) == max_items:
                    raise PaginationError(
                        f"the list has more than max_items={max_items} items; raise the bound or pass limit="
                    )
                result.append(item)
        finally:
            await items.aclose()
        return result

    def _envelope(self, data: Any) -> list[Any]:
        """The page's item list, after checking the envelope around it."""
        if not isinstance(data, dict) or not isinstance(data.get(self._key), list):
            raise PaginationError(f"malformed list page: expected a JSON object with a {self._key!r} array")
        next_uri = data.get("next_page_uri")
        if next_uri is not None and not isinstance(next_uri, str):
            raise PaginationError("malformed list page: next_page_uri is not a string")
        return data[self._key]  # type: ignore[no-any-return]

    def _page(self, data: dict[str, Any], take: int) -> Page[T]:
        next_uri = data.get("next_page_uri")
        try:
            items = tuple(self._parse(item) for item in data[self._key][:take])
        except (AttributeError, TypeError) as exc:
            raise PaginationError(f"malformed list page: an item of {self._key!r} is not an object") from exc
        return Page(
            items=items,
            page=int(data.get("page") or 0),
            page_size=int(data.get("page_size") or len(items)),
            uri=data.get("uri"),
            next_page_uri=next_uri,
        )


def page_size_param(page_size: int | None, limit: int | None) -> int:
    """The ``PageSize`` to request: the caller's, checked, or one sized to ``limit``."""
    if page_size is None:
        # Don't fetch 50 to show 3; don't fetch 50 at a time to show 10,000.
        return min(limit, MAX_PAGE_SIZE) if isinstance(limit, int) and limit >= 1 else 50
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError("page_size", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return page_size


def format_list_date(field: str, value: date | datetime) -> str:
    """A list filter value: ``YYYY-MM-DD`` for a date, UTC ISO 8601 for an aware datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(field, "is naive; pass an aware datetime or a date")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    raise ValidationError(field, f"must be a date or datetime, not {type(value).__name__}")
