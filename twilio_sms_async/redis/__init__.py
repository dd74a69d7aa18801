"""Scale-out on Redis: one rate budget, one bulk job and one webhook dedupe for many processes.

Install with ``pip install 'twilio-sms-async[redis]'`` (redis-py's asyncio
client; asyncio only).

>>> from twilio_sms_async import AsyncClient, RateLimit
>>> from twilio_sms_async.redis import RedisJob, RedisRateLimiter
>>> async def worker(rows):  # doctest: +SKIP
...     limiter = RedisRateLimiter("redis://127.0.0.1", RateLimit(per_second=100), key="AC...")
...     async with AsyncClient(rate_limit=limiter) as client:
...         job = RedisJob("redis://127.0.0.1", "newsletter-2026-11")
...         return await client.messages.send_all(rows, job=job)

Run ``worker`` in as many processes as you like over the same ``rows``:
they split the job, never send an index twice, and together keep to 100
messages a second.
"""

from __future__ import annotations

from ._connect import connect, mask_url
from ._dedupe import RedisDeduplicator
from ._job import JobStatus, RedisJob
from ._limiter import RedisRateLimiter

__all__ = ["JobStatus", "RedisDeduplicator", "RedisJob", "RedisRateLimiter", "connect", "mask_url"]
