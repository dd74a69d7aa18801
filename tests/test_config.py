"""Credentials from arguments and environment; the host from edge, region and base_url."""

from __future__ import annotations

import base64
import warnings

import pytest

from twilio_sms_async import AsyncClient, ConfigurationError, RegionOnlyHostWarning, Timeouts
from twilio_sms_async._errors import PaginationError
from twilio_sms_async._hosts import pin_to_host

from .conftest import ACCOUNT_SID, AUTH_TOKEN

KEY = "SK" + "a" * 32
SECRET = "api-secret-value-0987654321"
OTHER_SID = "AC" + "f" * 32


def auth_of(client: AsyncClient) -> str:
    header = client._session._headers["Authorization"]
    return base64.b64decode(header.removeprefix("Basic ")).decode()


@pytest.mark.parametrize(
    ("kwargs", "env", "expected"),
    [
        ({"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}, {}, f"{ACCOUNT_SID}:{AUTH_TOKEN}"),
        ({}, {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}, f"{ACCOUNT_SID}:{AUTH_TOKEN}"),
        (
            {},
            {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_KEY": KEY, "TWILIO_API_SECRET": SECRET},
            f"{KEY}:{SECRET}",
        ),
        # An API key in the environment is preferred over a token there (Twilio's advice).
        (
            {},
            {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_API_KEY": KEY,
                "TWILIO_API_SECRET": SECRET,
            },
            f"{KEY}:{SECRET}",
        ),
        # Arguments win over the environment, as a whole.
        (
            {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
            {"TWILIO_ACCOUNT_SID": OTHER_SID, "TWILIO_API_KEY": KEY, "TWILIO_API_SECRET": SECRET},
            f"{ACCOUNT_SID}:{AUTH_TOKEN}",
        ),
        (
            {"api_key": KEY, "api_secret": SECRET},
            {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
            f"{KEY}:{SECRET}",
        ),
        ({"auth_token": AUTH_TOKEN}, {"TWILIO_ACCOUNT_SID": ACCOUNT_SID}, f"{ACCOUNT_SID}:{AUTH_TOKEN}"),
    ],
)
def test_credentials_resolution(kwargs: dict[str, str], env: dict[str, str], expected: str) -> None:
    client = AsyncClient(**kwargs, env=env)  # type: ignore[arg-type]
    assert auth_of(client) == expected
    assert client.account_sid == (kwargs.get("account_sid") or env["TWILIO_ACCOUNT_SID"])


def test_environment_is_read_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    client = AsyncClient()
    assert client.account_sid == ACCOUNT_SID
    assert client.base_url == "https://api.sydney.au1.twilio.com"


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({}, {}, "account_sid: no Account SID"),
        ({"account_sid": ACCOUNT_SID}, {}, "auth_token: no Auth Token"),
        ({"account_sid": "AC123", "auth_token": "x"}, {}, "account_sid: an Account SID is 'AC'"),
        ({"account_sid": KEY, "auth_token": "x"}, {}, "looks like an API Key SID"),
        ({"account_sid": ACCOUNT_SID, "api_key": "SK12", "api_secret": "x"}, {}, "api_key: an API Key SID is 'SK'"),
        ({"account_sid": ACCOUNT_SID, "api_key": KEY}, {}, "api_secret: an API key was given without its secret"),
        ({"account_sid": ACCOUNT_SID, "api_secret": SECRET}, {}, "api_key: an API secret was given without its key"),
        ({"account_sid": ACCOUNT_SID, "auth_token": " padded "}, {}, "auth_token: contains whitespace"),
        ({}, {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_KEY": KEY}, "api_secret:"),
    ],
)
def test_bad_credentials_are_named(kwargs: dict[str, str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        AsyncClient(**kwargs, env=env)  # type: ignore[arg-type]
    assert " padded " not in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("edge", "region", "env", "host"),
    [
        (None, None, {}, "https://api.twilio.com"),
        ("dublin", "ie1", {}, "https://api.dublin.ie1.twilio.com"),
        ("sydney", "au1", {}, "https://api.sydney.au1.twilio.com"),
        ("ashburn", None, {}, "https://api.ashburn.us1.twilio.com"),
        ("Frankfurt", None, {}, "https://api.frankfurt.us1.twilio.com"),
        (None, "us1", {}, "https://api.us1.twilio.com"),
        (None, None, {"TWILIO_EDGE": "tokyo", "TWILIO_REGION": "jp1"}, "https://api.tokyo.jp1.twilio.com"),
        (None, None, {"TWILIO_EDGE": "singapore"}, "https://api.singapore.us1.twilio.com"),
        ("dublin", None, {"TWILIO_REGION": "ie1"}, "https://api.dublin.ie1.twilio.com"),
        ("roaming", "ie1", {"TWILIO_EDGE": "sydney", "TWILIO_REGION": "au1"}, "https://api.roaming.ie1.twilio.com"),
        ("ashburn-ix", "us1", {}, "https://api.ashburn-ix.us1.twilio.com"),
    ],
)
def test_edge_region_to_host(edge: str | None, region: str | None, env: dict[str, str], host: str) -> None:
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, **env}
    assert AsyncClient(edge=edge, region=region, env=env).base_url == host


@pytest.mark.parametrize(("region", "edge"), [("ie1", "dublin"), ("au1", "sydney")])
def test_region_only_warns_and_uses_deprecated_host(region: str, edge: str) -> None:
    with pytest.warns(RegionOnlyHostWarning, match=f"edge='{edge}'") as record:
        client = AsyncClient(ACCOUNT_SID, AUTH_TOKEN, region=region)
    assert client.base_url == f"https://api.{region}.twilio.com"
    assert record[0].filename == __file__  # the warning points at the caller's line


def test_region_only_from_env_warns_too() -> None:
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_REGION": "ie1"}
    with pytest.warns(RegionOnlyHostWarning):
        AsyncClient(env=env)


def test_us1_alone_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AsyncClient(ACCOUNT_SID, AUTH_TOKEN, region="us1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"edge": "evil.com/"}, "edge: 'evil.com/' is not a host label"),
        ({"region": "ie1 "}, None),
        ({"base_url": "ftp://x"}, "base_url: needs a scheme"),
        ({"base_url": "https://u:p@host"}, "base_url: must not carry"),
        ({"base_url": "http://127.0.0.1:8080", "edge": "dublin"}, "either base_url= or edge="),
        ({"timeout": -1}, "timeout"),
        ({"max_concurrency": 0}, "max_concurrency"),
    ],
)
def test_bad_options(kwargs: dict[str, object], message: str | None) -> None:
    if message is None:
        with pytest.warns(RegionOnlyHostWarning):
            assert AsyncClient(ACCOUNT_SID, AUTH_TOKEN, **kwargs).base_url == "https://api.ie1.twilio.com"  # type: ignore[arg-type]
        return
    with pytest.raises(ConfigurationError, match=message):
        AsyncClient(ACCOUNT_SID, AUTH_TOKEN, **kwargs)  # type: ignore[arg-type]


def test_base_url_override_and_timeouts() -> None:
    client = AsyncClient(ACCOUNT_SID, AUTH_TOKEN, base_url="http://127.0.0.1:8080/", timeout=3)
    assert client.base_url == "http://127.0.0.1:8080"
    assert client._session.client.timeout.read == 3
    client = AsyncClient(ACCOUNT_SID, AUTH_TOKEN, timeout=Timeouts(read=60))
    assert client._session.client.timeout.read == 60
    assert client._session.client.timeout.connect == 5


def test_pool_defaults_keep_every_connection_alive() -> None:
    client = AsyncClient(ACCOUNT_SID, AUTH_TOKEN)
    pool = client._session.client._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == 100
    assert pool._max_keepalive_connections == 100
    assert client.max_concurrency == 100


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "/2010-04-01/Accounts/AC/Messages.json?Page=1",
            "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC/Messages.json?Page=1",
        ),
        ("https://api.dublin.ie1.twilio.com/x.json", "https://api.dublin.ie1.twilio.com/x.json"),
    ],
)
def test_pagination_uris_stay_on_the_configured_host(uri: str, expected: str) -> None:
    assert pin_to_host("https://api.dublin.ie1.twilio.com", uri) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/x.json",
        "//evil.example/x.json",
        "https://api.twilio.com/x.json",
        "http://api.dublin.ie1.twilio.com/x",
    ],
)
def test_pagination_uris_to_other_hosts_are_refused(uri: str) -> None:
    with pytest.raises(PaginationError):
        pin_to_host("https://api.dublin.ie1.twilio.com", uri)
