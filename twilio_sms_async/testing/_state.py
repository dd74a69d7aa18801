"""What the sandbox stores (messages, media, the clock) and the request/response shapes it speaks."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import attrs

__all__ = ["SandboxClock", "SandboxRequest", "SandboxResponse", "StoredMedia", "StoredMessage", "rfc2822"]


def rfc2822(epoch: float | None) -> str | None:
    """Twilio's date format: ``Thu, 24 Aug 2023 05:01:45 +0000``."""
    if epoch is None:
        return None
    return format_datetime(datetime.fromtimestamp(int(epoch), UTC)).replace("-0000", "+0000")


class SandboxClock:
    """The sandbox's notion of now, in epoch seconds.

    ``manual=True`` (the default in tests) freezes time at the start instant
    until :meth:`advance` moves it; otherwise it follows the wall clock,
    plus whatever :meth:`advance` added.
    """

    def __init__(self, *, manual: bool = True, start: float | None = None) -> None:
        self.manual = manual
        self._start = time.time() if start is None else start
        self._offset = 0.0

    def now(self) -> float:
        if self.manual:
            return self._start + self._offset
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds


@attrs.define(kw_only=True)
class StoredMedia:
    sid: str
    parent_sid: str
    account_sid: str
    url: str
    content_type: str
    created: float

    def to_json(self) -> dict[str, Any]:
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.parent_sid}/Media/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "content_type": self.content_type,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.created),
            "parent_sid": self.parent_sid,
            "sid": self.sid,
            "uri": base + ".json",
        }


@attrs.define(kw_only=True)
class StoredMessage:
    """A message as the sandbox keeps it; ``to_json`` renders Twilio's resource."""

    seq: int
    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status: str
    direction: str = "outbound-api"
    messaging_service_sid: str | None = None
    num_segments: int = 1
    media: list[StoredMedia] = attrs.Factory(list)
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    created: float = 0.0
    updated: float = 0.0
    sent: float | None = None
    send_at: float | None = None
    status_callback: str | None = None
    provide_feedback: bool = False
    feedback: dict[str, Any] | None = None

    @property
    def uri(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def to_json(self) -> dict[str, Any]:
        base = self.uri.removesuffix(".json")
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": rfc2822(self.created),
            "date_sent": rfc2822(self.sent),
            "date_updated": rfc2822(self.updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(len(self.media)),
            "num_segments": str(self.num_segments),
            "price": self.price,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": base + "/Media.json", "feedback": base + "/Feedback.json"},
            "to": self.to,
            "uri": self.uri,
        }


@attrs.frozen
class SandboxRequest:
    method: str
    path: str
    query: Sequence[tuple[str, str]]
    form: Sequence[tuple[str, str]]
    headers: Mapping[str, str]


@attrs.frozen
class SandboxResponse:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None
