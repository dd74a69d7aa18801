"""Scale-out on Redis: 1, 2 and 4 worker processes running one bulk job.

    python benchmarks/scaleout.py limited     # served sandbox enforcing an account limit
    python benchmarks/scaleout.py unlimited   # no limit: CPU-bound and latency-bound scaling

Each worker is the real CLI, ``twilio-sms bulk FILE --redis URL --job-id ID``,
started at the same moment. ``limited`` serves the sandbox with
``--rate-limit`` (429/20429 above it, like an account's limit) and gives the
workers the same budget with ``--rate``: shared through Redis, and, as the
baseline, per process (each worker on its own share of the file, believing
it owns the whole budget). ``unlimited`` sends to the loopback stand-in of
``_server.py`` (nginx when installed), so the server is not the bottleneck.
Needs ``redis-server`` (Debian: ``apt-get install redis-server``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

from _server import ACCOUNT_SID, AUTH_TOKEN, stand_in  # noqa: E402

from tests.redis_server import RedisServer, find_redis_server  # noqa: E402
from twilio_sms_async.testing import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_NUMBER  # noqa: E402


def write_rows(path: Path, n: int, start: int = 0) -> Path:
    with path.open("w") as handle:
        handle.write("to,n\n")
        for i in range(start, start + n):
            handle.write(f"+1555{i:07d},{i}\n")
    return path


@contextmanager
def served_sandbox(limit: float | None, latency: float = 0.0) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "twilio_sms_async", "sandbox", "--port", str(port)]
    if limit:
        command += ["--rate-limit", f"{limit:g}"]
    if latency:
        command += ["--latency", f"{latency:g}"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "sandbox serving on ..."
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def run_workers(commands: list[list[str]], env: dict[str, str]) -> list[dict[str, Any]]:
    """Start every worker at once; each one's JSON summary."""
    started = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for c in commands
    ]
    summaries = []
    for process in started:
        out, err = process.communicate(timeout=3600)
        if process.returncode not in (0, 1):
            raise SystemExit(f"worker failed ({process.returncode}): {err}")
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    return summaries


def aggregate(summaries: list[dict[str, Any]]) -> dict[str, float]:
    sent = sum(s["sent"] for s in summaries)
    limited = sum(s["rate_limited"] for s in summaries)
    requests = sent + sum(s["failed"] for s in summaries) + limited
    return {
        "sent": sent,
        "per_s": sent / max(s["elapsed_s"] for s in summaries),
        "rate_limited_pct": 100.0 * limited / max(1, requests),
    }


def bulk_command(rows: Path, base_url: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "twilio_sms_async", "bulk", str(rows), "--body", "row {n}",
        "--from", SANDBOX_NUMBER, "--base-url", base_url, "--no-progress", "--json", *extra,
    ]  # fmt: skip


def limited(redis: RedisServer, tmp: Path, limit: float, messages: int, concurrency: int) -> None:
    env = {**os.environ, "TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": SANDBOX_AUTH_TOKEN}
    rows = write_rows(tmp / "rows.csv", messages)
    print(f"account limit {limit:g} msg/s enforced by the served sandbox; {messages:,} messages, --rate {limit:g}")
    print(f"{'workers':>7}  {'shared (Redis) msg/s':>21} {'429s':>7}  {'per-process msg/s':>18} {'429s':>7}")
    pace = ("--rate", f"{limit:g}", "--concurrency", str(concurrency))
    for n in (1, 2, 4):
        with served_sandbox(limit) as url:
            job = ("--redis", redis.url, "--job-id", f"limited-{n}-{time.time_ns()}", "--chunk-size", "250")
            shared = aggregate(run_workers([bulk_command(rows, url, *job, *pace) for _ in range(n)], env))
        with served_sandbox(limit) as url:
            share = messages // n
            parts = [write_rows(tmp / f"part-{i}.csv", share, i * share) for i in range(n)]
            alone = aggregate(run_workers([bulk_command(part, url, *pace) for part in parts], env))
        print(
            f"{n:>7}  {shared['per_s']:>21.0f} {shared['rate_limited_pct']:>6.2f}%"
            f"  {alone['per_s']:>18.0f} {alone['rate_limited_pct']:>6.2f}%"
        )


def unlimited(redis: RedisServer, tmp: Path, messages: int, concurrency: int, latency: float) -> None:
    """No account limit: the CPU-bound case (the nginx stand-in) and the latency-bound one (a slow sandbox)."""
    rows = write_rows(tmp / "rows.csv", messages)
    cases: list[tuple[str, Any, dict[str, str], int]] = [
        (
            "cpu-bound: the {kind} stand-in",
            stand_in(),
            {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
            concurrency,
        ),
        (
            f"latency-bound: the served sandbox answering in {latency * 1000:g} ms",
            served_sandbox(None, latency),
            {"TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": SANDBOX_AUTH_TOKEN},
            10,
        ),
    ]
    for title, server, credentials, per_worker in cases:
        env = {**os.environ, **credentials}
        with server as served:
            url, kind = served if isinstance(served, tuple) else (served, "sandbox")
            print(f"no limit, {title.format(kind=kind)}; {messages:,} messages, concurrency {per_worker} per worker")
            print(f"{'workers':>7}  {'msg/s':>8}  {'vs 1 worker':>11}")
            base = 0.0
            for n in (1, 2, 4):
                job = ("--redis", redis.url, "--job-id", f"free-{n}-{time.time_ns()}", "--concurrency", str(per_worker))
                result = aggregate(run_workers([bulk_command(rows, url, *job) for _ in range(n)], env))
                base = base or result["per_s"]
                print(f"{n:>7}  {result['per_s']:>8.0f}  {result['per_s'] / base:>10.2f}x")
        print()
    print(f"(this machine has {os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=("limited", "unlimited", "all"), nargs="?", default="all")
    parser.add_argument("--limit", type=float, default=500.0)
    parser.add_argument("--limited-messages", type=int, default=6_000)
    parser.add_argument("--messages", type=int, default=40_000)
    parser.add_argument("-c", "--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05, help="the slow sandbox's answer time, seconds")
    args = parser.parse_args()
    binary = find_redis_server()
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(binary, Path(tmp))
        redis.start()
        try:
            if args.what in ("limited", "all"):
                limited(redis, Path(tmp), args.limit, args.limited_messages, args.concurrency)
            if args.what in ("unlimited", "all"):
                print()
                unlimited(redis, Path(tmp), args.messages, args.concurrency, args.latency)
        finally:
            redis.stop()


if __name__ == "__main__":
    main()
