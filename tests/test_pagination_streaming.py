"""Prefetch, cancellation, resume, and partitioned listing over date windows."""

from __future__ import annotations

import asyncio
import gc
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

from twilio_sms_async import AsyncClient, ValidationError
from twilio_sms_async._partition import day_windows
from twilio_sms_async.testing import SANDBOX_NUMBER, Sandbox, SandboxClock

from .conftest import ACCOUNT_SID, AUTH_TOKEN, FAST_RETRY, message_json

LIST_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def pages_server(pages: int, per_page: int, on_page: Callable[[int], Any] | None = None) -> httpx.MockTransport:
    async def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("Page", "0"))
        if on_page is not None:
            waited = on_page(number)
            if waited is not None:
                await waited
        items = [message_json(sid=f"SM{number * per_page + i:032x}") for i in range(per_page)]
        next_uri = (
            f"{LIST_PATH}?PageSize={per_page}&Page={number + 1}&PageToken=PA{number + 1}"
            if number + 1 < pages
            else None
        )
        return httpx.Response(
            200, json={"messages": items, "next_page_uri": next_uri, "page": number, "page_size": per_page}
        )

    return httpx.MockTransport(handler)


def client_with(transport: httpx.AsyncBaseTransport) -> AsyncClient:
    return AsyncClient(ACCOUNT_SID, AUTH_TOKEN, transport=transport, retry=FAST_RETRY)


@pytest.mark.parametrize(("prefetch", "ahead"), [(1, True), (0, False)])
async def test_next_page_is_in_flight_while_the_caller_works(prefetch: int, ahead: bool) -> None:
    requested: list[int] = []
    page_one_asked = anyio.Event()

    def on_page(number: int) -> None:
        requested.append(number)
        if number == 1:
            page_one_asked.set()

    async with client_with(pages_server(3, 2, on_page)) as client:
        iterator = client.messages.list(prefetch=prefetch).pages()
        first = await iterator.__anext__()
        assert first.page == 0
        with anyio.move_on_after(0.5):
            await page_one_asked.wait()  # the caller is "working" on page 0 here
        assert page_one_asked.is_set() is ahead
        rest = [page.page async for page in iterator]
    assert rest == [1, 2]
    assert requested == [0, 1, 2]


async def test_prefetch_depth_bounds_what_is_held() -> None:
    requested: list[int] = []
    async with client_with(pages_server(50, 10, requested.append)) as client:
        iterator = client.messages.list(prefetch=3).pages()
        await iterator.__anext__()
        await anyio.sleep(0.2)  # a slow reader: the fetcher must stop 3 pages ahead
        assert max(requested) <= 1 + 3
        count = 1 + len([p async for p in iterator])
    assert count == 50


async def test_breaking_out_cancels_the_in_flight_fetch() -> None:
    stalled = anyio.Event()
    release = anyio.Event()

    def on_page(number: int) -> Any:
        if number == 1:
            stalled.set()
            return release.wait()
        return None

    async with client_with(pages_server(5, 2, on_page)) as client:
        async for message in client.messages.list():
            assert message.sid
            await stalled.wait()
            break
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert others == [], others

        # The explicit form cancels deterministically too.
        async with client.messages.list() as messages:
            async for _ in messages:
                break
        for _ in range(5):
            await asyncio.sleep(0)
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_errors_from_the_prefetch_reach_the_reader() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("Page") == "1":
            return httpx.Response(404, json={"code": 20404, "message": "gone", "status": 404})
        return httpx.Response(200, json={"messages": [message_json()], "next_page_uri": f"{LIST_PATH}?Page=1"})

    from twilio_sms_async import NotFoundError

    got: list[Any] = []

    async def read_all(client: AsyncClient) -> None:
        async for message in client.messages.list():
            got.append(message)

    async with client_with(httpx.MockTransport(handler)) as client:
        with pytest.raises(NotFoundError):
            await read_all(client)
    assert len(got) == 1


async def test_resume_from_a_page_token() -> None:
    seen: list[httpx.URL] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"messages": [message_json()], "next_page_uri": None})

    async with client_with(httpx.MockTransport(handler)) as client:
        got = await client.messages.list(to="+15558675310", page_token="PA3000").collect(max_items=5)
    assert len(got) == 1
    assert seen[0].params["PageToken"] == "PA3000"
    assert seen[0].params["To"] == "+15558675310"
    with pytest.raises(ValidationError):
        client.messages.list(page_token="a&b=c")


def test_trio_pages_sequentially() -> None:
    async def main() -> int:
        async with client_with(pages_server(4, 3)) as client:
            return len([m async for m in client.messages.list(prefetch=2)])

    assert anyio.run(main, backend="trio") == 12


@pytest.mark.parametrize(
    ("first", "last", "count", "sizes"),
    [
        (date(2024, 1, 1), date(2024, 1, 10), 3, [3, 3, 4]),
        (date(2024, 1, 1), date(2024, 1, 2), 8, [1, 1]),
        (date(2024, 1, 1), date(2024, 1, 1), 4, [1]),
        (date(2024, 1, 1), date(2024, 3, 31), 8, [11, 11, 11, 11, 11, 12, 12, 12]),
    ],
)
def test_day_windows_cover_the_range_exactly_newest_first(
    first: date, last: date, count: int, sizes: list[int]
) -> None:
    windows = day_windows(first, last, count)
    assert [(b - a).days + 1 for a, b in windows] == sizes
    assert windows[0][1] == last
    assert windows[-1][0] == first
    for newer, older in itertools.pairwise(windows):
        assert older[1] + timedelta(days=1) == newer[0]


async def make_log(days: int, per_day: int) -> tuple[Sandbox, date, list[str]]:
    """A sandbox whose messages were sent over ``days`` days, including at 00:00:00 and 23:59:59."""
    start = datetime(2024, 3, 1, tzinfo=UTC)
    sandbox = Sandbox(clock=SandboxClock(start=start.timestamp() - 1.0))  # sent = created + 1 s
    sids = []
    async with sandbox.client() as client:
        for day in range(days):
            offsets = [0.0, 86399.0] + [86400.0 * (i + 1) / (per_day + 1) for i in range(per_day - 2)]
            for offset in sorted(offsets):
                target = start.timestamp() - 1.0 + day * 86400 + offset
                sandbox.clock.advance(max(0.0, target - sandbox.clock.now()))
                sids.append((await client.messages.send(to="+15558675310", from_=SANDBOX_NUMBER, body=f"d{day}")).sid)
        await sandbox.advance(5)
    return sandbox, start.date(), sids


@pytest.mark.parametrize("ordered", [False, True])
async def test_partitioned_listing_is_complete_without_duplicates(ordered: bool) -> None:
    sandbox, first_day, sids = await make_log(days=10, per_day=6)
    async with sandbox.client() as client:
        async with client.messages.list_partitioned(
            date_sent_after=first_day,
            date_sent_before=first_day + timedelta(days=9),
            windows=3,
            ordered=ordered,
            page_size=4,
        ) as messages:
            got = [m async for m in messages]
        sequential = [m.sid async for m in client.messages.list(page_size=50)]
    assert sorted(m.sid for m in got) == sorted(sids)
    assert len(got) == len({m.sid for m in got}) == 60
    if ordered:
        assert [m.sid for m in got] == sequential  # Twilio's order (newest first) across windows


async def test_partitioned_listing_beats_sequential_with_page_latency() -> None:
    sandbox, first_day, _ = await make_log(days=8, per_day=6)
    sandbox.faults = sandbox.faults.__class__(latency=0.05)
    sandbox._injector.faults = sandbox.faults
    async with sandbox.client() as client:
        started = anyio.current_time()
        sequential = [m async for m in client.messages.list(page_size=3, prefetch=0)]
        seq_time = anyio.current_time() - started
        started = anyio.current_time()
        async with client.messages.list_partitioned(
            date_sent_after=first_day, date_sent_before=first_day + timedelta(days=7), windows=8, page_size=3
        ) as messages:
            parallel = [m async for m in messages]
        par_time = anyio.current_time() - started
    assert len(parallel) == len(sequential) == 48
    assert par_time < seq_time / 3  # 8 windows: several times faster (8x in the benchmark)


async def test_leaving_a_partitioned_listing_early_cancels_every_window() -> None:
    sandbox, first_day, _ = await make_log(days=4, per_day=4)
    async with (
        sandbox.client() as client,
        client.messages.list_partitioned(
            date_sent_after=first_day, date_sent_before=first_day + timedelta(days=3), windows=4, page_size=1
        ) as messages,
    ):
        async for _ in messages:
            break
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


def test_partition_arguments_are_checked() -> None:
    client = AsyncClient(ACCOUNT_SID, AUTH_TOKEN)
    with pytest.raises(ValidationError, match="earlier"):
        client.messages.list_partitioned(date_sent_after=date(2024, 2, 1), date_sent_before=date(2024, 1, 1))
    with pytest.raises(ValidationError, match="whole days"):
        client.messages.list_partitioned(
            date_sent_after=datetime(2024, 1, 1, tzinfo=UTC), date_sent_before=date(2024, 1, 2)
        )
