"""``MessageRequest``: one message to send, validated and ready to encode.

``messages.send(**kwargs)`` builds one of these; bulk senders can build them
up front (or hand over plain mappings of the same keywords). Construction
validates everything Twilio would reject for shape alone, so a bad row fails
here with the field named, not as a 400 after a network round trip.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote_plus

import attrs

from ._errors import ValidationError
from ._validation import (
    MAX_BODY_CHARS,
    MAX_MEDIA_URLS,
    body_length,
    check_recipient,
    check_send_at,
    check_sender,
    check_sid,
    check_url,
)

__all__ = ["MessageRequest"]

ContentRetention = Literal["retain", "discard"]
AddressRetention = Literal["retain", "obfuscate"]
RiskCheck = Literal["enable", "disable"]
TrafficType = Literal["free"]
ScheduleType = Literal["fixed"]

_ENUMS: dict[str, frozenset[str]] = {
    "content_retention": frozenset({"retain", "discard"}),
    "address_retention": frozenset({"retain", "obfuscate"}),
    "risk_check": frozenset({"enable", "disable"}),
    "traffic_type": frozenset({"free"}),
    "schedule_type": frozenset({"fixed"}),
}

#: Our keyword -> Twilio's form field, in the order they are encoded.
FORM_FIELDS: dict[str, str] = {
    "to": "To",
    "from_": "From",
    "messaging_service_sid": "MessagingServiceSid",
    "body": "Body",
    "media_url": "MediaUrl",
    "content_sid": "ContentSid",
    "content_variables": "ContentVariables",
    "status_callback": "StatusCallback",
    "application_sid": "ApplicationSid",
    "max_price": "MaxPrice",
    "provide_feedback": "ProvideFeedback",
    "attempt": "Attempt",
    "validity_period": "ValidityPeriod",
    "force_delivery": "ForceDelivery",
    "content_retention": "ContentRetention",
    "address_retention": "AddressRetention",
    "smart_encoded": "SmartEncoded",
    "persistent_action": "PersistentAction",
    "traffic_type": "TrafficType",
    "shorten_urls": "ShortenUrls",
    "schedule_type": "ScheduleType",
    "send_at": "SendAt",
    "send_as_mms": "SendAsMms",
    "risk_check": "RiskCheck",
    "fallback_from": "FallbackFrom",
}


# What urllib's quote_plus leaves alone; everything else ASCII becomes %XX.
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_QUOTE_TABLE = {c: f"%{c:02X}" for c in range(128) if chr(c) not in _SAFE} | {ord(" "): "+"}


def form_quote(value: str) -> str:
    """``quote_plus`` for form values, about twice as fast for the ASCII values every send carries."""
    if value.isascii():
        return value.translate(_QUOTE_TABLE)
    return quote_plus(value)


_KEYWORDS = frozenset(FORM_FIELDS)


def _tuple_of_str(value: str | Sequence[str] | None) -> tuple[str, ...]:
    # A lone URL is a common slip for a one-item list; accept it rather than
    # iterate it character by character.
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _content_variables(value: str | Mapping[str, Any] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)


@attrs.frozen(kw_only=True)
class MessageRequest:
    """Everything CreateMessage accepts, as typed keywords (facts sheet §5).

    ``from_`` or ``messaging_service_sid`` is required, and so is one of
    ``body``, ``media_url`` or ``content_sid``. ``send_at`` (an aware
    datetime) schedules the message; ``schedule_type`` then defaults to
    ``"fixed"``. ``content_variables`` may be a mapping (JSON-encoded here).
    """

    to: str
    from_: str | None = None
    messaging_service_sid: str | None = None
    body: str | None = None
    media_url: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    content_sid: str | None = None
    content_variables: str | None = attrs.field(default=None, converter=_content_variables)
    status_callback: str | None = None
    application_sid: str | None = None
    max_price: Decimal | float | None = None
    provide_feedback: bool | None = None
    attempt: int | None = None
    validity_period: int | None = None
    force_delivery: bool | None = None
    content_retention: ContentRetention | None = None
    address_retention: AddressRetention | None = None
    smart_encoded: bool | None = None
    persistent_action: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    traffic_type: TrafficType | None = None
    shorten_urls: bool | None = None
    schedule_type: ScheduleType | None = None
    send_at: datetime | None = None
    send_as_mms: bool | None = None
    risk_check: RiskCheck | None = None
    fallback_from: str | None = None

    def __attrs_post_init__(self) -> None:
        check_recipient("to", self.to)
        if self.from_ is None and self.messaging_service_sid is None:
            raise ValidationError("from_", "no sender: pass from_= (your Twilio number) or messaging_service_sid=")
        if self.from_ is not None:
            check_sender("from_", self.from_)
            if self.from_ == self.to:
                raise ValidationError("to", "is the same as from_; Twilio rejects sending to the sender (21211)")
        if self.messaging_service_sid is not None:
            check_sid("messaging_service_sid", self.messaging_service_sid, "MG")
        self._check_content()
        self._check_options()

    def _check_content(self) -> None:
        body = self.body
        if body is not None and not isinstance(body, str):
            raise ValidationError("body", f"must be a str, not {type(body).__name__}")
        if not body and not self.media_url and self.content_sid is None:
            raise ValidationError("body", "the message is empty: pass a non-empty body=, media_url= or content_sid=")
        if body and len(body) > MAX_BODY_CHARS // 2 and body_length(body) > MAX_BODY_CHARS:
            raise ValidationError(
                "body",
                f"is {body_length(body)} characters; Twilio's limit is {MAX_BODY_CHARS} "
                "(emoji count as two): split it or send a link",
            )
        if len(self.media_url) > MAX_MEDIA_URLS:
            raise ValidationError(
                "media_url", f"{len(self.media_url)} URLs given; Twilio accepts at most {MAX_MEDIA_URLS}"
            )
        for url in self.media_url:
            check_url("media_url", url)
        if self.content_sid is not None:
            check_sid("content_sid", self.content_sid, "HX")
        if self.content_variables is not None:
            if self.content_sid is None:
                raise ValidationError("content_variables", "needs content_sid= (a Content Template)")
            try:
                parsed = json.loads(self.content_variables)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise ValidationError("content_variables", "must be a mapping or a JSON object string")

    def _check_options(self) -> None:
        if self.status_callback is not None:
            check_url("status_callback", self.status_callback, no_underscore_host=True)
        if self.application_sid is not None:
            check_sid("application_sid", self.application_sid, "AP")
        if self.fallback_from is not None:
            check_sender("fallback_from", self.fallback_from)
        if self.validity_period is not None and not (
            isinstance(self.validity_period, int) and 1 <= self.validity_period <= 36000
        ):
            raise ValidationError("validity_period", "must be a whole number of seconds from 1 to 36000")
        if self.attempt is not None and not (isinstance(self.attempt, int) and self.attempt >= 1):
            raise ValidationError("attempt", "must be a whole number >= 1")
        for name, allowed in _ENUMS.items():
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ValidationError(name, f"{value!r} is not one of {sorted(allowed)}")
        if self.send_at is not None:
            check_send_at(self.send_at)
            if self.messaging_service_sid is None:
                raise ValidationError("send_at", "scheduling needs messaging_service_sid= (Twilio error 35118)")
        elif self.schedule_type is not None:
            raise ValidationError("schedule_type", "needs send_at= (Twilio error 35111)")
        if self.max_price is not None:
            warnings.warn(
                "max_price has had no effect since 2024-06-03; Twilio ignores it",
                DeprecationWarning,
                stacklevel=4,
            )

    def form_pairs(self) -> list[tuple[str, str]]:
        """The form fields Twilio expects: repeated keys for lists, ``true``/``false``, UTC ``SendAt``."""
        pairs: list[tuple[str, str]] = []
        for name, key in FORM_FIELDS.items():
            value = getattr(self, name)
            if value is None or value == ():
                continue
            if isinstance(value, tuple):
                pairs.extend((key, item) for item in value)
            elif isinstance(value, bool):
                pairs.append((key, "true" if value else "false"))
            elif isinstance(value, datetime):
                pairs.append((key, check_send_at(value).strftime("%Y-%m-%dT%H:%M:%SZ")))
            else:
                pairs.append((key, str(value)))
        if self.send_at is not None and self.schedule_type is None:
            pairs.append(("ScheduleType", "fixed"))
        return pairs

    def encode(self) -> bytes:
        """The ``application/x-www-form-urlencoded`` body (byte-identical to ``urlencode``)."""
        return "&".join(f"{key}={form_quote(value)}" for key, value in self.form_pairs()).encode("ascii")

    @classmethod
    def coerce(cls, value: MessageRequest | Mapping[str, Any]) -> MessageRequest:
        """Accept a request or a mapping of :meth:`Messages.send`'s keywords."""
        if isinstance(value, MessageRequest):
            return value
        if isinstance(value, Mapping):
            if "from" in value:
                # ``from`` is what a CSV header or JSON document naturally says.
                value = {("from_" if key == "from" else key): item for key, item in value.items()}
            unknown = value.keys() - _KEYWORDS
            if unknown:
                raise ValidationError(sorted(unknown)[0], f"unknown argument; expected one of {', '.join(FORM_FIELDS)}")
            return cls(**value)
        raise ValidationError("request", f"expected a MessageRequest or a mapping, not {type(value).__name__}")
