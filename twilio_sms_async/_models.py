"""Typed, immutable views of Twilio's JSON resources.

Every model keeps the JSON it came from in ``raw``, so a field Twilio adds
tomorrow is reachable today. Enums accept values they do not list (Twilio
adds statuses without notice): an unknown value becomes a member whose
``is_known`` is False instead of an exception in the middle of a send.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

import attrs

__all__ = [
    "Direction",
    "Feedback",
    "FeedbackOutcome",
    "Media",
    "Message",
    "MessageStatus",
]


class _OpenStrEnum(enum.StrEnum):
    """A string enum that admits values it does not list."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper().replace("-", "_")
        member._value_ = value
        # Cached so the same unknown value is the same object every time.
        cls._value2member_map_[value] = member
        return member

    @property
    def is_known(self) -> bool:
        """False for a value Twilio sent that this version of the library does not list."""
        return self._name_ in type(self).__members__


class MessageStatus(_OpenStrEnum):
    """A message's delivery status (facts sheet §7)."""

    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    PARTIALLY_DELIVERED = "partially_delivered"
    CANCELED = "canceled"
    RECEIVING = "receiving"
    RECEIVED = "received"

    @property
    def is_final(self) -> bool:
        """True once the status will not change except to ``read``."""
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.READ,
        MessageStatus.CANCELED,
        MessageStatus.RECEIVED,
    }
)


class Direction(_OpenStrEnum):
    """Which way a message went."""

    INBOUND = "inbound"
    OUTBOUND_API = "outbound-api"
    OUTBOUND_CALL = "outbound-call"
    OUTBOUND_REPLY = "outbound-reply"


class FeedbackOutcome(_OpenStrEnum):
    """Whether the recipient confirmed they got the message."""

    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"


_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}  # noqa: SIM905


def parse_rfc2822(value: str | None) -> datetime | None:
    """Parse Twilio's ``Thu, 24 Aug 2023 05:01:45 +0000`` into an aware datetime.

    Twilio always sends this exact GMT shape, so it is sliced directly (about
    ten times cheaper than :mod:`email.utils`, and a send parses three of
    them); anything else falls back to the general parser.
    """
    if not value:
        return None
    parts = value.split()
    if len(parts) == 6 and parts[5] in ("+0000", "GMT", "-0000") and len(parts[4]) == 8:
        try:
            hh, mm, ss = parts[4].split(":")
            return datetime(int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(hh), int(mm), int(ss), tzinfo=UTC)
        except (KeyError, ValueError):
            pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _opt_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@attrs.frozen(kw_only=True)
class Message:
    """A Message resource (facts sheet §6).

    ``from_`` is Twilio's ``from``; ``price`` is negative for charges and may
    arrive after the send; ``error_code`` is set on ``failed``/``undelivered``.
    """

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status: MessageStatus
    direction: Direction | None
    messaging_service_sid: str | None = None
    num_segments: int = 0
    num_media: int = 0
    price: Decimal | None = None
    price_unit: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    date_sent: datetime | None = None
    api_version: str | None = None
    uri: str | None = None
    subresource_uris: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        """Build from Twilio's JSON, tolerating nulls and fields it does not know."""
        get = data.get
        direction = get("direction")
        return cls(
            sid=str(get("sid") or ""),
            account_sid=str(get("account_sid") or ""),
            to=str(get("to") or ""),
            from_=_str(get("from")),
            body=str(get("body") or ""),
            status=MessageStatus(get("status") or "queued"),
            direction=Direction(direction) if direction else None,
            messaging_service_sid=get("messaging_service_sid"),
            num_segments=_int(get("num_segments")),
            num_media=_int(get("num_media")),
            price=_decimal(get("price")),
            price_unit=get("price_unit"),
            error_code=_opt_int(get("error_code")),
            error_message=get("error_message"),
            date_created=parse_rfc2822(get("date_created")),
            date_updated=parse_rfc2822(get("date_updated")),
            date_sent=parse_rfc2822(get("date_sent")),
            api_version=get("api_version"),
            uri=get("uri"),
            subresource_uris=get("subresource_uris") or {},
            raw=data,
        )


@attrs.frozen(kw_only=True)
class Media:
    """A media item attached to a message (MMS)."""

    sid: str
    account_sid: str
    parent_sid: str
    content_type: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    uri: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Media:
        get = data.get
        return cls(
            sid=str(get("sid") or ""),
            account_sid=str(get("account_sid") or ""),
            parent_sid=str(get("parent_sid") or ""),
            content_type=get("content_type"),
            date_created=parse_rfc2822(get("date_created")),
            date_updated=parse_rfc2822(get("date_updated")),
            uri=get("uri"),
            raw=data,
        )


@attrs.frozen(kw_only=True)
class Feedback:
    """Delivery feedback recorded for a message sent with ``provide_feedback=True``."""

    account_sid: str
    message_sid: str
    outcome: FeedbackOutcome
    date_created: datetime | None = None
    date_updated: datetime | None = None
    uri: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Feedback:
        get = data.get
        return cls(
            account_sid=str(get("account_sid") or ""),
            message_sid=str(get("message_sid") or ""),
            outcome=FeedbackOutcome(get("outcome") or "unconfirmed"),
            date_created=parse_rfc2822(get("date_created")),
            date_updated=parse_rfc2822(get("date_updated")),
            uri=get("uri"),
            raw=data,
        )
