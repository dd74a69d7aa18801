"""Usage that exists only to be type-checked (mypy --strict): the public API's promises."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from twilio_sms_async import (
    APIError,
    AsyncClient,
    AsyncPaginator,
    Message,
    MessageRequest,
    MessageStatus,
    Page,
    Timeouts,
)


async def usage() -> None:
    async with AsyncClient(timeout=Timeouts(read=10)) as client:
        msg: Message = await client.messages.send(to="+15558675310", from_="+15017122661", body="hi")
        status: MessageStatus = msg.status
        price: Decimal | None = msg.price
        sent: datetime | None = msg.date_sent
        segments: int = msg.num_segments
        again: Message = await client.messages.send_request(MessageRequest(to="+1555", from_="+1555", body="x"))
        paginator: AsyncPaginator[Message] = client.messages.list(limit=10)
        async for item in paginator:
            reveal: str = item.sid
        async for page in client.messages.list().pages():
            first: Page[Message] = page
            uri: str | None = first.next_page_uri
        collected: list[Message] = await client.messages.list().collect(max_items=5)
        try:
            await client.messages.delete(again.sid)
        except APIError as exc:
            code: int = exc.code
        del status, price, sent, segments, reveal, uri, collected, code


async def scale_out(rows: list[dict[str, str]]) -> None:
    """The Redis extra as a user types it: mypy checks these signatures."""
    from twilio_sms_async import BulkSummary, Limiter, RateLimit, SharedJob
    from twilio_sms_async.redis import JobStatus, RedisDeduplicator, RedisJob, RedisRateLimiter
    from twilio_sms_async.webhooks.starlette import TwilioWebhook

    limiter: Limiter = RedisRateLimiter("redis://127.0.0.1", RateLimit(per_second=100), key="acct")
    async with AsyncClient(rate_limit=limiter) as client:
        job: SharedJob = RedisJob("redis://127.0.0.1", "spring", chunk_size=500, lease=30.0)
        summary: BulkSummary = await client.messages.send_all(rows, job=job)
        async with RedisJob("redis://127.0.0.1", "spring") as handle:
            status: JobStatus | None = await handle.status(details=10)
    webhook = TwilioWebhook("token", dedupe=RedisDeduplicator("redis://127.0.0.1", ttl=600))
    del summary, status, webhook
