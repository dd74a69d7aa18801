"""Bad input fails before any network call, naming the field and the fix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from twilio_sms_async import AsyncClient, MessageRequest, ValidationError

from .conftest import SERVICE_SID

OK: dict[str, Any] = {"to": "+15558675310", "from_": "+15017122661", "body": "hi"}
SOON = timedelta(hours=1)


def later(delta: timedelta) -> datetime:
    return datetime.now(UTC) + delta


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"to": "5558675310"}, "to", "not an E.164 phone number"),
        ({"to": "+1 (555) 867-5310"}, "to", "remove the punctuation: '+15558675310'"),
        ({"to": "555-867-5310"}, "to", "start with '+' and the country code"),
        ({"to": ""}, "to", "a recipient is required"),
        ({"to": "+0123456"}, "to", "not an E.164"),
        ({"to": "+1234567890123456"}, "to", "not an E.164"),
        ({"to": "whatsapp:5558675310"}, "to", "WhatsApp address"),
        ({"to": "telegram:+15558675310"}, "to", "unknown channel 'telegram'"),
        ({"to": "+15017122661"}, "to", "same as from_"),
        ({"from_": None}, "from_", "no sender: pass from_="),
        ({"from_": "not a number!"}, "from_", "is not an E.164 number"),
        ({"from_": "+1 501 712 2661"}, "from_", "remove the punctuation"),
        ({"from_": "TooLongSenderID"}, "from_", "alphanumeric sender ID"),
        ({"from_": None, "messaging_service_sid": "MG123"}, "messaging_service_sid", "is not a SID"),
        ({"body": ""}, "body", "the message is empty"),
        ({"body": None}, "body", "the message is empty"),
        ({"body": "x" * 1601}, "body", "is 1601 characters; Twilio's limit is 1600"),
        ({"body": "\N{GRINNING FACE}" * 801}, "body", "is 1602 characters"),
        ({"body": 42}, "body", "must be a str"),
        ({"media_url": [f"https://e.com/{i}.jpg" for i in range(11)]}, "media_url", "at most 10"),
        ({"media_url": ["not a url"]}, "media_url", "not an absolute http(s) URL"),
        ({"media_url": ["ftp://e.com/a.jpg"]}, "media_url", "not an absolute"),
        ({"content_sid": "HX1"}, "content_sid", "is not a SID"),
        ({"content_variables": {"1": "x"}}, "content_variables", "needs content_sid"),
        ({"content_sid": "HX" + "0" * 32, "content_variables": "[1]"}, "content_variables", "JSON object"),
        ({"status_callback": "https://my_host.example.com/cb"}, "status_callback", "contains '_'"),
        ({"status_callback": "/relative"}, "status_callback", "not an absolute"),
        ({"application_sid": "AP"}, "application_sid", "is not a SID"),
        ({"validity_period": 0}, "validity_period", "1 to 36000"),
        ({"validity_period": 36001}, "validity_period", "1 to 36000"),
        ({"attempt": 0}, "attempt", ">= 1"),
        ({"content_retention": "forever"}, "content_retention", "not one of"),
        ({"risk_check": "off"}, "risk_check", "not one of"),
        ({"schedule_type": "fixed"}, "schedule_type", "needs send_at"),
        ({"send_at": later(SOON)}, "send_at", "needs messaging_service_sid"),
        ({"messaging_service_sid": SERVICE_SID, "send_at": datetime.now() + SOON}, "send_at", "is naive"),
        ({"messaging_service_sid": SERVICE_SID, "send_at": later(timedelta(minutes=5))}, "send_at", "outside"),
        ({"messaging_service_sid": SERVICE_SID, "send_at": later(timedelta(days=36))}, "send_at", "outside"),
        ({"fallback_from": "nope!"}, "fallback_from", "is not an E.164"),
    ],
)
async def test_each_rule_names_the_field_and_nothing_is_sent(
    client: AsyncClient, mock_api: respx.MockRouter, changes: dict[str, Any], field: str, fragment: str
) -> None:
    route = mock_api.post("/Messages.json")
    with pytest.raises(ValidationError) as info:
        await client.messages.send(**{**OK, **changes})
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert fragment in str(info.value)
    assert not route.called


@pytest.mark.parametrize(
    "changes",
    [
        {"to": "whatsapp:+15558675310", "from_": "whatsapp:+15017122661"},
        {"from_": "MyBrand"},
        {"from_": "ACME Co"},
        {"from_": "12345"},
        {"from_": None, "messaging_service_sid": SERVICE_SID},
        {"body": None, "media_url": "https://example.com/cat.gif"},
        {"body": "", "content_sid": "HX" + "0" * 32},
        {"body": "x" * 1600},
        {"body": "\N{GRINNING FACE}" * 800},
        {"media_url": [f"https://e.com/{i}.jpg" for i in range(10)]},
        # Offsets, not times: parameters are built at collection, and a slow
        # suite must not age "16 minutes from now" below the 15-minute floor.
        {"messaging_service_sid": SERVICE_SID, "send_at": timedelta(minutes=16)},
        {"messaging_service_sid": SERVICE_SID, "send_at": timedelta(days=34)},
        {"to": "messenger:1234567890", "from_": "messenger:9876543210"},
    ],
)
def test_valid_requests_pass(changes: dict[str, Any]) -> None:
    changes = {k: later(v) if isinstance(v, timedelta) else v for k, v in changes.items()}
    request = MessageRequest(**{**OK, **changes})
    assert request.to == changes.get("to", OK["to"])


def test_a_lone_media_url_string_is_one_url() -> None:
    request = MessageRequest(**{**OK, "media_url": "https://example.com/a.jpg"})
    assert request.media_url == ("https://example.com/a.jpg",)


def test_max_price_warns_it_is_obsolete() -> None:
    with pytest.warns(DeprecationWarning, match="no effect since 2024-06-03"):
        request = MessageRequest(**OK, max_price=0.5)
    assert ("MaxPrice", "0.5") in request.form_pairs()


@given(st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True))
def test_every_e164_number_is_accepted(number: str) -> None:
    assert MessageRequest(to=number, from_="MyBrand", body="x").to == number


def _could_be_valid(value: str) -> bool:
    e164 = value.startswith("+") and value[1:].isascii() and value[1:].isdigit()
    return e164 or re.fullmatch(r"[a-z]+:.+", value, flags=re.DOTALL) is not None


@given(st.text(max_size=20).filter(lambda s: not _could_be_valid(s)))
def test_anything_else_without_a_channel_is_rejected_as_to(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        MessageRequest(to=value, from_="MyBrand", body="x")
    assert info.value.field == "to"


@given(st.text(min_size=1, max_size=1600))
def test_body_within_limit_round_trips_through_form_encoding(body: str) -> None:
    from urllib.parse import parse_qsl

    if len(body.encode("utf-16-le")) // 2 > 1600:
        with pytest.raises(ValidationError):
            MessageRequest(**{**OK, "body": body})
        return
    decoded = dict(parse_qsl(MessageRequest(**{**OK, "body": body}).encode().decode(), keep_blank_values=True))
    assert decoded["Body"] == body


@given(st.lists(st.tuples(st.sampled_from(["To", "Body", "MediaUrl"]), st.text(max_size=50)), max_size=6))
def test_form_quote_matches_urlencode(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    from twilio_sms_async._requests import form_quote

    assert "&".join(f"{k}={form_quote(v)}" for k, v in pairs) == urlencode(pairs)
