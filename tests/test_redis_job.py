"""RedisJob in one process: several workers (clients) share a job against a real redis-server."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import anyio
import pytest

from twilio_sms_async import (
    Claim,
    JournalMismatchError,
    Outcome,
    SendResult,
    StoreUnavailableError,
    ValidationError,
)
from twilio_sms_async.redis import RedisJob, connect, mask_url
from twilio_sms_async.testing import SANDBOX_NUMBER, Faults, Sandbox


def rows(n: int, *, bad: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """``n`` messages whose body names their index; indices in ``bad`` go to a refused number."""
    return [
        {"to": "+15005550001" if i in bad else f"+1555{i:07d}", "from_": SANDBOX_NUMBER, "body": f"message {i}"}
        for i in range(n)
    ]


def sent_bodies(sandbox: Sandbox) -> Counter[str]:
    return Counter(m.body or "" for m in sandbox.messages.values())


async def test_workers_split_a_job_and_send_each_index_once(redis_url: str) -> None:
    sandbox = Sandbox()
    items = rows(2_000, bad=frozenset({7, 1500}))
    results: list[SendResult] = []

    async def worker() -> None:
        async with sandbox.client() as client:
            job = RedisJob(redis_url, "split", chunk_size=128)
            await client.messages.send_all(items, job=job, concurrency=20, on_result=results.append)

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(worker)

    bodies = sent_bodies(sandbox)
    assert len(bodies) == 1_998
    assert set(bodies.values()) == {1}
    by_index = Counter(r.index for r in results)
    assert set(by_index) == set(range(2_000))
    assert set(by_index.values()) == {1}
    assert {r.index for r in results if r.outcome is Outcome.FAILED} == {7, 1500}

    async with RedisJob(redis_url, "split") as job:
        status = await job.status()
    assert status is not None
    assert (status.total, status.sent, status.failed, status.unknown) == (2_000, 1_998, 2, 0)
    assert status.complete
    assert status.active_chunks == 0
    assert status.in_flight == 0
    assert status.failed_by_code == {"21211": 2}
    assert status.not_sent == {7: "failed 21211", 1500: "failed 21211"}


async def test_a_finished_job_sends_nothing_more(redis_url: str) -> None:
    sandbox = Sandbox()
    items = rows(300)
    async with sandbox.client() as client:
        first = await client.messages.send_all(items, job=RedisJob(redis_url, "again", chunk_size=50))
        second = await client.messages.send_all(items, job=RedisJob(redis_url, "again", chunk_size=50))
    assert first.sent == 300
    assert (second.sent, second.failed, second.unknown, second.skipped) == (0, 0, 0, 0)
    assert len(sandbox.messages) == 300


async def test_other_input_for_the_same_job_is_refused_before_sending(redis_url: str) -> None:
    sandbox = Sandbox()
    async with sandbox.client() as client:
        await client.messages.send_all(rows(100), job=RedisJob(redis_url, "same-id"))
        changed = rows(100)
        changed[50]["body"] = "something else"
        with pytest.raises(JournalMismatchError, match="job same-id was started for other input"):
            await client.messages.send_all(changed, job=RedisJob(redis_url, "same-id"))
        with pytest.raises(JournalMismatchError, match="100 messages"):
            await client.messages.send_all(rows(101), job=RedisJob(redis_url, "same-id"))
    assert len(sandbox.messages) == 100


async def test_a_generator_is_refused_for_a_shared_job(redis_url: str) -> None:
    sandbox = Sandbox()
    async with sandbox.client() as client:
        with pytest.raises(ValidationError, match="reads its input more than once"):
            await client.messages.send_all(iter(rows(3)), job=RedisJob(redis_url, "gen"))
    assert not sandbox.messages


async def test_unreachable_redis_fails_before_anything_is_sent() -> None:
    sandbox = Sandbox()
    async with sandbox.client() as client:
        job = RedisJob("redis://:hunter2-password@127.0.0.1:1/0", "nowhere")
        with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1:1") as caught:
            await client.messages.send_all(rows(3), job=job)
    assert "hunter2" not in str(caught.value)
    assert not sandbox.messages


async def test_a_dead_workers_chunk_is_taken_over_and_its_in_flight_index_is_unknown(redis_url: str) -> None:
    # A worker that claimed index 3 and died (no outcome, lease lapsed).
    dead = RedisJob(redis_url, "takeover", chunk_size=10, lease=1.0, worker_id="dead")
    await dead.join(total=25, input_id="test-input")
    assert await dead.next_chunk() == range(10)
    for index in range(3):
        assert await dead.claim(index) == (Claim.SEND, None, None)
        dead.record(index, "sent", f"SM{index}")
    assert (await dead.claim(3))[0] is Claim.SEND
    await dead.aclose()  # killed: nothing flushed after this, lease not released

    sandbox = Sandbox()
    items = rows(25)
    results: list[SendResult] = []
    async with sandbox.client() as client:
        job = RedisJob(redis_url, "takeover", total=25, input_id="test-input", lease=1.0)
        summary = await client.messages.send_all(items, job=job, concurrency=4, on_result=results.append)

    outcomes = {r.index: r.outcome for r in results}
    assert outcomes[3] is Outcome.UNKNOWN
    assert "its worker dead stopped mid-send" in str(next(r for r in results if r.index == 3).error)
    assert set(outcomes) == set(range(3, 25))  # 0-2 were done by the dead worker
    assert summary.skipped == 3
    assert sent_bodies(sandbox)["message 3"] == 0
    assert len(sandbox.messages) == 21
    async with RedisJob(redis_url, "takeover") as job:
        status = await job.status()
    assert status is not None
    assert status.complete
    assert (status.sent, status.unknown) == (24, 1)
    assert status.not_sent[3].startswith("unknown ")


async def test_a_late_real_outcome_replaces_a_takeovers_unknown(redis_url: str) -> None:
    slow = RedisJob(redis_url, "late", chunk_size=5, lease=1.0, worker_id="slow")
    await slow.join(total=5, input_id="x")
    await slow.next_chunk()
    await slow.claim(0)
    other = RedisJob(redis_url, "late", chunk_size=5, lease=1.0, worker_id="other")
    await other.join(total=5, input_id="x")
    await anyio.sleep(1.1)  # the slow worker's lease lapses
    assert await other.next_chunk() == range(5)
    claim, started, worker = await other.claim(0)
    assert claim is Claim.INTERRUPTED
    assert started is not None
    assert worker == "slow"
    other.record(0, "unknown", "OutcomeUnknownError")
    await other.close()
    slow.record(0, "sent", "SM0")  # it was only slow: the real outcome arrives
    await slow.close()
    status = await other.status()
    assert status is not None
    assert (status.sent, status.unknown) == (1, 0)
    assert 0 not in status.not_sent
    await other.aclose()


def test_passwords_are_masked_in_urls() -> None:
    assert mask_url("redis://user:pw@host:6380/2") == "redis://user:***@host:6380/2"
    assert mask_url("redis://host:6379") == "redis://host:6379"


async def test_connect_checks_the_server(redis_url: str) -> None:
    client = await connect(redis_url)
    assert await client.ping()
    await client.aclose()


async def test_deleting_a_running_job_stops_its_workers_loudly(redis_url: str) -> None:
    sandbox = Sandbox(faults=Faults(latency=0.01))
    results: list[SendResult] = []

    async def delete_soon() -> None:
        while len(results) < 20:  # noqa: ASYNC110
            await anyio.sleep(0.01)
        async with RedisJob(redis_url, "doomed") as handle:
            assert await handle.delete() > 0

    async with sandbox.client() as client:
        deleter = asyncio.ensure_future(delete_soon())
        job = RedisJob(redis_url, "doomed", chunk_size=50)
        with pytest.raises(JournalMismatchError, match="job doomed was deleted while this worker ran"):
            await client.messages.send_all(rows(2_000), job=job, concurrency=5, on_result=results.append)
        await deleter
    assert len(sandbox.messages) < 2_000
    assert len(results) == len({r.index for r in results})
