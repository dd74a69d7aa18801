"""Input checks that run before anything touches the network.

Each check raises :class:`ValidationError` naming the argument as the caller
spelled it and saying how to fix it. The numbers Twilio documents loosely
(the scheduling window, the channel prefixes) are module constants so they
can follow Twilio without touching the logic.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from ._errors import ValidationError

__all__ = [
    "CHANNEL_PREFIXES",
    "MAX_BODY_CHARS",
    "MAX_MEDIA_URLS",
    "SEND_AT_MAX_LEAD",
    "SEND_AT_MIN_LEAD",
    "check_recipient",
    "check_sender",
    "check_sid",
    "check_url",
]

#: Twilio counts in UTF-16 code units: an emoji costs two of these 1,600.
MAX_BODY_CHARS = 1600
MAX_MEDIA_URLS = 10
#: Twilio's pages have said 5 and 15 minutes over time; 15 is the safe floor.
SEND_AT_MIN_LEAD = timedelta(minutes=15)
SEND_AT_MAX_LEAD = timedelta(days=35)
#: Channel address prefixes accepted on To/From (``whatsapp:+1...``).
CHANNEL_PREFIXES = frozenset({"whatsapp", "messenger", "rcs", "sim"})

_E164_RE = re.compile(r"\+[1-9][0-9]{1,14}")
_SHORT_CODE_RE = re.compile(r"[0-9]{3,8}")
# Alphanumeric sender IDs: up to 11 letters, digits and spaces, with a letter.
_ALPHA_SENDER_RE = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ._&+-]{1,11}")
_CHANNEL_RE = re.compile(r"([a-z]+):(.+)")
_LOOSE_PHONE_RE = re.compile(r"\+?[0-9 ().-]{7,25}")


def _e164_hint(value: str) -> str:
    if _LOOSE_PHONE_RE.fullmatch(value):
        digits = re.sub(r"[^0-9]", "", value)
        if value.startswith("+") and _E164_RE.fullmatch("+" + digits):
            return f"; remove the punctuation: {'+' + digits!r}"
        return "; start with '+' and the country code, e.g. '+1' for the US"
    return ""


def check_recipient(field: str, value: object) -> str:
    """A ``To`` address: E.164 or a channel address such as ``whatsapp:+15558675310``."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "a recipient is required: an E.164 number like '+15558675310'")
    if _E164_RE.fullmatch(value):
        return value
    channel = _CHANNEL_RE.fullmatch(value)
    if channel:
        return _check_channel(field, value, channel.group(1), channel.group(2))
    raise ValidationError(
        field,
        f"{value!r} is not an E.164 phone number like '+15558675310' "
        f"or a channel address like 'whatsapp:+15558675310'{_e164_hint(value)}",
    )


def check_sender(field: str, value: object) -> str:
    """A ``From`` address: E.164, short code, alphanumeric sender ID, or channel address."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "must be a non-empty string")
    if _E164_RE.fullmatch(value) or _SHORT_CODE_RE.fullmatch(value):
        return value
    channel = _CHANNEL_RE.fullmatch(value)
    if channel:
        return _check_channel(field, value, channel.group(1), channel.group(2))
    if _ALPHA_SENDER_RE.fullmatch(value) and not _LOOSE_PHONE_RE.fullmatch(value):
        return value
    raise ValidationError(
        field,
        f"{value!r} is not an E.164 number like '+15017122661', a short code, "
        f"an alphanumeric sender ID (up to 11 characters), or a channel address{_e164_hint(value)}",
    )


def _check_channel(field: str, value: str, prefix: str, address: str) -> str:
    if prefix not in CHANNEL_PREFIXES:
        known = ", ".join(sorted(CHANNEL_PREFIXES))
        raise ValidationError(field, f"{value!r}: unknown channel {prefix!r}; known channels are {known}")
    if prefix == "whatsapp" and not _E164_RE.fullmatch(address):
        raise ValidationError(field, f"{value!r}: a WhatsApp address is 'whatsapp:' and an E.164 number")
    return value


def check_sid(field: str, value: object, prefixes: str | tuple[str, ...]) -> str:
    """A Twilio SID: a two-letter prefix and 32 hex digits."""
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    if (
        isinstance(value, str)
        and len(value) == 34
        and value[:2] in prefixes
        and all(c in "0123456789abcdefABCDEF" for c in value[2:])
    ):
        return value
    expected = " or ".join(repr(p) for p in prefixes)
    shown = repr(value) if isinstance(value, str) and len(value) <= 40 else type(value).__name__
    raise ValidationError(field, f"{shown} is not a SID: expected {expected} followed by 32 hex digits")


def check_url(field: str, value: object, *, no_underscore_host: bool = False) -> str:
    """An absolute http(s) URL with a host."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "must be an absolute http(s) URL")
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ValidationError(field, f"{value!r} is not an absolute http(s) URL")
    if no_underscore_host and "_" in url.host:
        raise ValidationError(field, f"host {url.host!r} contains '_', which Twilio rejects in callback hosts")
    return value


def body_length(body: str) -> int:
    """Length as Twilio counts it: UTF-16 code units."""
    if body.isascii():
        return len(body)
    return len(body.encode("utf-16-le")) // 2


def check_send_at(value: object, *, now: datetime | None = None) -> datetime:
    """An aware datetime inside Twilio's scheduling window, returned in UTC."""
    if not isinstance(value, datetime):
        raise ValidationError("send_at", "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("send_at", "is naive; pass an aware datetime, e.g. datetime(..., tzinfo=timezone.utc)")
    when = value.astimezone(UTC)
    now = now or datetime.now(UTC)
    if when < now + SEND_AT_MIN_LEAD or when > now + SEND_AT_MAX_LEAD:
        raise ValidationError(
            "send_at",
            f"{when:%Y-%m-%dT%H:%M:%SZ} is outside Twilio's scheduling window: "
            f"at least {int(SEND_AT_MIN_LEAD.total_seconds() // 60)} minutes and "
            f"at most {SEND_AT_MAX_LEAD.days} days from now",
        )
    return when
