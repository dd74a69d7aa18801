"""What Twilio's webhooks say, as frozen attrs models: inbound messages and status callbacks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from .._models import MessageStatus

__all__ = ["Geo", "InboundMedia", "InboundMessage", "StatusCallback", "parse_raw_dlr_done_date"]

Form = Mapping[str, str] | Sequence[tuple[str, str]]

_INBOUND_KNOWN = {
    "MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "MessagingServiceSid", "From", "To", "Body",
    "NumMedia", "NumSegments", "SmsStatus", "ApiVersion",
    "FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToZip", "ToCountry",
}  # fmt: skip
_STATUS_KNOWN = {
    "MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "MessagingServiceSid", "From", "To",
    "MessageStatus", "SmsStatus", "ErrorCode", "ErrorMessage", "RawDlrDoneDate", "ApiVersion",
}  # fmt: skip


def _as_dict(form: Form) -> dict[str, str]:
    # Repeated names do not occur in these webhooks; the last value wins.
    return dict(form.items()) if isinstance(form, Mapping) else dict(form)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@attrs.frozen(kw_only=True)
class InboundMedia:
    """One attachment of an inbound MMS (fetching the URL needs HTTP Basic auth)."""

    url: str
    content_type: str | None


@attrs.frozen(kw_only=True)
class Geo:
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None


@attrs.frozen(kw_only=True)
class InboundMessage:
    """A message someone sent to your number (Twilio's incoming-message webhook, facts §12).

    ``extra`` keeps every parameter not modelled here (channel extras such as
    WhatsApp's ``ProfileName``), because Twilio adds parameters without notice.
    """

    message_sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    num_media: int = 0
    num_segments: int = 1
    media: tuple[InboundMedia, ...] = ()
    messaging_service_sid: str | None = None
    sms_status: str | None = None
    api_version: str | None = None
    from_geo: Geo = Geo()
    to_geo: Geo = Geo()
    extra: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_form(cls, form: Form) -> InboundMessage:
        values = _as_dict(form)
        num_media = _int(values.get("NumMedia")) or 0
        media = []
        known = set(_INBOUND_KNOWN)
        for i in range(num_media):
            url = values.get(f"MediaUrl{i}")
            known.update((f"MediaUrl{i}", f"MediaContentType{i}"))
            if url:
                media.append(InboundMedia(url=url, content_type=values.get(f"MediaContentType{i}")))
        return cls(
            message_sid=values.get("MessageSid") or values.get("SmsMessageSid") or values.get("SmsSid", ""),
            account_sid=values.get("AccountSid", ""),
            from_=values.get("From", ""),
            to=values.get("To", ""),
            body=values.get("Body", ""),
            num_media=num_media,
            num_segments=_int(values.get("NumSegments")) or 1,
            media=tuple(media),
            messaging_service_sid=values.get("MessagingServiceSid") or None,
            sms_status=values.get("SmsStatus"),
            api_version=values.get("ApiVersion"),
            from_geo=_geo(values, "From"),
            to_geo=_geo(values, "To"),
            extra={k: v for k, v in values.items() if k not in known},
        )


def _geo(values: Mapping[str, str], side: str) -> Geo:
    return Geo(
        city=values.get(f"{side}City") or None,
        state=values.get(f"{side}State") or None,
        zip=values.get(f"{side}Zip") or None,
        country=values.get(f"{side}Country") or None,
    )


def parse_raw_dlr_done_date(value: str | None) -> datetime | None:
    """``RawDlrDoneDate`` (``YYMMDDhhmm``, the carrier's clock, no time zone) as a naive datetime."""
    if not value or len(value) != 10 or not value.isdigit():
        return None
    try:
        return datetime.strptime(value, "%y%m%d%H%M")
    except ValueError:
        return None


@attrs.frozen(kw_only=True)
class StatusCallback:
    """A delivery status change for a message you sent (facts §13)."""

    message_sid: str
    account_sid: str
    status: MessageStatus
    from_: str | None = None
    to: str | None = None
    error_code: int | None = None
    messaging_service_sid: str | None = None
    raw_dlr_done_date: datetime | None = None
    api_version: str | None = None
    extra: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_form(cls, form: Form) -> StatusCallback:
        values = _as_dict(form)
        return cls(
            message_sid=values.get("MessageSid") or values.get("SmsSid", ""),
            account_sid=values.get("AccountSid", ""),
            status=MessageStatus(values.get("MessageStatus") or values.get("SmsStatus") or "queued"),
            from_=values.get("From") or None,
            to=values.get("To") or None,
            error_code=_int(values.get("ErrorCode")),
            messaging_service_sid=values.get("MessagingServiceSid") or None,
            raw_dlr_done_date=parse_raw_dlr_done_date(values.get("RawDlrDoneDate")),
            api_version=values.get("ApiVersion"),
            extra={k: v for k, v in values.items() if k not in _STATUS_KNOWN},
        )

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """``(MessageSid, status)``: the fallback key when there is no idempotency token."""
        return (self.message_sid, str(self.status))
