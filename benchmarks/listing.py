"""Listing message logs: items per second and peak RSS, side by side.

    python benchmarks/listing.py                       # 100,000 messages at 0 and 50 ms per page
    python benchmarks/listing.py --memory              # peak RSS listing 10,000 vs 1,000,000 messages

A loopback stand-in (a separate process) answers Twilio's list endpoint with
realistic 1,000-message pages, honours PageToken and whole-day DateSent
windows, and waits ``latency`` before each page. Compared: this library
sequential, with prefetch, and partitioned over 8 windows; the official
``twilio`` package's ``stream_async`` (when installed); raw httpx following
``next_page_uri``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import ACCOUNT_SID, AUTH_TOKEN, CREATED, free_port

FIRST_DAY = date(2024, 1, 1)
DAYS = 32
PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
TEMPLATE = CREATED.replace('"SM' + "1" * 32 + '"', '"SM%(index)032x"').replace(
    '"date_sent": null', '"date_sent": "%(sent)s"'
)


class ListServer(asyncio.Protocol):
    total = 0
    latency = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
            asyncio.get_running_loop().create_task(self.answer(target))

    async def answer(self, target: str) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)
        body = page_for(target, self.total).encode()
        self.transport.write(  # type: ignore[attr-defined]
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )


def page_for(target: str, total: int) -> str:
    """Messages newest first; message ``i`` was sent on day ``DAYS - 1 - i // per_day``."""
    query = dict(parse_qsl(urlsplit(target).query))
    size = int(query.get("PageSize", "50"))
    per_day = max(1, total // DAYS)
    lo, hi = 0, total
    if "DateSent<" in query:  # on and before: skip the newer days
        newest = (date.fromisoformat(query["DateSent<"]) - FIRST_DAY).days
        lo = max(lo, (DAYS - 1 - newest) * per_day)
    if "DateSent>" in query:
        oldest = (date.fromisoformat(query["DateSent>"]) - FIRST_DAY).days
        hi = min(hi, (DAYS - oldest) * per_day)
    token = query.get("PageToken")
    start = int(token[2:]) if token else lo
    end = min(hi, start + size)
    items = []
    for i in range(start, end):
        day = FIRST_DAY + timedelta(days=DAYS - 1 - i // per_day)
        items.append(TEMPLATE % {"index": i, "sent": day.strftime("%a, %d %b %Y 12:00:00 +0000")})
    filters = [(k, v) for k, v in query.items() if k not in ("PageToken", "Page")]
    next_uri = json.dumps(f"{PATH}?{urlencode([*filters, ('PageToken', f'PA{end}')])}") if end < hi else "null"
    return f'{{"messages": [{",".join(items)}], "next_page_uri": {next_uri}, "page_size": {size}, "page": 0}}'


async def serve(port: int, total: int, latency: float) -> None:
    ListServer.total, ListServer.latency = total, latency
    server = await asyncio.get_running_loop().create_server(ListServer, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


async def run_client(name: str, url: str, total: int) -> dict[str, Any]:
    count = 0
    started = time.perf_counter()
    if name.startswith("ours"):
        from twilio_sms_async import AsyncClient

        async with AsyncClient(ACCOUNT_SID, AUTH_TOKEN, base_url=url) as client:
            if name == "ours-partitioned-8":
                async with client.messages.list_partitioned(
                    date_sent_after=FIRST_DAY, date_sent_before=FIRST_DAY + timedelta(days=DAYS - 1), windows=8
                ) as messages:
                    async for _ in messages:
                        count += 1
            else:
                prefetch = 0 if name == "ours-sequential" else 1
                async for _ in client.messages.list(page_size=1000, prefetch=prefetch):
                    count += 1
    elif name == "twilio":
        from twilio.http.async_http_client import AsyncTwilioHttpClient
        from twilio.rest import Client

        http = AsyncTwilioHttpClient()
        official = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
        official.api.base_url = url
        async for _ in await official.messages.stream_async(page_size=1000):
            count += 1
        await http.close()
    else:
        import httpx

        async with httpx.AsyncClient(auth=(ACCOUNT_SID, AUTH_TOKEN)) as raw:
            next_url: str | None = f"{url}{PATH}?PageSize=1000"
            while next_url:
                data = (await raw.get(next_url)).json()
                count += len(data["messages"])
                uri = data["next_page_uri"]
                next_url = f"{url}{uri}" if uri else None
    elapsed = time.perf_counter() - started
    assert count == total, (name, count, total)
    return {
        "client": name,
        "per_s": count / elapsed,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(name: str, total: int, latency: float) -> dict[str, Any] | None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "-n", str(total), "--latency", str(latency)]
    )
    try:
        time.sleep(0.5)
        done = subprocess.run(
            [sys.executable, __file__, "--client", name, "--url", f"http://127.0.0.1:{port}", "-n", str(total)],
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
    finally:
        server.terminate()
        server.wait()
    if done.returncode != 0:
        print(f"  {name}: failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--latencies", default="0,0.05")
    parser.add_argument("--memory", action="store_true", help="peak RSS for 10,000 vs 1,000,000 messages")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--latency", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.n, args.latency))
        return
    if args.client:
        print(json.dumps(asyncio.run(run_client(args.client, args.url, args.n))))
        return
    if args.memory:
        print(f"{'messages':>12} {'peak RSS MB':>12} {'items/s':>9}   (ours, prefetch 1)")
        for total in (10_000, 1_000_000):
            row = measure("ours-prefetch", total, 0.0)
            if row:
                print(f"{total:>12,} {row['rss_mb']:>12.1f} {row['per_s']:>9.0f}")
        return
    names = ["ours-sequential", "ours-prefetch", "ours-partitioned-8", "httpx-raw"]
    try:
        import twilio  # noqa: F401

        names.insert(3, "twilio")
    except ImportError:
        pass
    latencies = [float(x) for x in args.latencies.split(",")]
    results = {(name, lat): measure(name, args.n, lat) for lat in latencies for name in names}
    print(f"{args.n:,} messages, 1,000 per page")
    print(f"{'client':<22}" + "".join(f"{f'{lat * 1000:.0f} ms/page: items/s  RSS MB':>34}" for lat in latencies))
    for name in names:
        cells = []
        for lat in latencies:
            row = results[(name, lat)]
            cells.append(f"{row['per_s']:>23,.0f} {row['rss_mb']:>10.1f}" if row else f"{'-':>34}")
        print(f"{name:<22}" + "".join(cells))


if __name__ == "__main__":
    main()
