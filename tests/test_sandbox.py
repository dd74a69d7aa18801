"""The sandbox: Twilio's validation and magic numbers, lifecycle, callbacks, lists, faults, both transports."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx
import pytest

from twilio_sms_async import (
    APIError,
    AsyncClient,
    MessageStatus,
    NotFoundError,
    OutcomeUnknownError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
)
from twilio_sms_async.testing import (
    SANDBOX_ACCOUNT_SID,
    SANDBOX_AUTH_TOKEN,
    SANDBOX_NUMBER,
    SANDBOX_SERVICE_SID,
    Faults,
    Sandbox,
    SandboxClock,
)
from twilio_sms_async.webhooks import validate_signature

TO = "+15558675310"
FAST = RetryPolicy(max_attempts=4, initial_wait=0.0, max_wait=0.0)
SCHEDULED = [("To", TO), ("MessagingServiceSid", SANDBOX_SERVICE_SID), ("Body", "x")]


def FIXED_AT(when: str) -> list[tuple[str, str]]:
    return [("ScheduleType", "fixed"), ("SendAt", when)]


@pytest.fixture
async def client(twilio_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async with twilio_sandbox.client(retry=FAST) as c:
        yield c


async def raw_create(sandbox: Sandbox, form: list[tuple[str, str]]) -> httpx.Response:
    """POST straight to the sandbox, bypassing the client's own validation."""
    async with httpx.AsyncClient(transport=sandbox.transport, auth=(sandbox.account_sid, sandbox.auth_token)) as http:
        return await http.post(
            f"https://api.twilio.com/2010-04-01/Accounts/{sandbox.account_sid}/Messages.json",
            content=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )


@pytest.mark.parametrize(
    ("sender", "to", "code"),
    [
        ("+15005550001", TO, 21212),
        ("+15005550007", TO, 21606),
        ("+15005550008", TO, 21611),
        ("+15551234567", TO, 21606),  # any number the account does not own
        (SANDBOX_NUMBER, "+15005550001", 21211),
        (SANDBOX_NUMBER, "+15005550002", 21612),
        (SANDBOX_NUMBER, "+15005550003", 21408),
        (SANDBOX_NUMBER, "+15005550004", 21610),
        (SANDBOX_NUMBER, "+15005550009", 21614),
    ],
)
async def test_magic_numbers_answer_their_exact_errors(
    twilio_sandbox: Sandbox, client: AsyncClient, sender: str, to: str, code: int
) -> None:
    with pytest.raises(APIError) as info:
        await client.messages.send(to=to, from_=sender, body="hi")
    assert info.value.status == 400
    assert info.value.code == code
    assert info.value.more_info == f"https://www.twilio.com/docs/errors/{code}"
    assert twilio_sandbox.stats.rejected[code] == 1
    assert twilio_sandbox.stats.created == 0


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ([("From", SANDBOX_NUMBER), ("Body", "x")], 21604),
        ([("To", "nope"), ("From", SANDBOX_NUMBER), ("Body", "x")], 21211),
        ([("To", TO), ("Body", "x")], 21603),
        ([("To", TO), ("From", SANDBOX_NUMBER)], 21602),
        ([("To", TO), ("From", SANDBOX_NUMBER), ("Body", "x" * 1601)], 21617),
        ([("To", TO), ("From", SANDBOX_NUMBER), *[("MediaUrl", f"https://e.com/{i}.png") for i in range(11)]], 21623),
        ([("To", TO), ("From", SANDBOX_NUMBER), ("MediaUrl", "ftp://e.com/a.png")], 21620),
        ([("To", SANDBOX_NUMBER), ("From", SANDBOX_NUMBER), ("Body", "x")], 21211),
        ([("To", TO), ("MessagingServiceSid", SANDBOX_SERVICE_SID), ("Body", "x"), ("ScheduleType", "fixed")], 35111),
        (
            [
                ("To", TO),
                ("From", SANDBOX_NUMBER),
                ("Body", "x"),
                ("ScheduleType", "fixed"),
                ("SendAt", "2099-01-01T00:00:00Z"),
            ],
            35118,
        ),
        (
            [
                ("To", TO),
                ("MessagingServiceSid", SANDBOX_SERVICE_SID),
                ("Body", "x"),
                ("ScheduleType", "fixed"),
                ("SendAt", "2000-01-01T00:00:00Z"),
            ],
            35114,
        ),
    ],
)
async def test_twilio_validation_codes(twilio_sandbox: Sandbox, form: list[tuple[str, str]], code: int) -> None:
    response = await raw_create(twilio_sandbox, form)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["status"] == 400
    assert body["message"]


async def test_wrong_credentials_are_401_20003(twilio_sandbox: Sandbox) -> None:
    async with twilio_sandbox.client(auth_token="wrong-token") as client:
        with pytest.raises(APIError) as info:
            await client.messages.send(to=TO, from_=SANDBOX_NUMBER, body="hi")
    assert (info.value.status, info.value.code) == (401, 20003)


async def test_lifecycle_and_signed_callbacks(twilio_sandbox: Sandbox, client: AsyncClient) -> None:
    received: list[httpx.Request] = []

    async def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    sandbox = Sandbox(callback_transport=httpx.MockTransport(receiver))
    async with sandbox.client(retry=FAST) as c:
        msg = await c.messages.send(
            to=TO, from_=SANDBOX_NUMBER, body="hi", status_callback="https://app.example.com/cb?x=1"
        )
        assert msg.status is MessageStatus.QUEUED
        assert len(msg.sid) == 34
        assert msg.sid.startswith("SM")
        assert msg.date_sent is None
        await sandbox.advance(0.6)
        assert (await c.messages.fetch(msg.sid)).status is MessageStatus.SENDING
        await sandbox.advance(10)
        final = await c.messages.fetch(msg.sid)
    assert final.status is MessageStatus.DELIVERED
    assert final.date_sent is not None
    assert final.price is not None
    assert final.price < 0
    statuses = [dict(httpx.QueryParams(r.content.decode()))["MessageStatus"] for r in received]
    assert statuses == ["queued", "sending", "sent", "delivered"]
    for request in received:
        params = dict(httpx.QueryParams(request.content.decode()))
        signed = str(request.url) + "".join(k + params[k] for k in sorted(params))
        expected = base64.b64encode(hmac.new(SANDBOX_AUTH_TOKEN.encode(), signed.encode(), hashlib.sha1).digest())
        assert request.headers["X-Twilio-Signature"] == expected.decode()
        assert validate_signature(str(request.url), params, request.headers["X-Twilio-Signature"], SANDBOX_AUTH_TOKEN)
        assert request.headers["I-Twilio-Idempotency-Token"] == f"{msg.sid}-{params['MessageStatus']}"
    assert "RawDlrDoneDate" in dict(httpx.QueryParams(received[-1].content.decode()))


async def test_undelivered_carries_an_error_code(twilio_sandbox: Sandbox, client: AsyncClient) -> None:
    twilio_sandbox.fail_delivery(TO, 30007)
    msg = await client.messages.send(to=TO, from_=SANDBOX_NUMBER, body="hi")
    await twilio_sandbox.advance(10)
    final = await client.messages.fetch(msg.sid)
    assert final.status is MessageStatus.UNDELIVERED
    assert final.error_code == 30007


async def test_schedule_then_cancel(twilio_sandbox: Sandbox, client: AsyncClient) -> None:
    when = datetime.fromtimestamp(twilio_sandbox.clock.now(), UTC) + timedelta(hours=1)
    msg = await client.messages.send(to=TO, messaging_service_sid=SANDBOX_SERVICE_SID, body="later", send_at=when)
    assert msg.status is MessageStatus.SCHEDULED
    canceled = await client.messages.cancel(msg.sid)
    assert canceled.status is MessageStatus.CANCELED
    await twilio_sandbox.advance(7200)
    assert (await client.messages.fetch(msg.sid)).status is MessageStatus.CANCELED
    sent = await client.messages.send(to=TO, from_=SANDBOX_NUMBER, body="now")
    with pytest.raises(APIError) as info:
        await client.messages.cancel(sent.sid)
    assert info.value.code == 30400


async def test_scheduled_message_goes_out_at_send_at(twilio_sandbox: Sandbox, client: AsyncClient) -> None:
    when = datetime.fromtimestamp(twilio_sandbox.clock.now(), UTC) + timedelta(minutes=30)
    msg = await client.messages.send(to=TO, messaging_service_sid=SANDBOX_SERVICE_SID, body="later", send_at=when)
    await twilio_sandbox.advance(29 * 60)
    assert (await client.messages.fetch(msg.sid)).status is MessageStatus.SCHEDULED
    await twilio_sandbox.advance(120)
    assert (await client.messages.fetch(msg.sid)).status is MessageStatus.DELIVERED


async def test_redact_delete_media_feedback(twilio_sandbox: Sandbox, client: AsyncClient) -> None:
    msg = await client.messages.send(
        to=TO,
        from_=SANDBOX_NUMBER,
        body="pic",
        media_url=["https://e.com/a.png", "https://e.com/b.jpg"],
        provide_feedback=True,
    )
    assert msg.sid.startswith("MM")
    assert msg.num_media == 2
    media = await client.messages.media.list(msg.sid).collect(max_items=10)
    assert sorted(m.content_type or "" for m in media) == ["image/jpeg", "image/png"]
    assert (await client.messages.media.fetch(msg.sid, media[0].sid)).sid == media[0].sid
    await client.messages.media.delete(msg.sid, media[0].sid)
    assert len(await client.messages.media.list(msg.sid).collect(max_items=10)) == 1
    feedback = await client.messages.submit_feedback(msg.sid, "confirmed")
    assert feedback.outcome == "confirmed"
    assert (await client.messages.redact(msg.sid)).body == ""
    await client.messages.delete(msg.sid)
    with pytest.raises(NotFoundError):
        await client.messages.fetch(msg.sid)


async def test_list_filters_and_real_pagination(twilio_sandbox: Sandbox, client: AsyncClient) -> None:
    other = "+15558675399"
    sids = []
    for i in range(7):
        sids.append(
            (await client.messages.send(to=TO if i % 2 == 0 else other, from_=SANDBOX_NUMBER, body=f"m{i}")).sid
        )
    unsent = await client.messages.send(to=TO, from_=SANDBOX_NUMBER, body="not yet")
    all_listed = [m.sid async for m in client.messages.list(page_size=2)]
    assert all_listed == [unsent.sid, *reversed(sids)]  # newest first, across 4 pages
    to_listed = [m.sid async for m in client.messages.list(to=TO, page_size=2)]
    assert to_listed == [unsent.sid, sids[6], sids[4], sids[2], sids[0]]
    await twilio_sandbox.advance(2)  # all sent, today
    today = datetime.fromtimestamp(twilio_sandbox.clock.now(), UTC).date()
    sent_today = [m.sid async for m in client.messages.list(date_sent=today, page_size=3)]
    assert len(sent_today) == 8
    assert [m async for m in client.messages.list(date_sent_before=today - timedelta(days=1))] == []
    assert len([m async for m in client.messages.list(date_sent_after=today, from_=SANDBOX_NUMBER)]) == 8
    pages = [p async for p in client.messages.list(page_size=3).pages()]
    assert [len(p.items) for p in pages] == [3, 3, 2]
    assert pages[0].next_page_uri is not None
    assert "PageToken=PA" in pages[0].next_page_uri
    assert pages[-1].next_page_uri is None


async def test_fault_injection_is_deterministic_for_a_seed() -> None:
    async def run(seed: int) -> list[str]:
        sandbox = Sandbox(seed=seed, faults=Faults(server_error_rate=0.2, drop_before_rate=0.1, drop_after_rate=0.1))
        outcomes = []
        async with sandbox.client(retry=RetryPolicy(max_attempts=1)) as c:
            for i in range(60):
                try:
                    await c.messages.send(to=f"+1555000{i:04d}", from_=SANDBOX_NUMBER, body="x")
                    outcomes.append("ok")
                except OutcomeUnknownError as exc:
                    outcomes.append(f"unknown:{type(exc.__cause__).__name__}")
                except Exception as exc:
                    outcomes.append(type(exc).__name__)
        return outcomes

    first, again, other = await run(7), await run(7), await run(8)
    assert first == again
    assert first != other
    assert {"ok", "unknown:ServerError", "unknown:TransportError"} <= set(first)


async def test_drop_after_processing_is_unknown_and_never_resent() -> None:
    sandbox = Sandbox(faults=Faults(drop_after_rate=1.0))
    async with sandbox.client(retry=FAST) as c:
        summary = await c.messages.send_all(
            [{"to": f"+1555100{i:04d}", "from_": SANDBOX_NUMBER, "body": "x"} for i in range(20)]
        )
    assert summary.unknown == 20
    assert sandbox.stats.created == 20  # they exist on "Twilio"...
    assert max(sandbox.stats.per_recipient.values()) == 1  # ...exactly once each


async def test_account_rate_limit_answers_429_with_retry_after() -> None:
    sandbox = Sandbox(faults=Faults(rate_limit=5, retry_after=0.2))
    # Not adaptive: the client's pacer would (rightly) slow down after the first 429.
    async with sandbox.client(retry=RetryPolicy(max_attempts=1), rate_limit=RateLimit(adaptive=False)) as c:
        outcomes = []
        for i in range(8):
            try:
                await c.messages.send(to=f"+1555200{i:04d}", from_=SANDBOX_NUMBER, body="x")
                outcomes.append("ok")
            except RateLimitError as exc:
                outcomes.append(f"429:{exc.retry_after}")
    assert outcomes[:5] == ["ok"] * 5
    assert outcomes[5:] == ["429:0.2"] * 3
    assert sandbox.stats.rate_limited == 3


async def test_served_over_loopback_http(twilio_sandbox: Sandbox) -> None:
    async with twilio_sandbox.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        async with AsyncClient(SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, base_url=base_url, retry=FAST) as c:
            msg = await c.messages.send(to=TO, from_=SANDBOX_NUMBER, body="over the wire")
            assert (await c.messages.fetch(msg.sid)).body == "over the wire"
            assert [m.sid async for m in c.messages.list(to=TO)] == [msg.sid]
            await c.messages.delete(msg.sid)
            with pytest.raises(NotFoundError):
                await c.messages.fetch(msg.sid)
        async with httpx.AsyncClient() as raw:
            bad = await raw.get(f"{base_url}/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/Messages.json")
            assert bad.status_code == 401
            assert bad.json()["code"] == 20003


async def test_served_sandbox_drops_connections_like_a_real_server() -> None:
    sandbox = Sandbox(faults=Faults(drop_after_rate=1.0))
    async with (
        sandbox.serve() as base_url,
        AsyncClient(SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, base_url=base_url, retry=FAST) as c,
    ):
        with pytest.raises(OutcomeUnknownError):
            await c.messages.send(to=TO, from_=SANDBOX_NUMBER, body="x")
    assert sandbox.stats.created == 1


async def test_callbacks_from_the_served_sandbox_reach_a_loopback_receiver() -> None:
    got: list[dict[str, str]] = []
    all_four = anyio.Event()

    async def handle(stream: Any) -> None:
        async with stream:
            data = await stream.receive(65536)
            got.append(dict(httpx.QueryParams(data.split(b"\r\n\r\n", 1)[1].decode())))
            await stream.send(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            if len(got) == 4:
                all_four.set()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    sandbox = Sandbox(clock=SandboxClock(manual=False))
    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, handle)
        async with (
            sandbox.serve(tick=0.05) as base_url,
            AsyncClient(SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, base_url=base_url) as c,
        ):
            await c.messages.send(to=TO, from_=SANDBOX_NUMBER, body="x", status_callback=f"http://127.0.0.1:{port}/cb")
            with anyio.fail_after(10):
                await all_four.wait()
        tasks.cancel_scope.cancel()
    assert [p["MessageStatus"] for p in got] == ["queued", "sending", "sent", "delivered"]


async def test_bulk_against_the_sandbox_accounts_for_every_magic_number(client: AsyncClient) -> None:
    recipients = [TO, "+15005550001", "+15005550004", "+15005550009", "+15558675311"] * 20
    summary = await client.messages.send_all(
        ({"to": to, "body": "hello"} for to in recipients), defaults={"from_": SANDBOX_NUMBER}
    )
    assert summary.sent == 40
    assert summary.failed_by_code == {"21211": 20, "21610": 20, "21614": 20}
    assert summary.done == 100


def test_pytest_plugin_fixture_is_a_fresh_sandbox(twilio_sandbox: Sandbox) -> None:
    assert isinstance(twilio_sandbox, Sandbox)
    assert twilio_sandbox.stats.created == 0
    assert SANDBOX_NUMBER in twilio_sandbox.numbers
    assert date.today()  # the fixture needs no event loop


def test_official_twilio_client_talks_to_the_served_sandbox() -> None:
    twilio_rest = pytest.importorskip("twilio.rest", reason="the official twilio package is a test dependency")
    sandbox = Sandbox()

    async def main() -> tuple[Any, Any, list[Any]]:
        async with sandbox.serve() as base_url:

            def use_official() -> tuple[Any, Any, list[Any]]:
                official = twilio_rest.Client(SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN)
                official.api.base_url = base_url
                created = official.messages.create(to=TO, from_=SANDBOX_NUMBER, body="from twilio-python")
                fetched = official.messages(created.sid).fetch()
                listed = official.messages.list(to=TO, limit=5)
                return created, fetched, listed

            return await anyio.to_thread.run_sync(use_official)

    created, fetched, listed = anyio.run(main)
    assert created.sid.startswith("SM")
    assert created.status == "queued"
    assert fetched.body == "from twilio-python"
    assert [m.sid for m in listed] == [created.sid]
    assert sandbox.stats.created == 1
