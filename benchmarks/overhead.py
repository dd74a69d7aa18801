"""Our own CPU per message, without the network: validate + encode a request, parse the 201 body.

This is the part of a send the library adds on top of the HTTP stack, so it
must stay a small fraction of the official client's ~260 us per message.

    python benchmarks/overhead.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from twilio_sms_async import Message, MessageRequest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import CREATED

BODY = CREATED.encode()  # the same realistic 201 body the stand-in servers answer with


def per_call_us(fn: Callable[[], object], n: int = 50_000) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - start) / n * 1e6)
    return best


def main() -> None:
    def build() -> bytes:
        return MessageRequest(to="+15558675310", from_="+15017122661", body="Your code is 123456").encode()

    def parse() -> Message:
        return Message.from_json(json.loads(BODY))

    rows = [("validate + encode request", per_call_us(build)), ("decode JSON + build Message", per_call_us(parse))]
    rows.append(("total library overhead", rows[0][1] + rows[1][1]))
    print(f"{'step':<30} {'CPU us/msg':>10}")
    for name, value in rows:
        print(f"{name:<30} {value:>10.1f}")


if __name__ == "__main__":
    main()
