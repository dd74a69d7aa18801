"""Signature validation (the facts sheet's vectors), webhook models, TwiML, status ordering."""

from __future__ import annotations

import hashlib
from datetime import datetime
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twilio_sms_async import MessageStatus
from twilio_sms_async.webhooks import (
    Deduplicator,
    InboundMessage,
    InvalidSignatureError,
    MessagingResponse,
    StatusCallback,
    StatusTracker,
    WebhookVerifier,
    compute_signature,
    is_progression,
    public_url,
    validate_signature,
    verify_signature,
)

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
JSON_BODY = b'{"property": "value", "boolean": true}'
BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"


def test_vector_form_request() -> None:
    assert validate_signature(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", TOKEN)


def test_vector_with_port_and_both_port_variants() -> None:
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    # Signed with the port, checked against the URL without it, and the other way round.
    assert validate_signature(URL, PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w=", TOKEN)
    assert validate_signature(with_port, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", TOKEN)


def test_vector_json_body() -> None:
    assert hashlib.sha256(JSON_BODY).hexdigest() == BODY_HASH
    url = f"{URL}&bodySHA256={BODY_HASH}"
    assert validate_signature(url, JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4=", TOKEN)
    assert validate_signature(url, JSON_BODY.decode(), "a9nBmqA0ju/hNViExpshrM61xv4=", TOKEN)


def test_vector_repeated_parameters() -> None:
    pairs = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
    assert validate_signature(URL, pairs, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", TOKEN)
    assert validate_signature(
        URL, {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234"]}, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", TOKEN
    )


def test_vector_hmac_sha256() -> None:
    settings = "key=MyKey,algorithm=HMAC_SHA256"
    good = "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s="
    assert validate_signature(URL, PARAMS, good, TOKEN, signature_settings=settings)
    # The SHA1 signature is not accepted when the header asks for SHA256, nor the reverse.
    assert not validate_signature(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", TOKEN, signature_settings=settings)
    assert not validate_signature(URL, PARAMS, good, TOKEN)
    with pytest.raises(InvalidSignatureError, match="unsupported signature algorithm"):
        verify_signature(URL, PARAMS, good, TOKEN, signature_settings="key=k,algorithm=HMAC_MD5")


@pytest.mark.parametrize(
    ("url", "params", "signature", "reason"),
    [
        ("https://mycompany.com/myapp.php?foo=1&bar=3", PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "does not match"),
        ("http://mycompany.com/myapp.php?foo=1&bar=2", PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "does not match"),
        (URL, {**PARAMS, "Digits": "9999"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "does not match"),
        (URL, {**PARAMS, "Extra": "x"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "does not match"),
        (URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8", "does not match"),
        (URL, PARAMS, "", "no X-Twilio-Signature"),
        (URL, PARAMS, None, "no X-Twilio-Signature"),
        (f"{URL}&bodySHA256={BODY_HASH}", JSON_BODY + b" ", "a9nBmqA0ju/hNViExpshrM61xv4=", "bodySHA256"),
        (f"{URL}&bodySHA256={BODY_HASH}", {"property": "value"}, "a9nBmqA0ju/hNViExpshrM61xv4=", "raw body"),
        (URL, JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4=", "no bodySHA256"),
    ],
)
def test_tampering_is_rejected_with_a_reason(url: str, params: object, signature: str | None, reason: str) -> None:
    assert not validate_signature(url, params, signature, TOKEN)  # type: ignore[arg-type]
    with pytest.raises(InvalidSignatureError, match=reason):
        verify_signature(url, params, signature, TOKEN)  # type: ignore[arg-type]


def test_token_rotation_accepts_any_listed_token() -> None:
    assert validate_signature(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", ["new-token", TOKEN])
    assert not validate_signature(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", ["new-token", "other"])
    assert not validate_signature(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", [])


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(params=st.dictionaries(names, values, max_size=8), token=st.text(min_size=1, max_size=30).filter(str.strip))
def test_round_trip_sign_then_validate(params: dict[str, str], token: str) -> None:
    url = "https://example.com/hook?x=1"
    signature = compute_signature(url, params, token)
    assert validate_signature(url, params, signature, token)
    assert not validate_signature(url + "&y=2", params, signature, token)
    if params:
        name = sorted(params)[0]
        assert not validate_signature(url, {**params, name: params[name] + "!"}, signature, token)


def test_inbound_message_model() -> None:
    form = {
        "MessageSid": "MM" + "a" * 32,
        "SmsSid": "MM" + "a" * 32,
        "AccountSid": "AC" + "b" * 32,
        "From": "+14155550100",
        "To": "+15017122661",
        "Body": "Hello there",
        "NumMedia": "2",
        "NumSegments": "1",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME2",
        "MediaContentType1": "image/png",
        "FromCity": "SAN FRANCISCO",
        "FromState": "CA",
        "FromCountry": "US",
        "ToZip": "94105",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "ProfileName": "Ada",
        "ReferralNumMedia": "0",
    }
    msg = InboundMessage.from_form(form)
    assert msg.body == "Hello there"
    assert msg.from_ == "+14155550100"
    assert [m.content_type for m in msg.media] == ["image/jpeg", "image/png"]
    assert msg.media[1].url.endswith("ME2")
    assert msg.from_geo.city == "SAN FRANCISCO"
    assert msg.to_geo.zip == "94105"
    assert msg.extra == {"ProfileName": "Ada", "ReferralNumMedia": "0"}


def test_status_callback_model() -> None:
    cb = StatusCallback.from_form(
        [
            ("MessageSid", "SM" + "c" * 32),
            ("MessageStatus", "undelivered"),
            ("SmsStatus", "undelivered"),
            ("ErrorCode", "30003"),
            ("To", "+15558675310"),
            ("From", "+15017122661"),
            ("AccountSid", "AC" + "d" * 32),
            ("RawDlrDoneDate", "2311241705"),
            ("ChannelPrefix", "sms"),
        ]
    )
    assert cb.status is MessageStatus.UNDELIVERED
    assert cb.error_code == 30003
    assert cb.raw_dlr_done_date == datetime(2023, 11, 24, 17, 5)
    assert cb.extra == {"ChannelPrefix": "sms"}
    assert cb.dedupe_key == ("SM" + "c" * 32, "undelivered")
    assert StatusCallback.from_form({"MessageSid": "SMx", "MessageStatus": "brand_new"}).status.is_known is False


def test_twiml_is_valid_escaped_xml() -> None:
    xml = str(
        MessagingResponse()
        .message('5 < 6 & "quotes"', media=["https://e.com/a.png?x=1&y=2"], to="+15558675310")
        .redirect("https://e.com/next?a=1&b=2", method="GET")
    )
    root = ElementTree.fromstring(xml.split("?>", 1)[1])
    message = root.find("Message")
    assert message is not None
    assert message.get("to") == "+15558675310"
    assert message.findtext("Body") == '5 < 6 & "quotes"'
    assert message.findtext("Media") == "https://e.com/a.png?x=1&y=2"
    redirect = root.find("Redirect")
    assert redirect is not None
    assert redirect.get("method") == "GET"
    assert str(MessagingResponse()).endswith("<Response />")
    assert MessagingResponse.content_type == "application/xml"
    with pytest.raises(ValueError, match="body or media"):
        MessagingResponse().message()


def test_statuses_never_move_backwards() -> None:
    tracker = StatusTracker()
    sid = "SM" + "e" * 32
    for status in ("queued", "sent", "delivered"):
        assert tracker.update(sid, status)
    assert not tracker.update(sid, "sent")  # a late callback
    assert not tracker.update(sid, "queued")
    assert tracker.get(sid) is MessageStatus.DELIVERED
    assert tracker.update(sid, "read")
    assert is_progression("queued", "failed")
    assert not is_progression("delivered", "undelivered")  # first final status wins
    assert is_progression("sent", "some_new_status")
    assert not is_progression("delivered", "some_new_status")
    small = StatusTracker(max_messages=2)
    for n in range(3):
        small.update(f"SM{n}", "queued")
    assert len(small) == 2
    assert small.get("SM0") is None


def test_public_url_behind_a_proxy() -> None:
    inner = "http://10.0.0.5:8000/twilio/status?x=1"
    headers = {"x-forwarded-proto": "https", "x-forwarded-host": "hooks.example.com, proxy.internal"}
    assert public_url(inner, headers) == inner
    assert public_url(inner, headers, trust_forwarded=True) == "https://hooks.example.com/twilio/status?x=1"
    assert public_url(inner, {}, base_url="https://api.example.com") == "https://api.example.com/twilio/status?x=1"


def test_verifier_dedupes_by_token_then_by_sid_and_status() -> None:
    verifier = WebhookVerifier("tok")
    url = "https://hooks.example.com/status"
    form = {"MessageSid": "SM1", "MessageStatus": "sent"}
    body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    headers = {
        "X-Twilio-Signature": compute_signature(url, form, "tok"),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    first = verifier.verify(method="POST", url=url, headers=headers, body=body)
    again = verifier.verify(method="POST", url=url, headers=headers, body=body)
    assert (first.duplicate, again.duplicate) == (False, True)
    token_headers = {**headers, "I-Twilio-Idempotency-Token": "abc"}
    assert not verifier.verify(method="POST", url=url, headers=token_headers, body=body).duplicate
    assert verifier.verify(method="POST", url=url, headers=token_headers, body=body).duplicate
    with pytest.raises(InvalidSignatureError):
        verifier.verify(method="POST", url=url, headers={**headers, "X-Twilio-Signature": "forged"}, body=body)


def test_get_webhooks_sign_the_url_only() -> None:
    url = "https://hooks.example.com/inbound?Body=hi&From=%2B1555"
    signature = compute_signature(url, None, "tok")
    hook = WebhookVerifier("tok").verify(method="GET", url=url, headers={"X-Twilio-Signature": signature}, body=b"")
    assert dict(hook.form) == {"Body": "hi", "From": "+1555"}


def test_deduplicator_forgets_after_ttl() -> None:
    dedupe = Deduplicator(ttl=10)
    assert not dedupe.seen("k", now=0)
    assert dedupe.seen("k", now=5)
    assert not dedupe.seen("k", now=20)


def test_verifier_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        WebhookVerifier()
