"""Scale-out end to end: worker *processes* (the CLI) share one job and one rate through a real Redis.

The sandbox is served over loopback from this test's event loop, so it sees
every create from every worker and can prove that none was sent twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

from twilio_sms_async.redis import JobStatus, RedisJob
from twilio_sms_async.testing import (
    SANDBOX_ACCOUNT_SID,
    SANDBOX_AUTH_TOKEN,
    SANDBOX_NUMBER,
    Faults,
    Sandbox,
    SandboxClock,
)
from twilio_sms_async.testing._state import SandboxRequest, SandboxResponse

from .redis_server import RedisServer

WORKER_ENV = {**os.environ, "TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": SANDBOX_AUTH_TOKEN}


class TimedSandbox(Sandbox):
    """A sandbox that notes when each create was accepted."""

    def __init__(self, **options: Any) -> None:
        super().__init__(clock=SandboxClock(manual=False), **options)
        self.accepted_at: list[float] = []

    async def handle(self, request: SandboxRequest) -> Any:
        response = await super().handle(request)
        if request.method == "POST" and isinstance(response, SandboxResponse) and response.status == 201:
            self.accepted_at.append(time.monotonic())
        return response


def write_rows(path: Path, n: int) -> Path:
    with path.open("w") as handle:
        handle.write("to,n\n")
        for i in range(n):
            handle.write(f"+1555{i:07d},{i}\n")
    return path


def sent_per_index(sandbox: Sandbox) -> Counter[int]:
    return Counter(int((m.body or "").split()[-1]) for m in sandbox.messages.values())


def worker_args(rows: Path, base_url: str, redis_url: str, job: str, name: str, *extra: str) -> list[str]:
    results = rows.parent / f"results-{name}.jsonl"
    return [
        sys.executable, "-m", "twilio_sms_async", "bulk", str(rows),
        "--body", "row {n}", "--from", SANDBOX_NUMBER, "--base-url", base_url,
        "--redis", redis_url, "--job-id", job, "--worker-id", name,
        "--results", str(results), "--no-progress", "--json", *extra,
    ]  # fmt: skip


async def start(started: list[Process], args: Sequence[str]) -> Process:
    process = await anyio.open_process(args, env=WORKER_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    started.append(process)
    return process


async def finish(process: Process) -> tuple[int, str, str]:
    """Wait for a worker; its exit code, stdout and stderr."""
    out = bytearray()
    err = bytearray()

    async def drain(stream: Any, into: bytearray) -> None:
        async for chunk in stream:
            into += chunk

    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            tg.start_soon(drain, process.stdout, out)
            tg.start_soon(drain, process.stderr, err)
        await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def results_by_worker(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Each worker's ``--results`` rows (a killed worker's last line may be torn: skipped)."""
    return {
        path.stem.removeprefix("results-"): [
            json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")
        ]
        for path in sorted(directory.glob("results-*.jsonl"))
    }


def results(directory: Path) -> list[dict[str, Any]]:
    return [row for rows in results_by_worker(directory).values() for row in rows]


async def job_status(redis_url: str, job: str) -> JobStatus:
    async with RedisJob(redis_url, job) as handle:
        status = await handle.status(details=100_000)
    assert status is not None
    return status


async def wait_for_progress(redis_url: str, job: str, done: int) -> None:
    """Poll Redis until ``done`` rows of the job have an outcome."""
    with anyio.fail_after(60):
        async with RedisJob(redis_url, job) as handle:
            while (status := await handle.status(details=0)) is None or status.done < done:  # noqa: ASYNC110
                await anyio.sleep(0.05)


@contextlib.asynccontextmanager
async def workers() -> AsyncIterator[list[Process]]:
    """Worker processes started in the block are killed if the block fails."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:
            if process.returncode is None:
                process.kill()
                with anyio.CancelScope(shield=True):
                    await process.wait()


@contextlib.asynccontextmanager
async def served(latency: float = 0.0) -> AsyncIterator[tuple[TimedSandbox, str]]:
    """The sandbox on a loopback port (served from the test's own task, as anyio requires)."""
    sandbox = TimedSandbox(faults=Faults(latency=latency))
    async with sandbox.serve() as base_url:
        yield sandbox, base_url


def assert_each_index_once(sandbox: Sandbox, status: JobStatus) -> None:
    """Every index has one outcome; sent ones exist exactly once; unknown ones at most once."""
    assert status.complete
    assert status.done == status.total
    per_index = sent_per_index(sandbox)
    assert max(per_index.values()) == 1, "a message was sent twice"
    unknown = {i for i, what in status.not_sent.items() if what.startswith("unknown")}
    sent = set(range(status.total)) - set(status.not_sent)
    assert sent <= set(per_index), "an index reported sent never reached the sandbox"
    assert set(per_index) - sent <= unknown, "a message exists for an index reported failed"


async def test_four_worker_processes_send_a_20k_job_exactly_once(redis_url: str, tmp_path: Path) -> None:
    async with served() as (sandbox, base_url), workers() as started:
        await _four_workers(started, sandbox, base_url, redis_url, tmp_path)


async def _four_workers(
    started: list[Process], sandbox: TimedSandbox, base_url: str, redis_url: str, tmp_path: Path
) -> None:
    rows = write_rows(tmp_path / "rows.csv", 20_000)
    names = [f"w{i}" for i in range(4)]
    processes = [
        await start(started, worker_args(rows, base_url, redis_url, "big", name, "--chunk-size", "500"))
        for name in names
    ]
    for process in processes:
        code, _, stderr = await finish(process)
        assert code == 0, stderr

    per_index = sent_per_index(sandbox)
    assert len(per_index) == 20_000
    assert set(per_index.values()) == {1}
    reported = results(tmp_path)
    assert Counter(r["index"] for r in reported) == Counter(range(20_000))  # one result per row, job-wide
    assert {r["outcome"] for r in reported} == {"sent"}
    assert all(results_by_worker(tmp_path).values()), "every worker took a share"
    status = await job_status(redis_url, "big")
    assert (status.sent, status.failed, status.unknown, status.in_flight) == (20_000, 0, 0, 0)


async def test_a_killed_worker_is_taken_over_without_sending_anything_twice(redis_url: str, tmp_path: Path) -> None:
    # Every answer takes 50 ms, so a worker always has messages in flight.
    async with served(latency=0.05) as (sandbox, base_url), workers() as started:
        await _kill_and_restart(started, sandbox, base_url, redis_url, tmp_path)


async def _kill_and_restart(
    started: list[Process], sandbox: TimedSandbox, base_url: str, redis_url: str, tmp_path: Path
) -> None:
    rows = write_rows(tmp_path / "rows.csv", 4_000)
    extra = ("--chunk-size", "100", "--lease", "2", "--concurrency", "10")
    processes = {
        name: await start(started, worker_args(rows, base_url, redis_url, "kill", name, *extra)) for name in "abcd"
    }
    await wait_for_progress(redis_url, "kill", 1_000)
    processes["a"].send_signal(signal.SIGKILL)  # mid-send: 10 requests in flight
    await processes["a"].wait()
    restarted = await start(started, worker_args(rows, base_url, redis_url, "kill", "a-again", *extra))
    for name in "bcd":
        code, _, stderr = await finish(processes[name])
        assert code in (0, 3), stderr  # 3: this worker reported unknown outcomes
    code, _, stderr = await finish(restarted)
    assert code in (0, 3), stderr

    status = await job_status(redis_url, "kill")
    assert_each_index_once(sandbox, status)
    assert status.unknown >= 1, "the killed worker's in-flight messages are unknown"
    unknown = {i for i, what in status.not_sent.items() if what.startswith("unknown")}
    taken_over = {r["index"]: r for r in results(tmp_path) if r["outcome"] == "unknown"}
    assert set(taken_over) == unknown
    assert all("its worker a stopped mid-send" in r["error"] for r in taken_over.values())


async def test_redis_restarted_mid_job_fails_loudly_and_resumes_cleanly(
    redis_server: RedisServer, redis_url: str, tmp_path: Path
) -> None:
    async with served(latency=0.05) as (sandbox, base_url), workers() as started:
        await _restart_redis(started, sandbox, base_url, redis_server, redis_url, tmp_path)


async def _restart_redis(
    started: list[Process],
    sandbox: TimedSandbox,
    base_url: str,
    redis_server: RedisServer,
    redis_url: str,
    tmp_path: Path,
) -> None:
    rows = write_rows(tmp_path / "rows.csv", 3_000)
    extra = ("--chunk-size", "100", "--concurrency", "10")
    first = [
        await start(started, worker_args(rows, base_url, redis_url, "outage", name, *extra)) for name in ("x", "y")
    ]
    await wait_for_progress(redis_url, "outage", 600)
    await anyio.to_thread.run_sync(redis_server.restart, 1.5)
    for process in first:
        code, stdout, stderr = await finish(process)
        assert code == 3, stderr
        assert "Redis unavailable" in stderr
        assert "did not answer" in stderr
        summary = json.loads(stdout.strip().splitlines()[-1])  # this worker's counts, still reported
        assert summary["interrupted"] is True
        assert summary["sent"] > 0
    midway = await job_status(redis_url, "outage")
    assert 600 <= midway.done < 3_000  # the append-only file kept the job across the restart

    again = [
        await start(started, worker_args(rows, base_url, redis_url, "outage", name, *extra)) for name in ("x2", "y2")
    ]
    for process in again:
        code, _, stderr = await finish(process)
        assert code in (0, 3), stderr
    status = await job_status(redis_url, "outage")
    assert_each_index_once(sandbox, status)
    # The outage only stopped the workers; what they had in flight was recorded once Redis was back.
    assert status.unknown == 0


async def test_the_shared_limiter_holds_four_processes_to_one_budget(redis_url: str, tmp_path: Path) -> None:
    async with served() as (sandbox, base_url), workers() as started:
        await _shared_budget(started, sandbox, base_url, redis_url, tmp_path)


async def _shared_budget(
    started: list[Process], sandbox: TimedSandbox, base_url: str, redis_url: str, tmp_path: Path
) -> None:
    budget = 150.0
    rows = write_rows(tmp_path / "rows.csv", 900)
    extra = ("--chunk-size", "50", "--rate", f"{budget:g}")
    processes = [
        await start(started, worker_args(rows, base_url, redis_url, "paced", f"p{i}", *extra)) for i in range(4)
    ]
    for process in processes:
        code, _, stderr = await finish(process)
        assert code == 0, stderr
    times = sorted(sandbox.accepted_at)
    assert len(times) == 900
    # Measure past the first second (workers start one by one) to the end.
    window = [t for t in times if t >= times[0] + 1.0]
    rate = (len(window) - 1) / (window[-1] - window[0])
    assert budget * 0.9 <= rate <= budget * 1.1, rate
    assert sandbox.stats.rate_limited == 0
