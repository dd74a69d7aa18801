"""``client.messages``: every operation on Twilio's Message resource.

Each method validates its arguments first (nothing bad reaches the
network), then makes exactly one request through the client's session and
returns a typed model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ._errors import ValidationError
from ._media import MediaResource
from ._models import Feedback, FeedbackOutcome, Message
from ._pagination import AsyncPaginator, format_list_date, page_size_param
from ._redaction import logger, mask_phone
from ._requests import (
    AddressRetention,
    ContentRetention,
    MessageRequest,
    RiskCheck,
    ScheduleType,
    TrafficType,
)
from ._validation import check_recipient, check_sender, check_sid

if TYPE_CHECKING:
    from ._http import HttpSession

__all__ = ["MessagesResource"]

_MESSAGE_SID = ("SM", "MM")


class MessagesResource:
    """Send, fetch, list, redact, cancel and delete messages; ``.media`` for their media."""

    def __init__(self, session: HttpSession, account_sid: str) -> None:
        self._session = session
        self._base = f"{session.base_url}/2010-04-01/Accounts/{account_sid}/Messages"
        self._create_url = self._base + ".json"
        self.media = MediaResource(session, self._base)

    def _url(self, sid: str, suffix: str = ".json") -> str:
        return f"{self._base}/{check_sid('sid', sid, _MESSAGE_SID)}{suffix}"

    async def send(
        self,
        *,
        to: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        body: str | None = None,
        media_url: str | Sequence[str] | None = None,
        content_sid: str | None = None,
        content_variables: str | Mapping[str, Any] | None = None,
        status_callback: str | None = None,
        application_sid: str | None = None,
        max_price: Decimal | float | None = None,
        provide_feedback: bool | None = None,
        attempt: int | None = None,
        validity_period: int | None = None,
        force_delivery: bool | None = None,
        content_retention: ContentRetention | None = None,
        address_retention: AddressRetention | None = None,
        smart_encoded: bool | None = None,
        persistent_action: str | Sequence[str] | None = None,
        traffic_type: TrafficType | None = None,
        shorten_urls: bool | None = None,
        schedule_type: ScheduleType | None = None,
        send_at: datetime | None = None,
        send_as_mms: bool | None = None,
        risk_check: RiskCheck | None = None,
        fallback_from: str | None = None,
    ) -> Message:
        """Send an SMS, MMS, template or scheduled message; see :class:`MessageRequest`.

        Raises :class:`ValidationError` before any network call for bad input,
        an :class:`APIError` subclass when Twilio refuses, and a
        :class:`TransportError` when no answer arrived (check
        ``request_sent`` before sending again: the message may exist).
        """
        request = MessageRequest(
            to=to,
            from_=from_,
            messaging_service_sid=messaging_service_sid,
            body=body,
            media_url=media_url,
            content_sid=content_sid,
            content_variables=content_variables,
            status_callback=status_callback,
            application_sid=application_sid,
            max_price=max_price,
            provide_feedback=provide_feedback,
            attempt=attempt,
            validity_period=validity_period,
            force_delivery=force_delivery,
            content_retention=content_retention,
            address_retention=address_retention,
            smart_encoded=smart_encoded,
            persistent_action=persistent_action,
            traffic_type=traffic_type,
            shorten_urls=shorten_urls,
            schedule_type=schedule_type,
            send_at=send_at,
            send_as_mms=send_as_mms,
            risk_check=risk_check,
            fallback_from=fallback_from,
        )
        return await self.send_request(request)

    async def send_request(self, request: MessageRequest | Mapping[str, Any]) -> Message:
        """Send a prepared :class:`MessageRequest` (or a mapping of :meth:`send`'s keywords)."""
        request = MessageRequest.coerce(request)
        data = await self._session.request("POST", self._create_url, form=request.encode())
        message = Message.from_json(data)
        if logger.isEnabledFor(10):
            logger.debug("created %s to %s status=%s", message.sid, mask_phone(request.to), message.status)
        return message

    async def fetch(self, sid: str) -> Message:
        """Fetch one message by its SID (``SM...`` or ``MM...``)."""
        return Message.from_json(await self._session.request("GET", self._url(sid)))

    async def redact(self, sid: str) -> Message:
        """Erase a message's body on Twilio (UpdateMessage with ``Body=""``)."""
        data = await self._session.request("POST", self._url(sid), form=b"Body=")
        return Message.from_json(data)

    async def cancel(self, sid: str) -> Message:
        """Cancel a scheduled message that has not been sent yet (``Status=canceled``)."""
        data = await self._session.request("POST", self._url(sid), form=b"Status=canceled")
        return Message.from_json(data)

    async def delete(self, sid: str) -> None:
        """Delete a message's record from the account (Twilio answers 204)."""
        await self._session.request("DELETE", self._url(sid))

    async def submit_feedback(self, sid: str, outcome: FeedbackOutcome | str = FeedbackOutcome.CONFIRMED) -> Feedback:
        """Tell Twilio whether the recipient confirmed delivery (needs ``provide_feedback=True`` at send)."""
        if outcome not in (FeedbackOutcome.CONFIRMED, FeedbackOutcome.UNCONFIRMED):
            raise ValidationError("outcome", f"{outcome!r} is not 'confirmed' or 'unconfirmed'")
        form = urlencode([("Outcome", str(outcome))]).encode("ascii")
        data = await self._session.request("POST", self._url(sid, "/Feedback.json"), form=form)
        return Feedback.from_json(data)

    def list(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        date_sent: date | datetime | None = None,
        date_sent_before: date | datetime | None = None,
        date_sent_after: date | datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        start_uri: str | None = None,
    ) -> AsyncPaginator[Message]:
        """Stream messages, newest first as Twilio returns them; no ``await`` needed.

        Date bounds are inclusive, as Twilio applies them. ``start_uri``
        resumes from a ``next_page_uri`` saved from an earlier run (the
        filters are then taken from that URI).
        """
        params: list[tuple[str, str]] = []
        if to is not None:
            params.append(("To", check_recipient("to", to)))
        if from_ is not None:
            params.append(("From", check_sender("from_", from_)))
        for key, field, value in (
            ("DateSent", "date_sent", date_sent),
            ("DateSent<", "date_sent_before", date_sent_before),
            ("DateSent>", "date_sent_after", date_sent_after),
        ):
            if value is not None:
                params.append((key, format_list_date(field, value)))
        params.append(("PageSize", str(page_size_param(page_size, limit))))
        return AsyncPaginator(
            self._session,
            url=self._create_url,
            params=params,
            key="messages",
            parse=Message.from_json,
            limit=limit,
            start_uri=start_uri,
        )
