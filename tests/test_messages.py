"""Every Messages operation: method, URL, auth, form body, and the parsed result."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from twilio_sms_async import (
    AsyncClient,
    Direction,
    FeedbackOutcome,
    MessageRequest,
    MessageStatus,
    ValidationError,
)

from .conftest import ACCOUNT_SID, AUTH_TOKEN, BASE, MEDIA_SID, MESSAGE_SID, SERVICE_SID, message_json

EXPECTED_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


def form(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode(), keep_blank_values=True)


async def test_send_sms_posts_form_and_parses_message(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/Messages.json").respond(201, json=message_json(price="-0.00750"))

    msg = await client.messages.send(to="+15558675310", from_="+15017122661", body="Hello")

    request = route.calls.last.request
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/Messages.json"
    assert request.headers["Authorization"] == EXPECTED_AUTH
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Accept"] == "application/json"
    assert form(request) == [("To", "+15558675310"), ("From", "+15017122661"), ("Body", "Hello")]
    assert msg.sid == MESSAGE_SID
    assert msg.status is MessageStatus.QUEUED
    assert msg.direction is Direction.OUTBOUND_API
    assert msg.price == Decimal("-0.00750")
    assert msg.num_segments == 1
    assert msg.date_created == datetime(2023, 8, 24, 5, 1, 45, tzinfo=UTC)
    assert msg.date_sent is None
    assert msg.from_ == "+15017122661"


async def test_send_mms_repeats_media_url_and_encodes_every_type(
    client: AsyncClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.post("/Messages.json").respond(201, json=message_json(sid="MM" + "1" * 32, num_media="2"))
    send_at = datetime.now(timezone(timedelta(hours=2))) + timedelta(hours=2)

    msg = await client.messages.send(
        to="+15558675310",
        messaging_service_sid=SERVICE_SID,
        body="Look",
        media_url=["https://example.com/a.jpg", "https://example.com/b.png"],
        status_callback="https://hooks.example.com/status",
        provide_feedback=True,
        smart_encoded=False,
        validity_period=600,
        attempt=2,
        content_retention="discard",
        address_retention="obfuscate",
        risk_check="disable",
        traffic_type="free",
        shorten_urls=True,
        send_as_mms=True,
        persistent_action=["geo:37.787890,-122.391664|375 Beale St"],
        send_at=send_at,
    )

    pairs = form(route.calls.last.request)
    assert [v for k, v in pairs if k == "MediaUrl"] == ["https://example.com/a.jpg", "https://example.com/b.png"]
    values = dict(pairs)
    assert values["MessagingServiceSid"] == SERVICE_SID
    assert values["ProvideFeedback"] == "true"
    assert values["SmartEncoded"] == "false"
    assert values["ShortenUrls"] == "true"
    assert values["SendAsMms"] == "true"
    assert values["ValidityPeriod"] == "600"
    assert values["Attempt"] == "2"
    assert values["ContentRetention"] == "discard"
    assert values["AddressRetention"] == "obfuscate"
    assert values["RiskCheck"] == "disable"
    assert values["TrafficType"] == "free"
    assert values["PersistentAction"] == "geo:37.787890,-122.391664|375 Beale St"
    # SendAt is converted to UTC in Twilio's exact format, and scheduling implies ScheduleType=fixed.
    assert values["SendAt"] == send_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert values["ScheduleType"] == "fixed"
    assert "From" not in values
    assert msg.num_media == 2


async def test_send_content_template_encodes_variables_as_json(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/Messages.json").respond(201, json=message_json(body=""))
    await client.messages.send(
        to="whatsapp:+15558675310",
        from_="whatsapp:+15017122661",
        content_sid="HX" + "a" * 32,
        content_variables={"1": "Ada", "2": "12/1"},
    )
    values = dict(form(route.calls.last.request))
    assert values["ContentSid"] == "HX" + "a" * 32
    assert values["ContentVariables"] == '{"1":"Ada","2":"12/1"}'
    assert values["To"] == "whatsapp:+15558675310"


async def test_send_request_accepts_a_mapping_with_from(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/Messages.json").respond(201, json=message_json())
    await client.messages.send_request({"to": "+15558675310", "from": "+15017122661", "body": "x"})
    assert dict(form(route.calls.last.request))["From"] == "+15017122661"
    with pytest.raises(ValidationError, match="bodyy: unknown argument"):
        MessageRequest.coerce({"to": "+15558675310", "from_": "+15017122661", "bodyy": "x"})


async def test_fetch(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(
        200, json=message_json(status="delivered", date_sent="Thu, 24 Aug 2023 05:01:49 +0000")
    )
    msg = await client.messages.fetch(MESSAGE_SID)
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.headers["Authorization"] == EXPECTED_AUTH
    assert request.content == b""
    assert msg.status is MessageStatus.DELIVERED
    assert msg.date_sent == datetime(2023, 8, 24, 5, 1, 49, tzinfo=UTC)


async def test_redact_sends_an_explicitly_empty_body(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"/Messages/{MESSAGE_SID}.json").respond(200, json=message_json(body=""))
    msg = await client.messages.redact(MESSAGE_SID)
    assert route.calls.last.request.content == b"Body="
    assert form(route.calls.last.request) == [("Body", "")]
    assert msg.body == ""


async def test_cancel_sends_status_canceled(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"/Messages/{MESSAGE_SID}.json").respond(200, json=message_json(status="canceled"))
    msg = await client.messages.cancel(MESSAGE_SID)
    assert form(route.calls.last.request) == [("Status", "canceled")]
    assert msg.status is MessageStatus.CANCELED


async def test_delete_returns_none_on_204(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.delete(f"/Messages/{MESSAGE_SID}.json").respond(204)
    assert await client.messages.delete(MESSAGE_SID) is None
    assert route.calls.last.request.method == "DELETE"
    assert route.calls.last.request.headers["Authorization"] == EXPECTED_AUTH


async def test_feedback(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"/Messages/{MESSAGE_SID}/Feedback.json").respond(
        200,
        json={
            "account_sid": ACCOUNT_SID,
            "message_sid": MESSAGE_SID,
            "outcome": "confirmed",
            "date_created": "Thu, 30 Jul 2015 20:00:00 +0000",
            "date_updated": "Thu, 30 Jul 2015 20:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}/Feedback.json",
        },
    )
    feedback = await client.messages.submit_feedback(MESSAGE_SID, "confirmed")
    assert form(route.calls.last.request) == [("Outcome", "confirmed")]
    assert feedback.outcome is FeedbackOutcome.CONFIRMED
    assert feedback.message_sid == MESSAGE_SID
    with pytest.raises(ValidationError, match="outcome"):
        await client.messages.submit_feedback(MESSAGE_SID, "maybe")


def media_json(sid: str = MEDIA_SID) -> dict[str, str]:
    return {
        "account_sid": ACCOUNT_SID,
        "content_type": "image/jpeg",
        "date_created": "Sun, 16 Aug 2015 15:53:54 +0000",
        "date_updated": "Sun, 16 Aug 2015 15:53:55 +0000",
        "parent_sid": MESSAGE_SID,
        "sid": sid,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}/Media/{sid}.json",
    }


async def test_media_fetch_delete_and_list(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    fetch = mock_api.get(f"/Messages/{MESSAGE_SID}/Media/{MEDIA_SID}.json").respond(200, json=media_json())
    delete = mock_api.delete(f"/Messages/{MESSAGE_SID}/Media/{MEDIA_SID}.json").respond(204)
    listing = mock_api.get(f"/Messages/{MESSAGE_SID}/Media.json").respond(
        200,
        json={"media_list": [media_json()], "next_page_uri": None, "page": 0, "page_size": 50},
    )

    media = await client.messages.media.fetch(MESSAGE_SID, MEDIA_SID)
    assert media.content_type == "image/jpeg"
    assert media.parent_sid == MESSAGE_SID
    assert await client.messages.media.delete(MESSAGE_SID, MEDIA_SID) is None
    items = await client.messages.media.list(MESSAGE_SID, date_created_after=date(2015, 8, 1)).collect(max_items=10)
    assert [m.sid for m in items] == [MEDIA_SID]
    assert fetch.called
    assert delete.called
    assert listing.calls.last.request.url.params["DateCreated>"] == "2015-08-01"


async def test_list_first_page_with_filters(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.get("/Messages.json").respond(
        200,
        json={
            "messages": [message_json(), message_json(sid="SM" + "9" * 32)],
            "next_page_uri": None,
            "page": 0,
            "page_size": 2,
            "uri": "/x",
        },
    )
    after = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))
    got = [
        m.sid
        async for m in client.messages.list(
            to="+15558675310", from_="+15017122661", date_sent_after=after, date_sent_before=date(2024, 2, 1)
        )
    ]
    assert got == [MESSAGE_SID, "SM" + "9" * 32]
    params = route.calls.last.request.url.params
    assert params["To"] == "+15558675310"
    assert params["From"] == "+15017122661"
    assert params["DateSent>"] == "2024-01-02T08:04:05Z"
    assert params["DateSent<"] == "2024-02-01"
    assert params["PageSize"] == "50"
    assert "DateSent%3E=" in str(route.calls.last.request.url)


async def test_operations_reject_malformed_sids_before_sending(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    for call in (
        client.messages.fetch("SMshort"),
        client.messages.redact("XX" + "1" * 32),
        client.messages.cancel("../../Calls"),
        client.messages.delete(""),
        client.messages.media.fetch(MESSAGE_SID, "SM" + "1" * 32),
    ):
        with pytest.raises(ValidationError):
            await call
    assert not mock_api.calls
