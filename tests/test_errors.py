"""Error responses and transport failures become the right typed exceptions."""

from __future__ import annotations

import pickle

import httpx
import pytest
import respx

from twilio_sms_async import (
    NO_RETRY,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    ErrorCode,
    GeoPermissionError,
    InvalidFromNumberError,
    InvalidRequestError,
    InvalidToNumberError,
    NotFoundError,
    NotMobileNumberError,
    PermissionDeniedError,
    RateLimitError,
    RecipientUnsubscribedError,
    SenderNotCapableError,
    SenderQueueFullError,
    ServerError,
    TransportError,
    UnreachableRecipientError,
)

from .conftest import AUTH_TOKEN, BASE, MESSAGE_SID


def twilio_error(code: int, status: int, message: str = "boom") -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, 21211, InvalidToNumberError),
        (400, 21212, InvalidFromNumberError),
        (400, 21408, GeoPermissionError),
        (400, 21606, SenderNotCapableError),
        (400, 21610, RecipientUnsubscribedError),
        (400, 21611, SenderQueueFullError),
        (400, 21612, UnreachableRecipientError),
        (400, 21614, NotMobileNumberError),
        (400, 21617, InvalidRequestError),
        (400, 35114, InvalidRequestError),
        (401, 20003, AuthenticationError),
        (403, 20403, PermissionDeniedError),
        (404, 20404, NotFoundError),
        (429, 20429, RateLimitError),
        (500, 20500, ServerError),
        (503, 20429, RateLimitError),
        (401, 21610, AuthenticationError),
        (502, 21211, ServerError),
        (418, 12345, APIError),
    ],
)
async def test_twilio_json_errors_map_to_types(
    client: AsyncClient, mock_api: respx.MockRouter, status: int, code: int, cls: type[APIError]
) -> None:
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(status, json=twilio_error(code, status, "nope"))
    with pytest.raises(APIError) as info:
        await client.messages.fetch(MESSAGE_SID)
    err = info.value
    assert type(err) is cls
    assert (err.status, err.code, err.message) == (status, code, "nope")
    assert err.more_info == f"https://www.twilio.com/docs/errors/{code}"
    assert err.method == "GET"
    assert err.url == f"{BASE}/Messages/{MESSAGE_SID}.json"
    assert str(code) in str(err)
    assert "nope" in str(err)


async def test_error_codes_are_easy_to_test_for(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    mock_api.post("/Messages.json").respond(400, json=twilio_error(21610, 400, "unsubscribed"))
    with pytest.raises(RecipientUnsubscribedError) as info:
        await client.messages.send(to="+15558675310", from_="+15017122661", body="hi")
    assert info.value.code == ErrorCode.UNSUBSCRIBED == 21610
    assert isinstance(info.value, InvalidRequestError)


async def test_rate_limit_carries_retry_after(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(
        429, json=twilio_error(20429, 429, "Too Many Requests"), headers={"Retry-After": "2.5"}
    )
    with pytest.raises(RateLimitError) as info:
        await client.messages.fetch(MESSAGE_SID, retry=NO_RETRY)
    assert info.value.retry_after == 2.5
    assert info.value.headers["retry-after"] == "2.5"


async def test_error_body_without_code_falls_back_to_status(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(
        404, json={"message": "The requested resource was not found", "status": 404}
    )
    with pytest.raises(NotFoundError) as info:
        await client.messages.fetch(MESSAGE_SID)
    assert info.value.code == 404
    assert info.value.message == "The requested resource was not found"


async def test_rfc9457_problem_body(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(
        400,
        json={
            "type": "https://www.twilio.com/docs/errors/21211",
            "title": "Invalid",
            "status": 400,
            "code": "21211",
            "detail": "bad To",
        },
    )
    with pytest.raises(InvalidToNumberError) as info:
        await client.messages.fetch(MESSAGE_SID)
    assert info.value.code == 21211
    assert info.value.message == "bad To"
    assert info.value.more_info == "https://www.twilio.com/docs/errors/21211"


@pytest.mark.parametrize(
    ("status", "cls"), [(502, ServerError), (401, AuthenticationError), (400, InvalidRequestError)]
)
async def test_non_json_error_body(
    client: AsyncClient, mock_api: respx.MockRouter, status: int, cls: type[APIError]
) -> None:
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(status, text="<html>Bad Gateway</html>")
    with pytest.raises(cls) as info:
        await client.messages.fetch(MESSAGE_SID)
    assert info.value.code == status
    assert "Bad Gateway" in info.value.message


async def test_success_with_non_json_body_is_an_error(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(200, text="<Response/>")
    with pytest.raises(APIError, match="not JSON"):
        await client.messages.fetch(MESSAGE_SID)


@pytest.mark.parametrize(
    ("exc", "cls", "sent"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, False),
        (httpx.ConnectTimeout("slow"), APITimeoutError, False),
        (httpx.PoolTimeout("pool"), APITimeoutError, False),
        (httpx.ReadTimeout("read"), APITimeoutError, True),
        (httpx.WriteTimeout("write"), APITimeoutError, True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), TransportError, True),
        (httpx.ReadError("reset"), TransportError, True),
    ],
)
async def test_transport_failures_say_whether_the_request_may_have_been_sent(
    client: AsyncClient, mock_api: respx.MockRouter, exc: Exception, cls: type[TransportError], sent: bool
) -> None:
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").mock(side_effect=exc)
    with pytest.raises(TransportError) as info:
        await client.messages.fetch(MESSAGE_SID, retry=NO_RETRY)
    assert type(info.value) is cls
    assert info.value.request_sent is sent
    assert info.value.__cause__ is exc
    assert info.value.method == "GET"


async def test_exceptions_pickle_and_hold_no_secret(client: AsyncClient, mock_api: respx.MockRouter) -> None:
    mock_api.get(f"/Messages/{MESSAGE_SID}.json").respond(
        429, json=twilio_error(20429, 429), headers={"Retry-After": "1"}
    )
    with pytest.raises(RateLimitError) as info:
        await client.messages.fetch(MESSAGE_SID, retry=NO_RETRY)
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is RateLimitError
    assert (clone.code, clone.retry_after, str(clone)) == (20429, 1.0, str(info.value))
    assert AUTH_TOKEN not in repr(vars(info.value))
    transport = pickle.loads(pickle.dumps(TransportError("x", method="GET", url="u", request_sent=True)))
    assert (str(transport), transport.request_sent) == ("x (GET u)", True)


async def test_closed_client_refuses_requests(mock_api: respx.MockRouter) -> None:
    client = AsyncClient("AC" + "0" * 32, "token")
    await client.aclose()
    assert client.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.messages.fetch(MESSAGE_SID)
