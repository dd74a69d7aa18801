"""The lean HTTP path: wire behaviour against a scripted loopback server, and when it steps aside."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
import respx
from anyio.abc import SocketAttribute, SocketStream
from anyio.streams.tls import TLSListener

from twilio_sms_async import (
    APIConnectionError,
    AsyncClient,
    NotFoundError,
    OutcomeUnknownError,
    RetryPolicy,
    Timeouts,
)
from twilio_sms_async._fasthttp import fast_path_possible, httpx_is_patched

from .conftest import ACCOUNT_SID, AUTH_TOKEN, MESSAGE_SID, message_json

Script = Callable[[bytes], Awaitable[bytes | None]]
BODY = json.dumps(message_json()).encode()
OK = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
NO_RETRY = RetryPolicy(max_attempts=1)
SEND = {"to": "+15558675310", "from_": "+15017122661", "body": "hi"}


class Server:
    """Reads each request and answers with what ``script`` returns (None: hang up)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[bytes] = []
        self.connections = 0

    async def handle(self, stream: SocketStream | anyio.abc.ByteStream) -> None:
        self.connections += 1
        async with stream:
            buffer = b""
            while True:
                try:
                    buffer += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return
                head_end = buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    continue
                length = 0
                for line in buffer[:head_end].split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if len(buffer) < head_end + 4 + length:
                    continue
                request, buffer = buffer[: head_end + 4 + length], buffer[head_end + 4 + length :]
                self.requests.append(request)
                answer = await self.script(request)
                if answer is None:
                    return
                await stream.send(answer)


@asynccontextmanager
async def serve(script: Script) -> AsyncIterator[tuple[str, Server]]:
    server = Server(script)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, server.handle)
        yield f"http://127.0.0.1:{listener.extra(SocketAttribute.local_port)}", server
        tasks.cancel_scope.cancel()


def client_for(url: str, **options: object) -> AsyncClient:
    return AsyncClient(ACCOUNT_SID, AUTH_TOKEN, base_url=url, retry=NO_RETRY, **options)  # type: ignore[arg-type]


async def answer_ok(_: bytes) -> bytes:
    return OK


async def test_default_client_uses_the_fast_path_and_keeps_connections_alive() -> None:
    assert not httpx_is_patched()
    async with serve(answer_ok) as (url, server), client_for(url) as client:
        assert client._session.uses_fast_path
        for _ in range(5):
            msg = await client.messages.send(**SEND)
        assert msg.sid == MESSAGE_SID
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /2010-04-01/Accounts/" + ACCOUNT_SID.encode() + b"/Messages.json HTTP/1.1\r\n")
    head, _, body = first.partition(b"\r\n\r\n")
    assert body == b"To=%2B15558675310&From=%2B15017122661&Body=hi"
    headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
    assert headers[b"Host"] == url.removeprefix("http://").encode()
    assert headers[b"Content-Type"] == b"application/x-www-form-urlencoded"
    assert headers[b"Content-Length"] == str(len(body)).encode()
    assert headers[b"Authorization"].startswith(b"Basic ")
    assert headers[b"User-Agent"].startswith(b"twilio-sms-async/")


async def test_chunked_and_connection_close_responses() -> None:
    chunks = BODY[:10], BODY[10:]
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
        + b"0\r\n\r\n"
    )

    async def script(_: bytes) -> bytes:
        return chunked

    async with serve(script) as (url, server), client_for(url) as client:
        first = await client.messages.fetch(MESSAGE_SID)
        second = await client.messages.fetch(MESSAGE_SID)
    assert first.sid == second.sid == MESSAGE_SID
    assert server.connections == 2  # "Connection: close" is honoured


async def test_error_bodies_and_204_map_like_httpx() -> None:
    not_found = json.dumps({"code": 20404, "message": "nope", "status": 404}).encode()

    async def script(request: bytes) -> bytes:
        if request.startswith(b"DELETE"):
            return b"HTTP/1.1 204 No Content\r\n\r\n"
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (len(not_found), not_found)

    async with serve(script) as (url, _), client_for(url) as client:
        assert await client.messages.delete(MESSAGE_SID) is None
        with pytest.raises(NotFoundError) as info:
            await client.messages.fetch(MESSAGE_SID)
    assert info.value.code == 20404


async def test_hang_up_after_reading_a_create_is_an_unknown_outcome() -> None:
    async def script(_: bytes) -> None:
        return None

    async with serve(script) as (url, server), client_for(url) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.messages.send(**SEND)
    assert len(server.requests) == 1


async def test_read_timeout_is_an_unknown_outcome_and_the_connection_is_dropped() -> None:
    async def script(_: bytes) -> bytes:
        await anyio.sleep(5)
        return OK

    async with serve(script) as (url, _), client_for(url, timeout=Timeouts(read=0.2, write=0.2)) as client:
        with anyio.fail_after(3), pytest.raises(OutcomeUnknownError):
            await client.messages.send(**SEND)
        assert client._session._fast is not None
        assert client._session._fast.open_connections == 0


async def test_connection_refused_is_certainly_not_sent_and_retried() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(SocketAttribute.local_port)
    await listener.aclose()  # nothing listens there now
    async with AsyncClient(
        ACCOUNT_SID, AUTH_TOKEN, base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=2, initial_wait=0)
    ) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.messages.send(**SEND)
        assert client.stats.retries == 1
    assert info.value.request_sent is False


async def test_cancelling_a_request_drops_its_connection() -> None:
    async def script(_: bytes) -> bytes:
        await anyio.sleep(5)
        return OK

    async with serve(script) as (url, _), client_for(url) as client:
        with anyio.move_on_after(0.2):
            await client.messages.fetch(MESSAGE_SID)
        assert client._session._fast is not None
        assert client._session._fast.open_connections == 0


async def test_respx_and_opt_out_route_through_httpx() -> None:
    async with serve(answer_ok) as (url, server):
        with respx.mock(assert_all_called=False) as router:
            route = router.post(url=f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json").respond(
                201, json=message_json()
            )
            assert httpx_is_patched()
            async with client_for(url) as client:
                await client.messages.send(**SEND)
            assert route.called
        assert server.requests == []  # the mock saw it, the server did not
        async with client_for(url, fast_path=False) as client:
            assert not client._session.uses_fast_path
            await client.messages.send(**SEND)
        assert len(server.requests) == 1


def test_fast_path_steps_aside_for_proxies_and_odd_urls() -> None:
    assert fast_path_possible("https://api.twilio.com", {})
    assert not fast_path_possible("https://api.twilio.com", {"HTTPS_PROXY": "http://proxy:3128"})
    assert not fast_path_possible("https://api.twilio.com", {"all_proxy": "socks5://p"})


def test_trio_uses_httpx_against_the_same_server() -> None:
    async def main() -> str:
        async with serve(answer_ok) as (url, _), client_for(url) as client:
            return (await client.messages.send(**SEND)).sid

    assert anyio.run(main, backend="trio") == MESSAGE_SID


async def test_a_base_url_path_prefix_is_kept_in_the_request_target() -> None:
    async with serve(answer_ok) as (url, server), client_for(url + "/proxy/twilio") as client:
        await client.messages.send(**SEND)
    assert server.requests[0].startswith(b"POST /proxy/twilio/2010-04-01/Accounts/")


async def test_tls_to_a_loopback_server_with_verification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trustme = pytest.importorskip("trustme", reason="trustme (a test dependency) makes the throwaway CA")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    server = Server(answer_ok)
    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = tcp.extra(SocketAttribute.local_port)
    listener = TLSListener(tcp, server_context)
    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, server.handle)
        # Trusted through SSL_CERT_FILE, as httpx would be: the handshake verifies and the send works.
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        async with client_for(f"https://localhost:{port}") as client:
            assert client._session.uses_fast_path
            assert (await client.messages.send(**SEND)).sid == MESSAGE_SID
        # Without trusting the CA, the certificate is refused: nothing is sent.
        monkeypatch.delenv("SSL_CERT_FILE")
        async with client_for(f"https://localhost:{port}") as client:
            with pytest.raises(APIConnectionError) as info:
                await client.messages.send(**SEND)
            assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
        tasks.cancel_scope.cancel()
    assert len(server.requests) == 1
