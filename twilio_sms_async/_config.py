"""Client options as small frozen values: timeouts, pool limits, credentials.

Defaults are chosen for sending SMS under load (see design-notes.md §4):
keep-alive connections equal to the connection cap, so a burst does not
close and reopen TLS connections, and an explicit pool timeout, because the
client's own concurrency gate keeps requests from ever queueing in httpx's
pool.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping

import attrs
import httpx

from ._errors import ConfigurationError

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUTS",
    "Credentials",
    "PoolLimits",
    "Timeouts",
]

ACCOUNT_SID_RE = re.compile(r"AC[0-9a-fA-F]{32}")
API_KEY_SID_RE = re.compile(r"SK[0-9a-fA-F]{32}")


@attrs.frozen(kw_only=True)
class Timeouts:
    """Seconds to wait for each phase of a request.

    ``read`` is generous on purpose: a create that times out while reading has
    an unknown outcome, which is far costlier than a slow answer.
    """

    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 10.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@attrs.frozen(kw_only=True)
class PoolLimits:
    """Connection pool size; the client never has more requests in flight than ``max_connections``."""

    max_connections: int = attrs.field(default=100, validator=attrs.validators.ge(1))
    keepalive_expiry: float = 5.0

    def to_httpx(self) -> httpx.Limits:
        return httpx.Limits(
            max_connections=self.max_connections,
            max_keepalive_connections=self.max_connections,
            keepalive_expiry=self.keepalive_expiry,
        )


DEFAULT_TIMEOUTS = Timeouts()
DEFAULT_LIMITS = PoolLimits()


@attrs.frozen(kw_only=True)
class Credentials:
    """Who the client authenticates as.

    ``username`` is the API Key SID when one is used, else the Account SID;
    ``account_sid`` is always the account the URLs name. The secret is kept
    out of ``repr`` and equality so it cannot leak through either.
    """

    account_sid: str
    username: str
    secret: str = attrs.field(repr=False, eq=False)

    @property
    def uses_api_key(self) -> bool:
        return self.username != self.account_sid

    def authorization_header(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.secret}".encode()).decode("ascii")
        return f"Basic {token}"

    @classmethod
    def resolve(
        cls,
        *,
        account_sid: str | None,
        auth_token: str | None,
        api_key: str | None,
        api_secret: str | None,
        env: Mapping[str, str],
    ) -> Credentials:
        """Pick credentials from the arguments, else from ``TWILIO_*`` variables.

        Arguments win as a whole: if the caller passed a token or a key pair,
        the environment's secrets are not consulted (mixing a key from the
        environment with a token from code is never what anyone meant).
        """
        sid = account_sid or env.get("TWILIO_ACCOUNT_SID") or None
        if api_key or api_secret:
            key, secret = api_key, api_secret
        elif auth_token:
            key, secret = None, auth_token
        elif env.get("TWILIO_API_KEY") or env.get("TWILIO_API_SECRET"):
            key, secret = env.get("TWILIO_API_KEY"), env.get("TWILIO_API_SECRET")
        else:
            key, secret = None, env.get("TWILIO_AUTH_TOKEN")

        if not sid:
            raise ConfigurationError("account_sid: no Account SID; pass account_sid= or set TWILIO_ACCOUNT_SID")
        sid = sid.strip()
        if not ACCOUNT_SID_RE.fullmatch(sid):
            raise ConfigurationError(
                "account_sid: an Account SID is 'AC' followed by 32 hex digits"
                + (" (that looks like an API Key SID: pass it as api_key=)" if sid.startswith("SK") else "")
            )
        if key is not None or (api_secret and not auth_token):
            if not key:
                raise ConfigurationError(
                    "api_key: an API secret was given without its key; pass api_key= or set TWILIO_API_KEY"
                )
            key = key.strip()
            if not API_KEY_SID_RE.fullmatch(key):
                raise ConfigurationError("api_key: an API Key SID is 'SK' followed by 32 hex digits")
            if not secret:
                raise ConfigurationError(
                    "api_secret: an API key was given without its secret; pass api_secret= or set TWILIO_API_SECRET"
                )
            return cls(account_sid=sid, username=key, secret=_check_secret("api_secret", secret))
        if not secret:
            raise ConfigurationError(
                "auth_token: no Auth Token or API key; pass auth_token= (or api_key= and api_secret=) "
                "or set TWILIO_AUTH_TOKEN"
            )
        return cls(account_sid=sid, username=sid, secret=_check_secret("auth_token", secret))


def _check_secret(field: str, secret: str) -> str:
    # The message names the problem, never the value.
    if secret != secret.strip() or any(c in secret for c in "\r\n:"):
        raise ConfigurationError(f"{field}: contains whitespace, a newline or ':'; check how it was copied")
    return secret
