"""A loopback stand-in for Twilio's create endpoint that is cheap enough not to be the bottleneck.

nginx when it is installed (``--install`` installs it on Debian), otherwise
a minimal asyncio server in a separate process. Either answers every POST
with a realistic 201 Message body, and a ``/limited`` path prefix answers
429/20429 above an enforced rate (the stand-in for an account limit) when
the Python server is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "benchmark-token"
CREATED = json.dumps(
    {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": "Your code is 123456",
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_sent": None,
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": "+15017122661",
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": "SM" + "1" * 32,
        "status": "queued",
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/SM{'1' * 32}/Media.json",
            "feedback": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/SM{'1' * 32}/Feedback.json",
        },
        "to": "+15558675310",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/SM{'1' * 32}.json",
    }
)

_NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log crit;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location ~ /Messages\\.json$ {{
            default_type application/json;
            return 201 '{body}';
        }}
        location / {{ return 404; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the stand-in server did not start on port {port}")


def ensure_nginx(install: bool) -> str | None:
    found = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx") or None
    if found or not install or not shutil.which("apt-get"):
        return found or None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=False, env=env, capture_output=True)
    return shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx") or None


@contextlib.contextmanager
def stand_in(
    *, install: bool = False, prefer_nginx: bool = True, limit: float | None = None
) -> Iterator[tuple[str, str]]:
    """Start the stand-in; yield ``(base_url, kind)``."""
    port = free_port()
    nginx = ensure_nginx(install) if prefer_nginx and limit is None else None
    with tempfile.TemporaryDirectory() as tmp:
        if nginx:
            conf = Path(tmp) / "nginx.conf"
            conf.write_text(_NGINX_CONF.format(tmp=tmp, port=port, body=CREATED.replace("'", "\\'")))
            process = subprocess.Popen([nginx, "-c", str(conf), "-p", tmp], stderr=subprocess.DEVNULL)
            kind = "nginx"
        else:
            args = [sys.executable, __file__, str(port)] + ([str(limit)] if limit else [])
            process = subprocess.Popen(args)
            kind = "python" + (f" (limit {limit:g}/s)" if limit else "")
        try:
            _wait_for(port)
            yield f"http://127.0.0.1:{port}", kind
        finally:
            process.terminate()
            process.wait(timeout=10)


class _Handler(asyncio.Protocol):
    """HTTP/1.1 keep-alive, Content-Length bodies; answers 201, or 429 above ``limit`` per second."""

    ok = (
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(CREATED)).encode()
        + b"\r\n\r\n"
        + CREATED.encode()
    )
    limited_body = b'{"code": 20429, "message": "Too Many Requests", "status": 429}'
    limited = (
        b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(limited_body)).encode()
        + b"\r\n\r\n"
        + limited_body
    )
    limit: float | None = None
    window: ClassVar[list[float]] = [0.0, 0.0]  # [window start, count], shared by all connections
    counts: ClassVar[dict[str, int]] = {"ok": 0, "limited": 0}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            start = head.find(b"content-length:")
            length = (
                int(head[start + 15 : head.find(b"\r\n", start) if head.find(b"\r\n", start) > 0 else None])
                if start >= 0
                else 0
            )
            if len(self.buffer) < head_end + 4 + length:
                return
            self.buffer = self.buffer[head_end + 4 + length :]
            self.transport.write(self._answer())  # type: ignore[attr-defined]

    def _answer(self) -> bytes:
        if self.limit is None:
            return self.ok
        now = time.monotonic()
        window = _Handler.window
        if now - window[0] >= 0.1:  # 100 ms buckets: a smooth enforced rate
            window[0], window[1] = now, 0
        if window[1] >= self.limit / 10:
            _Handler.counts["limited"] += 1
            return self.limited
        window[1] += 1
        _Handler.counts["ok"] += 1
        return self.ok


async def _serve(port: int, limit: float | None) -> None:
    _Handler.limit = limit
    server = await asyncio.get_running_loop().create_server(_Handler, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else None))
