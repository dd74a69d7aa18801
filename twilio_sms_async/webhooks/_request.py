"""Framework-neutral webhook handling: rebuild the public URL, verify, parse, deduplicate."""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import attrs

from ._models import InboundMessage, StatusCallback
from ._verify import verify_signature

__all__ = ["Deduplicator", "FrameworkAdapter", "SharedDeduplicator", "VerifiedWebhook", "WebhookVerifier", "public_url"]


def public_url(
    url: str, headers: Mapping[str, str], *, trust_forwarded: bool = False, base_url: str | None = None
) -> str:
    """The URL Twilio requested, which is what it signed.

    Behind a proxy the server sees its own URL; pass ``base_url`` (the
    public scheme and host) or trust ``X-Forwarded-Proto``/``X-Forwarded-Host``
    from a proxy you control. Never trust forwarded headers from the open
    internet: a caller could then choose the URL that gets checked.
    """
    parts = urlsplit(url)
    if base_url is not None:
        public = urlsplit(base_url)
        return urlunsplit((public.scheme, public.netloc, parts.path, parts.query, ""))
    if trust_forwarded:
        proto = _first(headers.get("x-forwarded-proto"))
        host = _first(headers.get("x-forwarded-host"))
        return urlunsplit((proto or parts.scheme, host or parts.netloc, parts.path, parts.query, ""))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _first(value: str | None) -> str | None:
    return value.split(",")[0].strip() or None if value else None


class SharedDeduplicator(Protocol):
    """A dedupe store every replica shares, e.g. ``twilio_sms_async.redis.RedisDeduplicator``."""

    async def seen(self, key: str) -> bool:
        """True if ``key`` was seen by any replica within the TTL; records it either way."""
        ...


class Deduplicator:
    """Remembers webhook keys for ``ttl`` seconds (at most ``max_entries``) to spot Twilio's retries."""

    def __init__(self, *, ttl: float = 3600.0, max_entries: int = 100_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen(self, key: str, *, now: float | None = None) -> bool:
        """True if ``key`` was seen within the TTL; records it either way."""
        now = time.monotonic() if now is None else now
        while self._seen and (next(iter(self._seen.values())) < now - self._ttl or len(self._seen) > self._max):
            self._seen.popitem(last=False)
        duplicate = key in self._seen
        self._seen[key] = now
        self._seen.move_to_end(key)
        return duplicate


@attrs.frozen(kw_only=True)
class VerifiedWebhook:
    """A webhook request whose signature checked out."""

    url: str
    form: tuple[tuple[str, str], ...]
    body: bytes
    idempotency_token: str | None
    duplicate: bool

    def inbound_message(self) -> InboundMessage:
        return InboundMessage.from_form(self.form)

    def status_callback(self) -> StatusCallback:
        return StatusCallback.from_form(self.form)


class WebhookVerifier:
    """Verifies requests for one app; the framework helpers wrap this.

    ``auth_token`` defaults to ``TWILIO_AUTH_TOKEN``; pass several to accept
    during a rotation. With ``dedupe`` (on by default) a repeat of an
    ``I-Twilio-Idempotency-Token``, or else of (MessageSid, status), is
    marked ``duplicate`` so the handler can acknowledge it without acting.
    """

    def __init__(
        self,
        auth_token: str | Sequence[str] | None = None,
        *,
        trust_forwarded: bool = False,
        base_url: str | None = None,
        dedupe: Deduplicator | SharedDeduplicator | bool | None = True,
    ) -> None:
        token = auth_token if auth_token is not None else os.environ.get("TWILIO_AUTH_TOKEN")
        if not token:
            raise ValueError("auth_token: pass the account's Auth Token or set TWILIO_AUTH_TOKEN")
        self._tokens = token
        self.trust_forwarded = trust_forwarded
        self.base_url = base_url
        self._dedupe = Deduplicator() if dedupe is True else (dedupe or None)

    def verify(self, *, method: str, url: str, headers: Mapping[str, str], body: bytes) -> VerifiedWebhook:
        """Check one request; raise :class:`InvalidSignatureError` if it is not Twilio's.

        With a :class:`SharedDeduplicator` use :meth:`averify` (the framework adapters do).
        """
        hook, key = self._check(method=method, url=url, headers=headers, body=body)
        if key is None:
            return hook
        if not isinstance(self._dedupe, Deduplicator):
            raise TypeError("a shared deduplicator answers asynchronously: use `await verifier.averify(...)`")
        return attrs.evolve(hook, duplicate=self._dedupe.seen(key))

    async def averify(self, *, method: str, url: str, headers: Mapping[str, str], body: bytes) -> VerifiedWebhook:
        """:meth:`verify` for async apps; works with a local or a shared deduplicator."""
        hook, key = self._check(method=method, url=url, headers=headers, body=body)
        if key is None or self._dedupe is None:
            return hook
        if isinstance(self._dedupe, Deduplicator):
            return attrs.evolve(hook, duplicate=self._dedupe.seen(key))
        return attrs.evolve(hook, duplicate=await self._dedupe.seen(key))

    def _check(
        self, *, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[VerifiedWebhook, str | None]:
        """Verify and parse; the hook (not yet marked duplicate) and its dedupe key, if deduping."""
        lowered = {k.lower(): v for k, v in headers.items()}
        full_url = public_url(url, lowered, trust_forwarded=self.trust_forwarded, base_url=self.base_url)
        is_json = lowered.get("content-type", "").split(";")[0].strip() == "application/json"
        form: tuple[tuple[str, str], ...] = ()
        if method.upper() == "GET":
            form = tuple(parse_qsl(urlsplit(full_url).query, keep_blank_values=True))
            signed: Sequence[tuple[str, str]] | bytes | None = None
        elif is_json:
            signed = body
        else:
            form = tuple(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            signed = form
        verify_signature(
            full_url,
            signed,
            lowered.get("x-twilio-signature"),
            self._tokens,
            signature_settings=lowered.get("x-twilio-webhooks-signature-settings"),
        )
        token = lowered.get("i-twilio-idempotency-token")
        hook = VerifiedWebhook(url=full_url, form=form, body=body, idempotency_token=token, duplicate=False)
        if self._dedupe is None:
            return hook, None
        values = dict(form)
        key = token or "|".join(
            (values.get("MessageSid", ""), values.get("MessageStatus") or values.get("SmsStatus", ""))
        )
        return hook, key if key.strip("|") else None


class FrameworkAdapter:
    """The shared constructor of the framework helpers: they differ only in how they read a request."""

    def __init__(
        self,
        auth_token: str | Sequence[str] | None = None,
        *,
        trust_forwarded: bool = False,
        base_url: str | None = None,
        dedupe: Deduplicator | SharedDeduplicator | bool | None = True,
    ) -> None:
        self.verifier = WebhookVerifier(auth_token, trust_forwarded=trust_forwarded, base_url=base_url, dedupe=dedupe)
