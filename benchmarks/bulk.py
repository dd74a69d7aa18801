"""Bulk fan-out: memory that stays flat with the job's size, and convergence on an enforced rate.

    python benchmarks/bulk.py memory            # peak RSS of send_many, 10,000 vs 1,000,000 messages
    python benchmarks/bulk.py ratelimit         # against a stand-in that answers 429 above 500/s

Both use the loopback stand-in from ``_server.py``; each measurement runs in
its own process so peak RSS is the job's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import ACCOUNT_SID, AUTH_TOKEN, stand_in

REQUEST = {"to": "+15558675310", "from_": "+15017122661", "body": "Your code is 123456"}


async def memory_worker(url: str, n: int, concurrency: int) -> dict[str, Any]:
    from twilio_sms_async import AsyncClient, PoolLimits

    async with AsyncClient(
        ACCOUNT_SID, AUTH_TOKEN, base_url=url, limits=PoolLimits(max_connections=concurrency)
    ) as client:
        started = time.perf_counter()
        summary = await client.messages.send_all((REQUEST for _ in range(n)), concurrency=concurrency)
        elapsed = time.perf_counter() - started
    assert summary.sent == n, summary
    return {"n": n, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "per_s": n / elapsed}


async def ratelimit_worker(url: str, seconds: float, concurrency: int, limit: float) -> dict[str, Any]:
    from twilio_sms_async import AsyncClient, Outcome, PoolLimits, RetryPolicy

    timeline: list[tuple[float, bool]] = []
    async with AsyncClient(
        ACCOUNT_SID,
        AUTH_TOKEN,
        base_url=url,
        limits=PoolLimits(max_connections=concurrency),
        retry=RetryPolicy(max_attempts=10, max_total=60),
    ) as client:
        start = time.monotonic()

        def endless() -> Any:
            while time.monotonic() - start < seconds:
                yield REQUEST

        def note(result: Any) -> None:
            timeline.append((time.monotonic() - start, result.outcome is Outcome.SENT))

        summary = await client.messages.send_all(endless(), concurrency=concurrency, on_result=note)
        stats = client.stats
    settled = [t for t, ok in timeline if ok and t >= 5.0]
    span = max(1e-9, (max(settled) - 5.0) if settled else 1.0)
    return {
        "enforced": limit,
        "achieved_after_5s": len(settled) / span,
        "sent": summary.sent,
        "failed": summary.failed,
        "requests": stats.requests,
        "rate_limited": stats.rate_limited,
        "rate_limited_pct": 100.0 * stats.rate_limited / max(1, stats.requests),
        "final_rate": client.rate_limiter.current_rate,
    }


def run(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=("memory", "ratelimit", "all"), nargs="?", default="all")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--limit", type=float, default=500.0, help="the stand-in's enforced creates per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("-c", "--concurrency", type=int, default=100)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("-n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "memory":
        print(json.dumps(asyncio.run(memory_worker(args.url, args.n, args.concurrency))))
        return
    if args.worker == "ratelimit":
        print(json.dumps(asyncio.run(ratelimit_worker(args.url, args.seconds, args.concurrency, args.limit))))
        return

    if args.what in ("memory", "all"):
        with stand_in() as (url, kind):
            rows = [
                run("--worker", "memory", "--url", url, "-n", str(n), "-c", str(args.concurrency))
                for n in (args.small, args.large)
            ]
        print(f"send_many memory ({kind} stand-in, concurrency {args.concurrency})")
        print(f"{'messages':>12} {'peak RSS MB':>12} {'msg/s':>8}")
        for row in rows:
            print(f"{row['n']:>12,} {row['rss_mb']:>12.1f} {row['per_s']:>8.0f}")
        print(f"RSS growth: {rows[1]['rss_mb'] - rows[0]['rss_mb']:+.1f} MB (target: under 20 MB)\n")

    if args.what in ("ratelimit", "all"):
        with stand_in(limit=args.limit) as (url, kind):
            row = run(
                "--worker", "ratelimit", "--url", url, "--seconds", str(args.seconds),
                "-c", str(args.concurrency), "--limit", str(args.limit),
            )  # fmt: skip
        print(f"adaptive rate limiting against a {kind} stand-in, {args.seconds:g} s, concurrency {args.concurrency}")
        print(f"  enforced limit       {row['enforced']:>8.0f} msg/s")
        print(
            f"  achieved (after 5 s) {row['achieved_after_5s']:>8.0f} msg/s  "
            f"({100 * row['achieved_after_5s'] / row['enforced']:.0f}% of the limit; target within 10%)"
        )
        print(
            f"  429s                 {row['rate_limited']:>8} of {row['requests']} requests "
            f"({row['rate_limited_pct']:.2f}%; target under 2%)"
        )
        print(f"  sent / failed        {row['sent']:>8} / {row['failed']}")


if __name__ == "__main__":
    main()
