"""The sandbox engine: Twilio's Messages API in memory, faithful to the facts sheet.

It speaks HTTP semantics (method, path, query, form, headers in; status,
headers, JSON out) and nothing else, so the in-process httpx transport and
the loopback server share every line of behaviour.
"""

from __future__ import annotations

import base64
import heapq
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio
import attrs
import httpx

if TYPE_CHECKING:
    from .._client import AsyncClient

from .._signature import compute_signature
from .._validation import MAX_BODY_CHARS, MAX_MEDIA_URLS, body_length
from ._errors import SandboxAPIError, error_response
from ._faults import Fault, FaultInjector, Faults
from ._listing import list_media, list_messages, parse_send_at
from ._server import serve
from ._state import SandboxClock, SandboxRequest, SandboxResponse, StoredMedia, StoredMessage, rfc2822
from ._transport import SandboxTransport

__all__ = [
    "SANDBOX_ACCOUNT_SID",
    "SANDBOX_AUTH_TOKEN",
    "SANDBOX_NUMBER",
    "SANDBOX_SERVICE_SID",
    "Sandbox",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxStats",
]

SANDBOX_ACCOUNT_SID = "AC" + "5a" * 16
SANDBOX_AUTH_TOKEN = "sandbox-auth-token-not-a-secret"
SANDBOX_SERVICE_SID = "MG" + "5a" * 16
SANDBOX_NUMBER = "+15005550006"

#: Twilio's magic test numbers (facts sheet §11): From -> error, To -> error.
MAGIC_FROM = {"+15005550001": 21212, "+15005550007": 21606, "+15005550008": 21611}
MAGIC_TO = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}
DELIVERY_ERRORS = {
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
}
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_CHANNEL = re.compile(r"[a-z]+:.+")
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
_OUTBOUND_STEPS = (("queued", 0.1), ("sending", 0.5), ("sent", 1.0), ("delivered", 3.0))
_ROUTE = re.compile(
    r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages"
    r"(?:/(?P<sid>[^/]+?)(?:/(?P<sub>Media|Feedback)(?:/(?P<media>[^/]+?))?)?)?\.json"
)


@attrs.define
class SandboxStats:
    """Counters a test can assert on."""

    requests: Counter[str] = attrs.Factory(Counter)
    created: int = 0
    per_recipient: Counter[str] = attrs.Factory(Counter)
    rejected: Counter[int] = attrs.Factory(Counter)
    rate_limited: int = 0
    server_errors: int = 0
    dropped: int = 0
    callbacks_sent: int = 0


def segments(body: str) -> int:
    if not body:
        return 1
    if all(c in _GSM7 for c in body):
        return 1 if len(body) <= 160 else -(-len(body) // 153)
    units = body_length(body)
    return 1 if units <= 70 else -(-units // 67)


class Sandbox:
    """An in-memory Twilio Messages API for tests and demos.

    Use it in-process (``sandbox.client()`` or ``transport=sandbox.transport``)
    or over loopback HTTP (``async with sandbox.serve() as base_url``). Time
    is a :class:`SandboxClock` a test moves with :meth:`advance`, which also
    delivers the status callbacks that fall due, signed as Twilio signs them.
    Callbacks go out through ``callback_transport`` when given; otherwise only
    to loopback hosts unless ``deliver_external_callbacks`` (a sandbox should
    not reach the internet by surprise). Every callback is recorded in
    :attr:`callbacks` with the status code it got (None if not delivered).
    """

    def __init__(
        self,
        *,
        account_sid: str = SANDBOX_ACCOUNT_SID,
        auth_token: str = SANDBOX_AUTH_TOKEN,
        numbers: Iterable[str] = (SANDBOX_NUMBER,),
        seed: int = 0,
        faults: Faults | None = None,
        clock: SandboxClock | None = None,
        retain_messages: bool = True,
        callback_transport: httpx.AsyncBaseTransport | None = None,
        deliver_external_callbacks: bool = False,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.numbers = set(numbers)
        self.clock = clock or SandboxClock()
        self.faults = faults or Faults()
        self.retain_messages = retain_messages
        self.stats = SandboxStats()
        self.messages: dict[str, StoredMessage] = {}
        self.callbacks: list[tuple[str, dict[str, str], int | None]] = []
        self._injector = FaultInjector(self.faults, seed)
        self._rng = random.Random(seed)
        self._seq = 0
        self._due: list[tuple[float, int, str, str]] = []
        self._outbox: list[tuple[str, dict[str, str]]] = []
        self._callback_transport = callback_transport
        self._deliver_external = deliver_external_callbacks
        self.delivery_overrides: dict[str, int] = {}
        self._failure_codes: dict[str, int] = {}
        self._auth = {"Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()}

    # -- configuration -------------------------------------------------------

    def add_number(self, number: str) -> None:
        """Own another sender (E.164, short code, alphanumeric ID or channel address)."""
        self.numbers.add(number)

    def add_api_key(self, key_sid: str, secret: str) -> None:
        """Accept an API key (SK...) and its secret for this account."""
        self._auth.add("Basic " + base64.b64encode(f"{key_sid}:{secret}".encode()).decode())

    def fail_delivery(self, to: str, code: int = 30003) -> None:
        """Make messages to ``to`` end ``undelivered`` with ``code``."""
        self.delivery_overrides[to] = code

    @property
    def transport(self) -> SandboxTransport:
        """An httpx transport into this sandbox: ``AsyncClient(..., transport=sandbox.transport)``."""
        return SandboxTransport(self)

    def client(self, **options: Any) -> AsyncClient:
        """An :class:`AsyncClient` wired to this sandbox with its credentials (``options`` pass through)."""
        from .._client import AsyncClient

        options.setdefault("account_sid", self.account_sid)
        options.setdefault("auth_token", self.auth_token)
        if "base_url" not in options and "http_client" not in options:
            options.setdefault("transport", self.transport)
        return AsyncClient(env={}, **options)

    def serve(self, host: str = "127.0.0.1", port: int = 0, *, tick: float = 0.1) -> AbstractAsyncContextManager[str]:
        """Serve over loopback HTTP: ``async with sandbox.serve() as base_url: ...``."""
        return serve(self, host, port, tick=tick)

    def _new_sid(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(128):032x}"

    # -- the HTTP surface ------------------------------------------------------

    async def handle(self, request: SandboxRequest) -> SandboxResponse | Fault:
        """Answer one request, or return ``Fault.DROP_*`` when the connection must be dropped."""
        if self.faults.latency:
            await anyio.sleep(self.faults.latency)
        self._apply_due()
        match = _ROUTE.fullmatch(request.path)
        op = _operation(request.method, match)
        self.stats.requests[op] += 1
        if request.headers.get("authorization") not in self._auth:
            return error_response(401, 20003)
        if match is None or match["account"] != self.account_sid or op.startswith("?"):
            return error_response(404, 20404)
        is_create = op == "POST Messages"
        form = request.form
        key = f"{_first(form, 'To')}|{_first(form, 'Body')}" if is_create else f"{op}|{request.path}"
        fault = self._injector.decide(key, is_create=is_create)
        if fault is Fault.RATE_LIMITED:
            self.stats.rate_limited += 1
            retry_after = self.faults.retry_after
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
            return error_response(429, 20429, headers=headers)
        if fault is Fault.SERVER_ERROR:
            self.stats.server_errors += 1
            return error_response(500, 20500)
        if fault is Fault.DROP_BEFORE:
            self.stats.dropped += 1
            return fault
        try:
            response = self._dispatch(op, match, request)
        except SandboxAPIError as exc:
            self.stats.rejected[exc.code] += 1
            return error_response(exc.status, exc.code, exc.message)
        if fault is Fault.DROP_AFTER:
            self.stats.dropped += 1
            return fault
        return response

    def _dispatch(self, op: str, match: re.Match[str], request: SandboxRequest) -> SandboxResponse:
        sid, media_sid = match["sid"], match["media"]
        if op == "POST Messages":
            return _json(201, self._create(request.form).to_json())
        if op == "GET Messages":
            return _json(200, list_messages(self, request.query))
        message = self.messages.get(sid)
        if message is None:
            raise SandboxAPIError(404, 20404, f"The requested resource {request.path} was not found")
        if op == "GET Message":
            return _json(200, message.to_json())
        if op == "POST Message":
            return _json(200, self._update(message, request.form).to_json())
        if op == "DELETE Message":
            del self.messages[sid]
            return SandboxResponse(204)
        if op == "GET Media":
            return _json(200, list_media(self, message, request.query))
        if op == "POST Feedback":
            return _json(200, self._feedback(message, request.form))
        media = next((m for m in message.media if m.sid == media_sid), None)
        if media is None:
            raise SandboxAPIError(404, 20404)
        if op == "DELETE MediaItem":
            message.media.remove(media)
            return SandboxResponse(204)
        return _json(200, media.to_json())

    # -- operations ------------------------------------------------------------

    def _create(self, form: Sequence[tuple[str, str]]) -> StoredMessage:
        values = dict(form)
        to = values.get("To")
        if not to:
            raise SandboxAPIError(400, 21604)
        if not (_E164.fullmatch(to) or _CHANNEL.fullmatch(to)):
            raise SandboxAPIError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        sender = values.get("From")
        service = values.get("MessagingServiceSid")
        if not sender and not service:
            raise SandboxAPIError(400, 21603)
        body = values.get("Body", "")
        media_urls = [v for k, v in form if k == "MediaUrl"]
        if not body and not media_urls and not values.get("ContentSid"):
            raise SandboxAPIError(400, 21602)
        if body_length(body) > MAX_BODY_CHARS:
            raise SandboxAPIError(400, 21617)
        if len(media_urls) > MAX_MEDIA_URLS:
            raise SandboxAPIError(400, 21623)
        if any(not u.startswith(("http://", "https://")) for u in media_urls):
            raise SandboxAPIError(400, 21620)
        if sender:
            if sender in MAGIC_FROM:
                raise SandboxAPIError(400, MAGIC_FROM[sender])
            if sender not in self.numbers:
                raise SandboxAPIError(
                    400,
                    21606,
                    f"The From phone number {sender} is not a valid, SMS-capable inbound phone number "
                    "or short code for your account.",
                )
            if sender == to:
                raise SandboxAPIError(400, 21211, "'To' and 'From' number cannot be the same")
        if to in MAGIC_TO:
            raise SandboxAPIError(400, MAGIC_TO[to])
        now = self.clock.now()
        send_at = self._schedule(values, service, now)
        self._seq += 1
        message = StoredMessage(
            seq=self._seq,
            sid=self._new_sid("MM" if media_urls else "SM"),
            account_sid=self.account_sid,
            to=to,
            from_=sender or (None if send_at else min(self.numbers, default=None)),
            body=body,
            status="scheduled" if send_at else ("accepted" if service and not sender else "queued"),
            messaging_service_sid=service,
            num_segments=segments(body),
            created=now,
            updated=now,
            send_at=send_at,
            status_callback=values.get("StatusCallback"),
            provide_feedback=values.get("ProvideFeedback") == "true",
        )
        for url in media_urls:
            message.media.append(
                StoredMedia(
                    sid=self._new_sid("ME"),
                    parent_sid=message.sid,
                    account_sid=self.account_sid,
                    url=url,
                    content_type=_content_type(url),
                    created=now,
                )
            )
        self.stats.created += 1
        self.stats.per_recipient[to] += 1
        if self.retain_messages:
            self.messages[message.sid] = message
            self._plan(message, send_at or now)
        return message

    def _schedule(self, values: Mapping[str, str], service: str | None, now: float) -> float | None:
        schedule_type, raw = values.get("ScheduleType"), values.get("SendAt")
        if schedule_type and not raw:
            raise SandboxAPIError(400, 35111)
        if not raw:
            return None
        if schedule_type != "fixed":
            raise SandboxAPIError(400, 35126)
        if not service:
            raise SandboxAPIError(400, 35118)
        when = parse_send_at(raw)
        if when is None or not now + 300 <= when <= now + 35 * 86400:
            raise SandboxAPIError(400, 35114)
        return when

    def _update(self, message: StoredMessage, form: Sequence[tuple[str, str]]) -> StoredMessage:
        values = dict(form)
        if ("Body" in values) == ("Status" in values):
            raise SandboxAPIError(400, 30400)
        if "Body" in values:
            if values["Body"] != "":
                raise SandboxAPIError(400, 30400, "Body can only be updated to an empty string (redaction)")
            message.body = ""
        else:
            if values["Status"] != "canceled":
                raise SandboxAPIError(400, 30400, "Status can only be updated to 'canceled'")
            if message.status != "scheduled":
                raise SandboxAPIError(
                    400, 30400, f"Only scheduled messages can be canceled, not {message.status!r} ones"
                )
            message.status = "canceled"
            self._queue_callback(message)
        message.updated = self.clock.now()
        return message

    def _feedback(self, message: StoredMessage, form: Sequence[tuple[str, str]]) -> dict[str, Any]:
        outcome = dict(form).get("Outcome", "unconfirmed")
        if outcome not in ("confirmed", "unconfirmed"):
            raise SandboxAPIError(400, 30400, "Outcome must be 'confirmed' or 'unconfirmed'")
        now = rfc2822(self.clock.now())
        message.feedback = {
            "account_sid": self.account_sid,
            "message_sid": message.sid,
            "outcome": outcome,
            "date_created": (message.feedback or {}).get("date_created", now),
            "date_updated": now,
            "uri": message.uri.replace(".json", "/Feedback.json"),
        }
        return message.feedback

    # -- time, status progression and callbacks ---------------------------------

    def _plan(self, message: StoredMessage, start: float) -> None:
        steps = list(_OUTBOUND_STEPS)
        code = self.delivery_overrides.get(message.to) or self._injector.undelivered_code(message.sid)
        if code is not None:
            steps[-1] = ("undelivered", 3.0)
        for status, delay in steps:
            heapq.heappush(self._due, (start + delay, message.seq, message.sid, status))
        if code is not None:
            self._failure_codes[message.sid] = code

    def _apply_due(self) -> None:
        now = self.clock.now()
        due = self._due
        while due and due[0][0] <= now:
            when, _, sid, status = heapq.heappop(due)
            message = self.messages.get(sid)
            if message is None or message.status == "canceled":
                continue
            message.status = status
            message.updated = when
            if status == "sent":
                message.sent = when
                message.price = f"-{0.0079 * message.num_segments:.5f}"
                if message.from_ is None:
                    message.from_ = min(self.numbers, default=None)
            if status == "undelivered":
                message.error_code = self._failure_codes.pop(sid, 30003)
                message.error_message = DELIVERY_ERRORS.get(message.error_code, "Undelivered")
            self._queue_callback(message)

    def _queue_callback(self, message: StoredMessage) -> None:
        if not message.status_callback:
            return
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message.from_ or "",
            "MessageSid": message.sid,
            "MessageStatus": message.status,
            "SmsSid": message.sid,
            "SmsStatus": message.status,
            "To": message.to,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if message.error_code is not None:
            params["ErrorCode"] = str(message.error_code)
        if message.status in ("delivered", "undelivered"):
            params["RawDlrDoneDate"] = _raw_dlr(message.updated)
        self._outbox.append((message.status_callback, params))

    async def advance(self, seconds: float) -> None:
        """Move the clock forward, apply the status changes due, and deliver their callbacks."""
        self.clock.advance(seconds)
        self._apply_due()
        await self.deliver_callbacks()

    async def deliver_callbacks(self) -> int:
        """POST every queued status callback, signed; return how many were sent."""
        outbox, self._outbox = self._outbox, []
        if not outbox:
            return 0
        async with httpx.AsyncClient(transport=self._callback_transport, timeout=10.0) as client:
            for url, params in outbox:
                headers = {
                    "X-Twilio-Signature": compute_signature(url, params, self.auth_token),
                    "I-Twilio-Idempotency-Token": f"{params['MessageSid']}-{params['MessageStatus']}",
                    "User-Agent": "TwilioProxy/1.1 (twilio-sms-async sandbox)",
                }
                status: int | None = None
                if self._callback_transport is not None or self._deliver_external or _is_loopback(url):
                    try:
                        response = await client.post(url, data=params, headers=headers)
                        status = response.status_code
                    except httpx.HTTPError:
                        status = None
                self.callbacks.append((url, params, status))
                self.stats.callbacks_sent += 1
        return len(outbox)


def _is_loopback(url: str) -> bool:
    host = httpx.URL(url).host
    return host in ("localhost", "::1") or host.startswith("127.")


def _operation(method: str, match: re.Match[str] | None) -> str:
    if match is None:
        return f"? {method}"
    if match["sid"] is None:
        name = "Messages"
    elif match["sub"] is None:
        name = "Message"
    elif match["sub"] == "Feedback":
        name = "Feedback"
    else:
        name = "Media" if match["media"] is None else "MediaItem"
    allowed = {
        "Messages": ("GET", "POST"),
        "Message": ("GET", "POST", "DELETE"),
        "Media": ("GET",),
        "MediaItem": ("GET", "DELETE"),
        "Feedback": ("POST",),
    }[name]
    return f"{method} {name}" if method in allowed else f"? {method} {name}"


def _first(pairs: Sequence[tuple[str, str]], name: str) -> str:
    return next((v for k, v in pairs if k == name), "")


def _json(status: int, data: Any) -> SandboxResponse:
    return SandboxResponse(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def _content_type(url: str) -> str:
    lowered = url.lower().split("?", 1)[0]
    for ext, kind in ((".png", "image/png"), (".gif", "image/gif"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg")):
        if lowered.endswith(ext):
            return kind
    return "application/octet-stream"


def _raw_dlr(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%y%m%d%H%M")
