"""``client.messages``: every operation on Twilio's Message resource.

Each method validates its arguments first (nothing bad reaches the
network), then makes exactly one request through the client's session and
returns a typed model.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ._bulk import BulkSend, BulkSummary, RequestLike, SendResult
from ._errors import SenderQueueFullError, ValidationError
from ._jobs import SharedJob
from ._journal import Journal
from ._media import MediaResource
from ._models import Feedback, FeedbackOutcome, Message
from ._pagination import AsyncPaginator, format_list_date, page_size_param
from ._partition import PartitionedListing, day_windows
from ._redaction import logger, mask_phone
from ._requests import (
    AddressRetention,
    ContentRetention,
    MessageRequest,
    RiskCheck,
    ScheduleType,
    TrafficType,
)
from ._retry import OutcomeUnknownError, RetryPolicy, call_with_retry
from ._validation import check_recipient, check_sender, check_sid

if TYPE_CHECKING:
    import os

    from ._http import HttpSession

__all__ = ["MessagesResource"]

_MESSAGE_SID = ("SM", "MM")
_CLOCK_SKEW = timedelta(minutes=2)


def _matches(message: Message, request: MessageRequest) -> bool:
    if message.to != request.to:
        return False
    if request.from_ is not None and message.from_ not in (None, request.from_):
        return False
    if request.from_ is None and message.messaging_service_sid != request.messaging_service_sid:
        return False
    if request.body:
        return message.body == request.body
    return message.num_media == len(request.media_url)


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
        retry: RetryPolicy | None = None,
        reconcile: bool = False,
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
        return await self.send_request(request, retry=retry, reconcile=reconcile)

    async def send_request(
        self,
        request: MessageRequest | Mapping[str, Any],
        *,
        retry: RetryPolicy | None = None,
        reconcile: bool = False,
    ) -> Message:
        """Send a prepared :class:`MessageRequest` (or a mapping of :meth:`send`'s keywords).

        Retries only what Twilio certainly did not act on (see
        :class:`RetryPolicy`); an ambiguous failure raises
        :class:`OutcomeUnknownError`. With ``reconcile=True`` the client first
        looks for the message (:meth:`find_sent`) and returns it if found,
        else sends once more: opt-in, because a message Twilio accepted but
        has not listed yet would then be sent twice.
        """
        request = MessageRequest.coerce(request)
        try:
            return await self._create(request, retry or self._session.retry)
        except OutcomeUnknownError as unknown:
            if not reconcile:
                raise
            found = await self.find_sent(request, since=unknown.started_at)
            if found is not None:
                logger.info("reconciled an unknown outcome: %s exists", found.sid)
                return found
            return await self._create(request, retry or self._session.retry)

    async def _create(self, request: MessageRequest, policy: RetryPolicy) -> Message:
        session = self._session
        form = request.encode()
        sender = request.from_ or request.messaging_service_sid
        url = self._create_url

        async def attempt() -> Any:
            await session.limiter.acquire(sender)
            return await session.request("POST", url, form=form)

        def learn(error: Exception) -> None:
            if isinstance(error, SenderQueueFullError):
                session.limiter.throttled(sender)
            else:
                session.learn(error)

        def unknown(tries: int, started_at: datetime, error: Exception) -> OutcomeUnknownError:
            return OutcomeUnknownError(
                request, attempt=tries, started_at=started_at, reason=f"{type(error).__name__}: {error}"
            )

        data = await call_with_retry(
            attempt,
            policy=policy,
            idempotent=False,
            label="POST Messages.json",
            stats=session.stats,
            on_error=learn,
            on_unknown=unknown,
        )
        session.limiter.record_success()
        message = Message.from_json(data)
        if logger.isEnabledFor(10):
            logger.debug("created %s to %s status=%s", message.sid, mask_phone(request.to), message.status)
        return message

    def send_many(
        self,
        requests: Iterable[RequestLike] | AsyncIterable[RequestLike],
        *,
        concurrency: int | None = None,
        journal: str | os.PathLike[str] | Journal | None = None,
        defaults: Mapping[str, Any] | None = None,
        retry: RetryPolicy | None = None,
        on_result: Callable[[SendResult], None] | None = None,
        job: SharedJob | None = None,
    ) -> BulkSend:
        """Send every request of a (sync or async, possibly endless) iterable; see :class:`BulkSend`.

        ``requests`` holds :class:`MessageRequest` objects or mappings of
        :meth:`send`'s keywords (``from`` is accepted for ``from_``), merged
        over ``defaults``. At most ``concurrency`` (default: the client's
        ``max_concurrency``) are in flight. ``journal`` is a file path that
        makes the run resumable: rerun with the same input and journal and
        nothing already sent is sent again. ``job`` (a
        ``twilio_sms_async.redis.RedisJob``) shares the run with every
        worker that runs the same input under the same job: they split it
        and none sends an index another claimed.
        """
        return BulkSend(
            self,
            requests,
            concurrency=self._session.max_concurrency if concurrency is None else concurrency,
            journal=journal,
            defaults=defaults,
            retry=retry,
            on_result=on_result,
            job=job,
        )

    async def send_all(
        self,
        requests: Iterable[RequestLike] | AsyncIterable[RequestLike],
        *,
        concurrency: int | None = None,
        journal: str | os.PathLike[str] | Journal | None = None,
        defaults: Mapping[str, Any] | None = None,
        retry: RetryPolicy | None = None,
        on_result: Callable[[SendResult], None] | None = None,
        job: SharedJob | None = None,
    ) -> BulkSummary:
        """Run :meth:`send_many` to the end and return its summary (results go to ``on_result``)."""
        run = self.send_many(
            requests,
            concurrency=concurrency,
            journal=journal,
            defaults=defaults,
            retry=retry,
            on_result=on_result,
            job=job,
        )
        return await run.run_to_end()

    async def find_sent(self, request: MessageRequest, *, since: datetime, scan: int = 200) -> Message | None:
        """Look for a message Twilio created from ``request`` at or after ``since``.

        Lists the newest ``scan`` messages to ``request.to`` and matches
        sender, body (or media count) and creation time, allowing two
        minutes of clock skew. Use it to reconcile an :class:`OutcomeUnknownError`.
        """
        earliest = since - _CLOCK_SKEW
        async for message in self.list(to=request.to, limit=scan):
            created = message.date_created
            if created is not None and created < earliest:
                break
            if _matches(message, request):
                return message
        return None

    async def fetch(self, sid: str, *, retry: RetryPolicy | None = None) -> Message:
        """Fetch one message by its SID (``SM...`` or ``MM...``)."""
        return Message.from_json(await self._session.call("GET", self._url(sid), retry=retry))

    async def redact(self, sid: str, *, retry: RetryPolicy | None = None) -> Message:
        """Erase a message's body on Twilio (UpdateMessage with ``Body=""``)."""
        return Message.from_json(await self._session.call("POST", self._url(sid), form=b"Body=", retry=retry))

    async def cancel(self, sid: str, *, retry: RetryPolicy | None = None) -> Message:
        """Cancel a scheduled message that has not been sent yet (``Status=canceled``)."""
        data = await self._session.call("POST", self._url(sid), form=b"Status=canceled", retry=retry)
        return Message.from_json(data)

    async def delete(self, sid: str, *, retry: RetryPolicy | None = None) -> None:
        """Delete a message's record from the account (Twilio answers 204)."""
        await self._session.call("DELETE", self._url(sid), retry=retry)

    async def submit_feedback(self, sid: str, outcome: FeedbackOutcome | str = FeedbackOutcome.CONFIRMED) -> Feedback:
        """Tell Twilio whether the recipient confirmed delivery (needs ``provide_feedback=True`` at send)."""
        if outcome not in (FeedbackOutcome.CONFIRMED, FeedbackOutcome.UNCONFIRMED):
            raise ValidationError("outcome", f"{outcome!r} is not 'confirmed' or 'unconfirmed'")
        form = urlencode([("Outcome", str(outcome))]).encode("ascii")
        data = await self._session.call("POST", self._url(sid, "/Feedback.json"), form=form)
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
        page_token: str | None = None,
        prefetch: int = 1,
    ) -> AsyncPaginator[Message]:
        """Stream messages, newest first as Twilio returns them; no ``await`` needed.

        Date bounds are inclusive, as Twilio applies them. To resume a long
        listing, pass ``start_uri`` (a page's ``next_page_uri``, which carries
        its filters) or ``page_token`` (its ``PageToken``, with the same
        filters). ``prefetch`` pages are fetched ahead while you work.
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
        if page_token is not None:
            if not page_token or not page_token.isprintable() or "&" in page_token:
                raise ValidationError("page_token", "must be a PageToken value from a page URI")
            params.append(("PageToken", page_token))
        return AsyncPaginator(
            self._session,
            url=self._create_url,
            params=params,
            key="messages",
            parse=Message.from_json,
            limit=limit,
            start_uri=start_uri,
            prefetch=prefetch,
        )

    def list_partitioned(
        self,
        *,
        date_sent_after: date,
        date_sent_before: date,
        to: str | None = None,
        from_: str | None = None,
        windows: int = 8,
        concurrency: int | None = None,
        ordered: bool = False,
        page_size: int = 1000,
        buffer_pages: int = 4,
    ) -> PartitionedListing[Message]:
        """List a long date range as up to ``windows`` whole-day windows at once; see :class:`PartitionedListing`.

        Use as ``async with client.messages.list_partitioned(...) as messages:``.
        Every message sent in ``[date_sent_after, date_sent_before]``
        (inclusive GMT days) comes exactly once.
        """
        if isinstance(date_sent_after, datetime) or isinstance(date_sent_before, datetime):
            raise ValidationError("date_sent_after", "partitions are whole days: pass dates, not datetimes")
        spans = day_windows(date_sent_after, date_sent_before, windows)

        def listing(first: date, last: date) -> AsyncPaginator[Message]:
            return self.list(
                to=to, from_=from_, date_sent_after=first, date_sent_before=last, page_size=page_size, prefetch=1
            )

        return PartitionedListing(
            spans,
            listing,
            concurrency=concurrency or len(spans),
            ordered=ordered,
            buffer_pages=buffer_pages,
        )
