"""Async paginators over Twilio's list endpoints.

A paginator is returned without an ``await`` and streams: ``async for``
yields items, ``.pages()`` yields pages, and only one page is held at a time,
whatever the size of the log. Following ``next_page_uri`` is guarded: it
must stay on the client's host and must never repeat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ._errors import PaginationError, ValidationError
from ._hosts import pin_to_host

if TYPE_CHECKING:
    from ._http import HttpSession

__all__ = ["AsyncPaginator", "Page", "format_list_date", "page_size_param"]

T = TypeVar("T")

MAX_PAGE_SIZE = 1000


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


class AsyncPaginator(Generic[T]):
    """Streams a Twilio list, page by page, up to an optional ``limit`` of items."""

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
    ) -> None:
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValidationError("limit", "must be a whole number >= 1 (or None for no limit)")
        self._session = session
        self._url = url
        self._params = params
        self._key = key
        self._parse = parse
        self._limit = limit
        self._start_uri = start_uri

    def __repr__(self) -> str:
        return f"<AsyncPaginator {self._key} limit={self._limit}>"

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield pages in Twilio's order; the last one may be cut short by ``limit``."""
        remaining = self._limit
        seen: set[str] = set()
        if self._start_uri is not None:
            url, params = pin_to_host(self._session.base_url, self._start_uri), None
        else:
            url, params = self._url, self._params
        while True:
            if url in seen:
                raise PaginationError(f"the list repeated page {url!r}; stopping instead of looping forever")
            seen.add(url)
            data = await self._session.call("GET", url, params=params)
            page = self._page(data)
            if remaining is not None and len(page.items) >= remaining:
                yield attrs.evolve(page, items=page.items[:remaining])
                return
            yield page
            if remaining is not None:
                remaining -= len(page.items)
            if not page.next_page_uri or not page.items:
                return
            url, params = pin_to_host(self._session.base_url, page.next_page_uri), None

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self, *, max_items: int) -> list[T]:
        """Gather into a list, refusing to hold more than ``max_items`` (a bound is required)."""
        if not isinstance(max_items, int) or max_items < 1:
            raise ValidationError("max_items", "must be a whole number >= 1")
        result: list[T] = []
        async for item in self:
            if len(result) == max_items:
                raise PaginationError(
                    f"the list has more than max_items={max_items} items; raise the bound or pass limit="
                )
            result.append(item)
        return result

    def _page(self, data: Any) -> Page[T]:
        if not isinstance(data, dict) or not isinstance(data.get(self._key), list):
            raise PaginationError(f"malformed list page: expected a JSON object with a {self._key!r} array")
        next_uri = data.get("next_page_uri")
        if next_uri is not None and not isinstance(next_uri, str):
            raise PaginationError("malformed list page: next_page_uri is not a string")
        try:
            items = tuple(self._parse(item) for item in data[self._key])
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
