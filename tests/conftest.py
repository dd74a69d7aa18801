from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import respx

from twilio_sms_async import AsyncClient, RetryPolicy

from .redis_server import RedisServer, find_redis_server

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "s3cr3t-auth-token-value-1234567"
MESSAGE_SID = "SM" + "1" * 32
MEDIA_SID = "ME" + "2" * 32
SERVICE_SID = "MG" + "3" * 32
BASE = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
#: Retries as in production, minus the waiting.
FAST_RETRY = RetryPolicy(max_attempts=3, initial_wait=0.0, max_wait=0.0)


def message_json(**overrides: Any) -> dict[str, Any]:
    """A realistic CreateMessage 201 body, as Twilio's own docs show it."""
    data: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": "Hello",
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
        "sid": MESSAGE_SID,
        "status": "queued",
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}/Media.json",
            "feedback": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}/Feedback.json",
        },
        "to": "+15558675310",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}.json",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's own TWILIO_* variables must never leak into a test.
    for name in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_KEY",
        "TWILIO_API_SECRET",
        "TWILIO_EDGE",
        "TWILIO_REGION",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mock_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def client(mock_api: respx.MockRouter) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(ACCOUNT_SID, AUTH_TOKEN, retry=FAST_RETRY) as c:
        yield c


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a loopback port for the whole session (``noxfile.py`` installs it)."""
    binary = find_redis_server()
    if binary is None:
        if os.environ.get("TWILIO_SMS_ASYNC_SKIP_REDIS") == "1":
            # An explicit opt-out for a developer machine without Redis; CI and nox never set it.
            pytest.skip(
                "Redis scale-out tests skipped on request: redis-server is not installed and "
                "TWILIO_SMS_ASYNC_SKIP_REDIS=1 is set (`python3 -m nox` installs it and runs them)"
            )
        pytest.fail("redis-server is not installed: `apt-get install redis-server` (or run `python3 -m nox`)")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    if not redis_server.ping():
        redis_server.start()  # a test that restarts Redis may have left it down
    with socket.create_connection(("127.0.0.1", redis_server.port)) as sock:
        sock.sendall(b"FLUSHALL\r\n")
        assert sock.recv(16).startswith(b"+OK")
    return redis_server.url
