"""Contract test against Twilio's own OpenAPI spec, read from ../shared (never copied)."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import attrs
import pytest

from twilio_sms_async import Direction, Feedback, FeedbackOutcome, Media, Message, MessageRequest, MessageStatus
from twilio_sms_async._requests import FORM_FIELDS

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai" / "api_v2010_messages.json"
PREFIX = "/2010-04-01/Accounts/{AccountSid}"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.fail(f"Twilio's OpenAPI spec is expected beside the project at {SPEC_PATH}")
    return json.loads(SPEC_PATH.read_text())  # type: ignore[no-any-return]


def schema(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def create_form(spec: dict[str, Any]) -> dict[str, Any]:
    op = spec["paths"][PREFIX + "/Messages.json"]["post"]
    return op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]  # type: ignore[no-any-return]


def test_every_create_parameter_is_a_send_keyword(spec: dict[str, Any]) -> None:
    assert set(create_form(spec)) == set(FORM_FIELDS.values())


def test_sent_parameters_have_compatible_types(spec: dict[str, Any]) -> None:
    hints = typing.get_type_hints(MessageRequest)
    props = create_form(spec)
    for ours, theirs in FORM_FIELDS.items():
        prop = schema(spec, props[theirs])
        hint = str(hints[ours])
        if prop.get("type") == "boolean":
            assert "bool" in hint, ours
        elif prop.get("type") == "integer":
            assert "int" in hint, ours
        elif prop.get("type") == "array":
            assert "tuple[str, ...]" in hint, ours
        elif prop.get("type") == "number":
            assert "float" in hint or "Decimal" in hint, ours
        elif "enum" in prop:
            literal = typing.get_args(typing.get_args(hints[ours])[0])
            assert set(literal) == set(prop["enum"]), ours
        elif prop.get("format") == "date-time":
            assert "datetime" in hint, ours
        else:
            assert prop.get("type") == "string", ours
            assert "str" in hint, ours


def test_update_message_is_covered_by_redact_and_cancel(spec: dict[str, Any]) -> None:
    op = spec["paths"][PREFIX + "/Messages/{Sid}.json"]["post"]
    props = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert set(props) == {"Body", "Status"}
    assert schema(spec, props["Status"])["enum"] == ["canceled"]


def test_list_filters_are_the_ones_we_send(spec: dict[str, Any]) -> None:
    names = {p["name"] for p in spec["paths"][PREFIX + "/Messages.json"]["get"]["parameters"]}
    assert {"To", "From", "DateSent", "DateSent<", "DateSent>", "PageSize", "PageToken", "Page"} <= names
    media = {p["name"] for p in spec["paths"][PREFIX + "/Messages/{MessageSid}/Media.json"]["get"]["parameters"]}
    assert {"DateCreated", "DateCreated<", "DateCreated>", "PageSize"} <= media


@pytest.mark.parametrize(
    ("model", "component", "renames"),
    [
        (Message, "api.v2010.account.message", {"from": "from_"}),
        (Media, "api.v2010.account.message.media", {}),
        (Feedback, "api.v2010.account.message.message_feedback", {}),
    ],
)
def test_every_schema_property_is_modelled(
    spec: dict[str, Any], model: type[Any], component: str, renames: dict[str, str]
) -> None:
    props = spec["components"]["schemas"][component]["properties"]
    fields = {f.name for f in attrs.fields(model)}
    missing = {renames.get(p, p) for p in props} - fields
    assert not missing


@pytest.mark.parametrize(
    ("enum", "component"),
    [
        (MessageStatus, "message_enum_status"),
        (Direction, "message_enum_direction"),
        (FeedbackOutcome, "message_feedback_enum_outcome"),
    ],
)
def test_every_enum_value_is_known(spec: dict[str, Any], enum: type[Any], component: str) -> None:
    values = spec["components"]["schemas"][component]["enum"]
    assert all(enum(v).is_known for v in values)
    assert {m.value for m in enum} == set(values)


def test_spec_example_message_parses(spec: dict[str, Any]) -> None:
    op = spec["paths"][PREFIX + "/Messages.json"]["post"]
    examples = op["responses"]["201"]["content"]["application/json"].get("examples", {})
    assert examples
    for example in examples.values():
        msg = Message.from_json(example["value"])
        assert msg.sid.startswith(("SM", "MM"))
        assert msg.status.is_known
        assert msg.date_created is not None
