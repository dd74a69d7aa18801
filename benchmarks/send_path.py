"""Per-message cost of a create, side by side: ours against raw httpx, raw aiohttp and the official client.

    python benchmarks/send_path.py                  # every client, C = 1, 10, 100, 500
    python benchmarks/send_path.py -n 20000 --loop uvloop --clients ours,twilio -c 100

Each (client, concurrency) runs in its own process against a loopback
stand-in (nginx, installed with --install on Debian, else a Python server in
another process). The numbers are the client process's own CPU time per
message (user + system, from getrusage, after a warm-up), messages per
second, and peak RSS. The official ``twilio`` package is a benchmark-only
dependency: its row is skipped when it is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import ACCOUNT_SID, AUTH_TOKEN, stand_in

TO, FROM, BODY = "+15558675310", "+15017122661", "Your code is 123456"
FORM = {"To": TO, "From": FROM, "Body": BODY}
Send = Callable[[], Awaitable[Any]]

CLIENTS = ("twilio", "aiohttp", "httpx", "httpx-tuned", "ours", "ours-bulk")


# -- the clients, each a factory of (send one, close) ----------------------------


async def make_twilio(url: str, c: int) -> tuple[Send, Callable[[], Awaitable[None]]]:
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    http = AsyncTwilioHttpClient()
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    client.api.base_url = url

    async def send() -> Any:
        return await client.messages.create_async(to=TO, from_=FROM, body=BODY)

    async def close() -> None:
        await http.close()

    return send, close


async def make_aiohttp(url: str, c: int) -> tuple[Send, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=c), auth=aiohttp.BasicAuth(ACCOUNT_SID, AUTH_TOKEN)
    )
    target = f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    async def send() -> Any:
        async with session.post(target, data=FORM) as response:
            return json.loads(await response.read())

    return send, session.close


async def make_httpx(url: str, c: int, tuned: bool = False) -> tuple[Send, Callable[[], Awaitable[None]]]:
    import httpx

    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c) if tuned else httpx.Limits()
    client = httpx.AsyncClient(auth=(ACCOUNT_SID, AUTH_TOKEN), limits=limits)
    target = f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    async def send() -> Any:
        response = await client.post(target, data=FORM)
        return response.json()

    return send, client.aclose


async def make_ours(url: str, c: int, transport: str | None = None) -> tuple[Send, Callable[[], Awaitable[None]]]:
    from twilio_sms_async import AsyncClient, PoolLimits

    options: dict[str, Any] = {}
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        options["transport"] = AiohttpTransport()
    client = AsyncClient(
        ACCOUNT_SID, AUTH_TOKEN, base_url=url, limits=PoolLimits(max_connections=c), max_concurrency=c, **options
    )

    async def send() -> Any:
        return await client.messages.send(to=TO, from_=FROM, body=BODY)

    return send, client.aclose


async def run_bulk(url: str, c: int, n: int) -> tuple[float, float]:
    from twilio_sms_async import AsyncClient, PoolLimits

    async with AsyncClient(
        ACCOUNT_SID, AUTH_TOKEN, base_url=url, limits=PoolLimits(max_connections=c), max_concurrency=c
    ) as client:
        warm = await client.messages.send_all({"to": TO, "from_": FROM, "body": BODY} for _ in range(200))
        assert warm.sent == 200, warm
        cpu, wall = _cpu(), time.perf_counter()
        summary = await client.messages.send_all(
            ({"to": TO, "from_": FROM, "body": BODY} for _ in range(n)), concurrency=c
        )
        assert summary.sent == n, summary
        return _cpu() - cpu, time.perf_counter() - wall


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def drive(send: Send, c: int, n: int) -> tuple[float, float]:
    """``c`` workers share ``n`` sends; returns (CPU seconds, wall seconds)."""
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await send()

    cpu, wall = _cpu(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(c)))
    return _cpu() - cpu, time.perf_counter() - wall


async def worker_main(name: str, url: str, c: int, n: int) -> dict[str, Any]:
    if name == "ours-bulk":
        cpu, wall = await run_bulk(url, c, n)
    else:
        factories: dict[str, Callable[[], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]] = {
            "twilio": lambda: make_twilio(url, c),
            "aiohttp": lambda: make_aiohttp(url, c),
            "httpx": lambda: make_httpx(url, c),
            "httpx-tuned": lambda: make_httpx(url, c, tuned=True),
            "ours": lambda: make_ours(url, c),
            "ours+aiohttp-transport": lambda: make_ours(url, c, "aiohttp"),
        }
        send, close = await factories[name]()
        try:
            await drive(send, min(c, 200), 200)  # warm up: connections open, caches hot
            cpu, wall = await drive(send, c, n)
        finally:
            await close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"client": name, "c": c, "n": n, "cpu_us": cpu / n * 1e6, "per_s": n / wall, "rss_mb": rss}


def run_one(name: str, url: str, c: int, n: int, loop: str) -> dict[str, Any] | None:
    args = [sys.executable, __file__, "--worker", name, "--url", url, "-c", str(c), "-n", str(n), "--loop", loop]
    done = subprocess.run(args, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {name} C={c}: failed: {last}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def available(name: str) -> bool:
    module = {"twilio": "twilio", "aiohttp": "aiohttp", "ours+aiohttp-transport": "httpx_aiohttp"}.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=5000, help="creates per run (default 5000)")
    parser.add_argument("-c", "--concurrency", default="1,10,100,500")
    parser.add_argument("--clients", default=",".join(CLIENTS) + ",ours+aiohttp-transport")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--install", action="store_true", help="install nginx with apt-get if missing")
    parser.add_argument("--python-server", action="store_true", help="use the Python stand-in even if nginx exists")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        if args.loop == "uvloop":
            import uvloop

            uvloop.install()
        print(json.dumps(asyncio.run(worker_main(args.worker, args.url, int(args.concurrency), args.n))))
        return

    levels = [int(x) for x in args.concurrency.split(",")]
    names = [name for name in args.clients.split(",") if available(name)]
    with stand_in(install=args.install, prefer_nginx=not args.python_server) as (url, kind):
        print(f"stand-in: {kind} at {url}; {args.n} creates per run; loop: {args.loop}\n")
        rows = [r for c in levels for name in names if (r := run_one(name, url, c, args.n, args.loop))]
    print_table(rows, levels, names)


def print_table(rows: list[dict[str, Any]], levels: list[int], names: list[str]) -> None:
    by = {(r["client"], r["c"]): r for r in rows}
    header = f"{'client':<24}" + "".join(f"{'C=' + str(c):>26}" for c in levels)
    print(header)
    print(f"{'':<24}" + "".join(f"{'CPU us/msg  msg/s  RSS MB  x':>26}" for _ in levels))
    for name in names:
        cells = []
        for c in levels:
            r, base = by.get((name, c)), by.get(("twilio", c))
            if r is None:
                cells.append(f"{'-':>26}")
                continue
            ratio = f"{r['cpu_us'] / base['cpu_us']:.2f}" if base else "-"
            cells.append(f"{r['cpu_us']:>9.0f} {r['per_s']:>7.0f} {r['rss_mb']:>6.0f} {ratio:>4}")
        print(f"{name:<24}" + "".join(f"{cell:>26}" for cell in cells))
    print("\nx = CPU per message relative to the official twilio client at the same concurrency (lower is better)")


if __name__ == "__main__":
    main()
