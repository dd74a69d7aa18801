"""Which host the client talks to, and keeping it there.

Twilio builds regional hosts as ``api.{edge}.{region}.twilio.com``; an edge
alone implies region ``us1``. A region alone gives the old
``api.{region}.twilio.com`` form, deprecated on 2026-04-28 (those hosts
process every request in US1), so it still works here but warns.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

import httpx

from ._errors import ConfigurationError, PaginationError

__all__ = ["DEFAULT_BASE_URL", "RegionOnlyHostWarning", "pin_to_host", "resolve_base_url"]

DEFAULT_BASE_URL = "https://api.twilio.com"

_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")

#: The edge Twilio pairs with each region, suggested when only a region is given.
_EDGE_FOR_REGION = {
    "au1": "sydney",
    "br1": "sao-paulo",
    "ie1": "dublin",
    "de1": "frankfurt",
    "jp1": "tokyo",
    "sg1": "singapore",
    "us1": "ashburn",
    "us2": "umatilla",
}


class RegionOnlyHostWarning(UserWarning):
    """A region was configured without an edge: the host is Twilio's deprecated form."""


def resolve_base_url(*, edge: str | None, region: str | None, base_url: str | None, env: Mapping[str, str]) -> str:
    """The scheme and host every request goes to, without a trailing slash."""
    if base_url is not None:
        if edge is not None or region is not None:
            raise ConfigurationError("base_url: pass either base_url= or edge=/region=, not both")
        return _check_base_url(base_url)
    edge = _label("edge", edge if edge is not None else env.get("TWILIO_EDGE"))
    region = _label("region", region if region is not None else env.get("TWILIO_REGION"))
    if edge is None and region is None:
        return DEFAULT_BASE_URL
    if edge is None:
        assert region is not None
        if region != "us1":
            suggestion = _EDGE_FOR_REGION.get(region, "<edge>")
            warnings.warn(
                f"region={region!r} without an edge uses the deprecated host api.{region}.twilio.com, "
                f"which since 2026-04-28 processes requests in US1 or not at all; "
                f"also pass edge={suggestion!r} (host api.{suggestion}.{region}.twilio.com)",
                RegionOnlyHostWarning,
                stacklevel=3,
            )
        return f"https://api.{region}.twilio.com"
    return f"https://api.{edge}.{region or 'us1'}.twilio.com"


def _label(field: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip().lower()
    if not _LABEL_RE.fullmatch(value):
        raise ConfigurationError(f"{field}: {value!r} is not a host label like 'dublin' or 'ie1'")
    return value


def _check_base_url(base_url: str) -> str:
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"base_url: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError("base_url: needs a scheme and host, like 'https://api.twilio.com'")
    if url.query or url.fragment or url.userinfo:
        raise ConfigurationError("base_url: must not carry a query, fragment or credentials")
    return str(url).rstrip("/")


def pin_to_host(base_url: str, uri: str) -> str:
    """Turn a ``next_page_uri`` into a URL on our own host, or refuse it.

    Twilio's page URIs are relative to ``https://api.twilio.com``; they must
    be followed on the configured (regional, proxy or sandbox) host. An
    absolute URL to any other host is refused: following it would send our
    credentials there.
    """
    if uri.startswith("/"):
        if uri.startswith("//"):
            raise PaginationError(f"refusing page URI {uri!r}: a scheme-relative URL names another host")
        return base_url + uri
    try:
        target = httpx.URL(uri)
        ours = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise PaginationError(f"malformed page URI {uri!r}: {exc}") from None
    if (target.scheme, target.host, target.port) != (ours.scheme, ours.host, ours.port):
        raise PaginationError(
            f"refusing page URI on host {target.host!r}: the client is configured for {ours.host!r} "
            "and will not send credentials elsewhere"
        )
    return uri
