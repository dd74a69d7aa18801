"""``RedisDeduplicator``: webhook dedupe shared by every replica of an app."""

from __future__ import annotations

from ._connect import Redis, RedisHandle, store_errors

__all__ = ["RedisDeduplicator"]


class RedisDeduplicator:
    """Webhook dedupe across replicas: ``TwilioWebhook(dedupe=RedisDeduplicator(redis))``.

    A callback Twilio retries to another replica is still marked duplicate.

    One ``SET NX EX`` per webhook. When Redis cannot be reached,
    :class:`~twilio_sms_async.StoreUnavailableError` propagates, so the app
    answers 5xx and Twilio delivers the webhook again later, rather than
    acting on it twice.
    """

    def __init__(self, redis: Redis | str, *, ttl: float = 3600.0, prefix: str = "twilio-sms") -> None:
        if not ttl >= 1:
            raise ValueError("ttl: seconds >= 1")
        self._redis = RedisHandle(redis)
        self._ttl_ms = int(ttl * 1000)
        self._prefix = f"{prefix}:webhook:"

    async def seen(self, key: str) -> bool:
        client = await self._redis.client()
        with store_errors(client, "checking a webhook for a duplicate"):
            first = await client.set(self._prefix + key, b"1", nx=True, px=self._ttl_ms)
        return not first

    async def aclose(self) -> None:
        """Close a connection this deduplicator opened from a URL."""
        await self._redis.aclose()
