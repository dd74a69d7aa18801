"""The auth token never appears in a repr, log line, exception message or traceback."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest
import respx

from twilio_sms_async import AsyncClient, Credentials, TwilioError

from .conftest import ACCOUNT_SID, AUTH_TOKEN, FAST_RETRY, MESSAGE_SID, message_json

KEY = "SK" + "b" * 32
SECRET = "sup3r-s3cret-api-secret-xyz"


async def test_token_absent_from_reprs_logs_and_errors(
    mock_api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="twilio_sms_async")
    mock_api.post("/Messages.json").respond(201, json=message_json())
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(
        401, json={"code": 20003, "message": "Authenticate", "status": 401}
    )
    mock_api.delete(f"/Messages/{MESSAGE_SID}.json").mock(side_effect=httpx.ReadTimeout("slow"))

    texts: list[str] = []
    async with AsyncClient(ACCOUNT_SID, AUTH_TOKEN, retry=FAST_RETRY) as client:
        texts += [repr(client), str(client), repr(client._credentials), repr(client._session.client.headers)]
        await client.messages.send(to="+15558675310", from_="+15017122661", body="Hello")
        for call in (client.messages.fetch(MESSAGE_SID), client.messages.delete(MESSAGE_SID)):
            with pytest.raises(TwilioError) as info:
                await call
            texts += [str(info.value), repr(info.value), "".join(traceback.format_exception(info.value))]
            texts.append(repr(vars(info.value)))
    texts.append(caplog.text)
    assert caplog.records, "debug logging should have produced lines"
    for text in texts:
        assert AUTH_TOKEN not in text
    # Phone numbers are masked in logs.
    assert "+15558675310" not in caplog.text
    assert "+1555***5310" in caplog.text


def test_api_key_secret_absent_from_repr() -> None:
    client = AsyncClient(ACCOUNT_SID, api_key=KEY, api_secret=SECRET)
    assert SECRET not in repr(client)
    assert KEY in repr(client)
    creds = Credentials(account_sid=ACCOUNT_SID, username=KEY, secret=SECRET)
    assert SECRET not in repr(creds)
    # Equality ignores the secret, so comparisons in logs/asserts never print it.
    assert creds == Credentials(account_sid=ACCOUNT_SID, username=KEY, secret="other")


def test_logger_is_the_library_one_and_root_is_untouched() -> None:
    root_handlers = list(logging.getLogger().handlers)
    AsyncClient(ACCOUNT_SID, AUTH_TOKEN)
    assert logging.getLogger().handlers == root_handlers
    assert logging.getLogger("twilio_sms_async").handlers  # a NullHandler only
