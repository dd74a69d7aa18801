"""The paginator: following next_page_uri safely, limits, collect bounds, media envelopes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from twilio_sms_async import AsyncClient, PaginationError, ValidationError

from .conftest import ACCOUNT_SID, BASE, message_json

LIST_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def sid(n: int) -> str:
    return f"SM{n:032x}"


def page(numbers: range, next_uri: str | None, page_no: int = 0) -> dict[str, Any]:
    return {
        "messages": [message_json(sid=sid(n)) for n in numbers],
        "next_page_uri": next_uri,
        "page": page_no,
        "page_size": len(numbers),
        "uri": LIST_PATH,
    }


def three_pages(mock_api: respx.MockRouter) -> respx.Route:
    def answer(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("PageToken")
        if token is None:
            return httpx.Response(200, json=page(range(3), f"{LIST_PATH}?PageSize=3&Page=1&PageToken=PA1", 0))
        if token == "PA1":
            return httpx.Response(200, json=page(range(3, 6), f"{LIST_PATH}?PageSize=3&Page=2&PageToken=PA2", 1))
        return httpx.Response(200, json=page(range(6, 8), None, 2))

    return mock_api.get("/Messages.json").mock(side_effect=answer)


async def test_follows_every_page_in_order(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = three_pages(mock_api)
    got = [m.sid async for m in client.messages.list(page_size=3)]
    assert got == [sid(n) for n in range(8)]
    assert route.call_count == 3
    assert all(str(c.request.url).startswith(BASE) for c in route.calls)


async def test_limit_stops_early_and_sizes_pages(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = three_pages(mock_api)
    got = [m.sid async for m in client.messages.list(limit=4, page_size=3)]
    assert got == [sid(n) for n in range(4)]
    assert route.call_count == 2
    before = route.call_count
    await client.messages.list(limit=7).collect(max_items=100)
    assert route.calls[before].request.url.params["PageSize"] == "7"


async def test_pages_expose_resume_point_and_resume_works(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    three_pages(mock_api)
    pages = [p async for p in client.messages.list(page_size=3).pages()]
    assert [p.page for p in pages] == [0, 1, 2]
    assert pages[0].next_page_uri is not None
    resumed = [m.sid async for m in client.messages.list(start_uri=pages[0].next_page_uri)]
    assert resumed == [sid(n) for n in range(3, 8)]


async def test_collect_requires_and_enforces_a_bound(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    three_pages(mock_api)
    with pytest.raises(PaginationError, match=r"more than max_items=5"):
        await client.messages.list(page_size=3).collect(max_items=5)
    with pytest.raises(ValidationError):
        await client.messages.list().collect(max_items=0)


async def test_cycle_is_detected(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    mock_api.get("/Messages.json").respond(200, json=page(range(2), f"{LIST_PATH}?PageToken=SAME"))
    with pytest.raises(PaginationError, match="repeated page"):
        await client.messages.list().collect(max_items=1000)


async def test_next_page_on_another_host_is_refused(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    mock_api.get("/Messages.json").respond(200, json=page(range(2), "https://evil.example/steal.json"))
    with respx.mock(assert_all_called=False) as outside:
        evil = outside.get("https://evil.example/steal.json")
        outside.route(host="api.twilio.com").pass_through()
        with pytest.raises(PaginationError, match=r"evil\.example"):
            await client.messages.list().collect(max_items=1000)
    assert not evil.called


@pytest.mark.parametrize(
    "body",
    [[], {"messages": "nope"}, {"no_messages": []}, {"messages": [1, 2]}, {"messages": [], "next_page_uri": 5}],
)
async def test_malformed_envelopes_raise(client: AsyncClient, mock_api: respx.MockRouter, body: Any) -> None:
    mock_api.get("/Messages.json").respond(200, json=body)
    with pytest.raises(PaginationError, match="malformed"):
        await client.messages.list().collect(max_items=10)


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"page_size": 0}, "page_size"), ({"page_size": 1001}, "page_size"), ({"limit": 0}, "limit")]
)
def test_bad_list_arguments(client: AsyncClient, kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        client.messages.list(**kwargs)
    assert info.value.field == field
