"""send_many: every input exactly one result, nothing resent that may have landed, resumable, cancel-safe."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio
import anyio.lowlevel
import httpx
import pytest

from twilio_sms_async import (
    AsyncClient,
    JournalMismatchError,
    Outcome,
    OutcomeUnknownError,
    RecipientUnsubscribedError,
    SendResult,
    ValidationError,
)

from .conftest import ACCOUNT_SID, AUTH_TOKEN, FAST_RETRY, message_json

SENDER = "+15017122661"


class FakeTwilio:
    """A create endpoint whose answer depends on the recipient's last digits.

    ...01 -> 21610 (refused); ...02 -> read timeout (may have landed);
    ...03 -> connection refused once, then accepted; ...04 -> stalls forever;
    anything else -> 201.
    """

    def __init__(self) -> None:
        self.posts: Counter[str] = Counter()
        self.refused_once: set[str] = set()
        self.sids = itertools.count(1)
        self.stall = anyio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        to = form["To"]
        if to.endswith("03") and to not in self.refused_once:
            self.refused_once.add(to)
            raise httpx.ConnectError("refused", request=request)
        self.posts[to] += 1
        await anyio.lowlevel.checkpoint()
        if to.endswith("01"):
            return httpx.Response(400, json={"code": 21610, "message": "unsubscribed", "status": 400})
        if to.endswith("02"):
            raise httpx.ReadTimeout("slow", request=request)
        if to.endswith("04"):
            await self.stall.wait()
        sid = f"SM{next(self.sids):032x}"
        return httpx.Response(201, json=message_json(sid=sid, to=to, body=form.get("Body", "")))


def number(i: int) -> str:
    return f"+1555{i:07d}"


def requests(n: int, tail: Counter[str] | None = None) -> Iterator[dict[str, Any]]:
    """``n`` requests, leaving out the recipients that stall."""
    for i in range(n):
        if number(i).endswith("04"):
            continue
        if tail is not None:
            tail["read"] += 1
        yield {"to": number(i), "body": f"message {i}"}


@pytest.fixture
def fake() -> FakeTwilio:
    return FakeTwilio()


@pytest.fixture
async def bulk_client(fake: FakeTwilio) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(ACCOUNT_SID, AUTH_TOKEN, transport=httpx.MockTransport(fake), retry=FAST_RETRY) as c:
        yield c


def expected_outcome(i: int) -> Outcome:
    tail = number(i)[-2:]
    return {"01": Outcome.FAILED, "02": Outcome.UNKNOWN}.get(tail, Outcome.SENT)


async def test_every_input_gets_exactly_one_result(bulk_client: AsyncClient, fake: FakeTwilio) -> None:
    n = 1000
    seen: list[SendResult] = []
    items = list(requests(n))
    items.insert(5, {"to": "not-a-number", "body": "x"})  # invalid input fails alone, before any request
    async with bulk_client.messages.send_many(items, concurrency=20, defaults={"from_": SENDER}) as run:
        async for result in run:
            seen.append(result)
    assert sorted(r.index for r in seen) == list(range(len(items)))
    for result in seen:
        item = items[result.index]
        if item["to"] == "not-a-number":
            assert result.outcome is Outcome.FAILED
            assert isinstance(result.error, ValidationError)
            continue
        i = int(item["to"][-7:])
        assert result.outcome is expected_outcome(i), item
        if result.outcome is Outcome.SENT:
            assert result.message is not None
            assert result.message.to == item["to"]
        elif result.outcome is Outcome.FAILED:
            assert isinstance(result.error, RecipientUnsubscribedError)
            assert result.error_code == 21610
        else:
            assert isinstance(result.error, OutcomeUnknownError)
    # Nothing that may have landed was posted twice; the refused-once numbers were retried once.
    assert all(count == 1 for count in fake.posts.values())
    summary = run.summary
    assert summary is not None
    assert summary.sent + summary.failed + summary.unknown == len(items)
    assert summary.failed_by_code == {"21610": 10, "invalid:to": 1}
    assert summary.unknown == 10
    assert summary.sent == len(items) - 21
    assert summary.retries == 10  # one per ...03 number
    assert summary.per_second > 0


async def test_async_iterable_input_and_laziness(bulk_client: AsyncClient) -> None:
    tail: Counter[str] = Counter()
    done = 0
    ahead = 0

    async def source() -> AsyncIterator[dict[str, Any]]:
        for item in requests(2000, tail):
            yield item

    run = bulk_client.messages.send_many(source(), concurrency=10, defaults={"from_": SENDER})
    async with run:
        async for _ in run:
            done += 1
            ahead = max(ahead, tail["read"] - done)
    assert done == 1980
    # The input is read only as fast as sends complete: bounded read-ahead.
    assert ahead <= 10 * 3 + 2


async def test_send_all_returns_the_summary(bulk_client: AsyncClient) -> None:
    landed: list[int] = []
    summary = await bulk_client.messages.send_all(
        ({"to": number(i), "from": SENDER, "body": "x"} for i in range(5, 10)),
        on_result=lambda r: landed.append(r.index),
    )
    assert sorted(landed) == [0, 1, 2, 3, 4]
    assert (summary.sent, summary.failed, summary.unknown, summary.read) == (5, 0, 0, 5)


async def test_leaving_early_still_accounts_for_in_flight(bulk_client: AsyncClient) -> None:
    run = bulk_client.messages.send_many(requests(10_000), concurrency=8, defaults={"from_": SENDER})
    got = 0
    async with run:
        async for _ in run:
            got += 1
            if got == 50:
                break
    assert run.summary is not None
    assert run.summary.done >= 50
    assert run.summary.done == run.summary.read  # nothing read was left without a result
    assert run.summary.read < 200  # and reading stopped


async def test_cancellation_reports_in_flight_as_unknown_and_leaves_no_task(
    bulk_client: AsyncClient, fake: FakeTwilio, tmp_path: Path
) -> None:
    journal = tmp_path / "job.journal"
    items = [{"to": number(i), "body": "x"} for i in (4, 14, 24, 10, 11)]  # the ...04 ones stall
    results: list[SendResult] = []
    with anyio.move_on_after(0.5):
        async with bulk_client.messages.send_many(
            items, concurrency=5, journal=journal, defaults={"from_": SENDER}, on_result=results.append
        ) as run:
            async for _ in run:
                pass
    assert run.summary is not None
    by_index = {r.index: r.outcome for r in results}
    assert by_index[0] is Outcome.UNKNOWN  # stalled, then cancelled mid-send
    assert by_index[3] is Outcome.SENT
    assert sorted(by_index) == [0, 1, 2, 3, 4]
    assert run.summary.unknown == 1
    lines = journal.read_text().splitlines()
    done = [line.split()[1] for line in lines if line.startswith("D")]
    assert sorted(done, key=int) == ["0", "1", "2", "3", "4"]
    # Only the ...04 recipient stalls; 14 and 24 end in 4 but not 04.
    assert fake.posts[number(4)] == 1
    for _ in range(3):
        await anyio.lowlevel.checkpoint()
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []  # cancellation left no worker or request running


async def test_journal_resume_sends_nothing_twice(bulk_client: AsyncClient, fake: FakeTwilio, tmp_path: Path) -> None:
    journal = tmp_path / "job.journal"
    items = [{"to": number(i), "body": f"m{i}"} for i in range(10, 1010) if not number(i).endswith(("01", "02", "04"))]
    first: list[SendResult] = []
    run = bulk_client.messages.send_many(items, concurrency=10, journal=journal, defaults={"from_": SENDER})
    async with run:
        async for result in run:
            first.append(result)
            if len(first) == 300:
                run.stop()
    assert run.summary is not None
    done_first = run.summary.done
    assert 300 <= done_first < len(items)
    posts_after_first = sum(fake.posts.values())

    second: list[SendResult] = []
    run2 = bulk_client.messages.send_many(items, concurrency=10, journal=journal, defaults={"from_": SENDER})
    async with run2:
        async for result in run2:
            second.append(result)
    assert run2.summary is not None
    assert run2.summary.skipped == done_first
    assert {r.index for r in first}.isdisjoint({r.index for r in second})
    assert {r.index for r in first} | {r.index for r in second} == set(range(len(items)))
    assert all(count == 1 for count in fake.posts.values())
    assert sum(fake.posts.values()) - posts_after_first == len(second)


async def test_interrupted_index_from_a_killed_run_is_unknown_not_resent(
    bulk_client: AsyncClient, fake: FakeTwilio, tmp_path: Path
) -> None:
    from twilio_sms_async._journal import fingerprint

    journal = tmp_path / "job.journal"
    items = [{"to": number(i), "body": "x"} for i in range(20, 25)]
    # A previous process was killed after journaling the start of index 2 (and a torn line).
    journal.write_text(
        "# twilio-sms-async journal v1\n"
        f"S 0 {fingerprint(number(20), 'x')} 1764040000.0\nD 0 sent SMx\n"
        f"S 2 {fingerprint(number(22), 'x')} 1764040000.5\nD 1"
    )
    results = {r.index: r for r in []}
    run = bulk_client.messages.send_many(items, journal=journal, defaults={"from_": SENDER})
    async with run:
        async for result in run:
            results[result.index] = result
    assert sorted(results) == [1, 2, 3, 4]  # 0 was done; the torn "D 1" did not count
    assert results[2].outcome is Outcome.UNKNOWN
    assert isinstance(results[2].error, OutcomeUnknownError)
    assert results[2].error.started_at.timestamp() == pytest.approx(1764040000.5)
    assert number(22) not in fake.posts
    assert number(20) not in fake.posts
    # The unknown is journaled, so a third run reports nothing again.
    again = await bulk_client.messages.send_all(items, journal=journal, defaults={"from_": SENDER})
    assert (again.skipped, again.done) == (5, 0)


async def test_journal_for_other_input_is_refused(bulk_client: AsyncClient, tmp_path: Path) -> None:
    journal = tmp_path / "job.journal"
    await bulk_client.messages.send_all(
        [{"to": number(30), "body": "a"}, {"to": number(31), "body": "b"}],
        journal=journal,
        defaults={"from_": SENDER},
    )
    journal.write_text(journal.read_text() + "S 2 deadbeef 1.0\n")
    with pytest.raises(JournalMismatchError, match="index 2 differs"):
        await bulk_client.messages.send_all(
            [{"to": number(i), "body": "zzz"} for i in range(30, 35)], journal=journal, defaults={"from_": SENDER}
        )


async def test_bad_concurrency_and_misuse(bulk_client: AsyncClient) -> None:
    with pytest.raises(ValidationError, match="concurrency"):
        bulk_client.messages.send_many([], concurrency=0)
    run = bulk_client.messages.send_many([])
    with pytest.raises(RuntimeError, match="async with"):
        run.__aiter__()
    summary = await bulk_client.messages.send_all([])
    assert summary.done == 0


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_send_and_bulk_work_on_both_event_loops(backend: str) -> None:
    fake = FakeTwilio()

    async def main() -> tuple[str, int]:
        async with AsyncClient(
            ACCOUNT_SID, AUTH_TOKEN, transport=httpx.MockTransport(fake), retry=FAST_RETRY, rate_limit=1000
        ) as client:
            msg = await client.messages.send(to=number(7), from_=SENDER, body="x")
            summary = await client.messages.send_all(requests(300), defaults={"from_": SENDER}, concurrency=16)
            return msg.sid, summary.done

    sid, done = anyio.run(main, backend=backend)
    assert sid.startswith("SM")
    assert done == 297
