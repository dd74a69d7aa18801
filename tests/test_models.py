"""Parsing Twilio's JSON into typed models, tolerating what Twilio adds later."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twilio_sms_async import Direction, Message, MessageStatus
from twilio_sms_async._models import parse_rfc2822

from .conftest import message_json


def test_message_fields_have_real_types() -> None:
    msg = Message.from_json(
        message_json(
            price="-0.00750",
            num_segments="3",
            num_media="1",
            error_code=30003,
            error_message="Unreachable destination handset",
            status="undelivered",
            messaging_service_sid="MG" + "3" * 32,
        )
    )
    assert msg.price == Decimal("-0.00750")
    assert (msg.num_segments, msg.num_media, msg.error_code) == (3, 1, 30003)
    assert msg.status is MessageStatus.UNDELIVERED
    assert msg.status.is_final
    assert msg.subresource_uris["media"].endswith("/Media.json")
    assert msg.date_created is not None
    assert msg.date_created.tzinfo is not None


def test_nulls_and_missing_fields_are_tolerated() -> None:
    msg = Message.from_json({"sid": "SM" + "1" * 32, "status": None, "from": None, "num_segments": None, "price": ""})
    assert msg.status is MessageStatus.QUEUED
    assert msg.from_ is None
    assert msg.num_segments == 0
    assert msg.price is None
    assert msg.direction is None
    assert msg.date_created is None


def test_unknown_enum_values_do_not_break_parsing() -> None:
    msg = Message.from_json(message_json(status="quantum_entangled", direction="sideways", brand_new_field=[1, 2]))
    assert msg.status == "quantum_entangled"
    assert isinstance(msg.status, MessageStatus)
    assert not msg.status.is_known
    assert MessageStatus.DELIVERED.is_known
    assert MessageStatus("quantum_entangled") is msg.status
    assert msg.direction == "sideways"
    assert isinstance(msg.direction, Direction)
    # New fields stay reachable through raw.
    assert msg.raw["brand_new_field"] == [1, 2]


def test_models_are_frozen_hashable_and_pickle() -> None:
    msg = Message.from_json(message_json())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        msg.body = "changed"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(msg)) == msg
    assert attrs.evolve(msg, body="x").body == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thu, 24 Aug 2023 05:01:45 +0000", datetime(2023, 8, 24, 5, 1, 45, tzinfo=UTC)),
        ("Mon, 01 Jan 2024 00:00:00 GMT", datetime(2024, 1, 1, tzinfo=UTC)),
        ("Thu, 24 Aug 2023 07:01:45 +0200", datetime(2023, 8, 24, 5, 1, 45, tzinfo=UTC)),
        ("24 Aug 2023 05:01:45 +0000", datetime(2023, 8, 24, 5, 1, 45, tzinfo=UTC)),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_rfc2822_dates(text: str | None, expected: datetime | None) -> None:
    assert parse_rfc2822(text) == expected


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)).map(lambda d: d.replace(microsecond=0))
)
def test_fast_date_path_agrees_with_the_stdlib(value: datetime) -> None:
    from email.utils import format_datetime

    aware = value.replace(tzinfo=UTC)
    text = format_datetime(aware).replace("-0000", "+0000")
    assert parse_rfc2822(text) == aware
    other = format_datetime(aware.astimezone(timezone(timedelta(hours=5, minutes=30))))
    assert parse_rfc2822(other) == aware
