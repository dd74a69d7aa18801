"""Twilio's ``X-Twilio-Signature``: computing it and checking it (facts sheet §14, §14a).

The string to sign is the full URL followed by every form parameter as
``name + value``, names sorted by byte order. A repeated name contributes
each of its values, sorted and de-duplicated, as twilio-python does. A JSON
body adds nothing: its SHA-256 travels in the URL's ``bodySHA256`` query
parameter instead. The MAC is HMAC-SHA1 keyed by the auth token, or
HMAC-SHA256 keyed by a shared key when the signature-settings header asks
for it, in base64.

Because Twilio's own signing is inconsistent about default ports, a
signature is accepted over the URL as given, with the default port added,
and with any port removed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = ["FormParams", "body_sha256", "compute_signature", "parse_signature_settings", "url_variants"]

FormParams = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def _pairs(params: FormParams) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        pairs: list[tuple[str, str]] = []
        for name, value in params.items():
            if isinstance(value, str):
                pairs.append((name, value))
            else:
                pairs.extend((name, item) for item in value)
        return pairs
    return [(str(name), str(value)) for name, value in params]


def string_to_sign(url: str, params: FormParams | None) -> str:
    """The URL followed by the sorted ``name + value`` pairs (nothing for a JSON body)."""
    if not params:
        return url
    grouped: dict[str, set[str]] = {}
    for name, value in _pairs(params):
        grouped.setdefault(name, set()).add(value)
    parts = [url]
    for name in sorted(grouped):
        for value in sorted(grouped[name]):
            parts.append(name + value)
    return "".join(parts)


def compute_signature(url: str, params: FormParams | None, key: str, *, algorithm: str = "HMAC_SHA1") -> str:
    """The base64 signature Twilio would send for this request."""
    digest = {"HMAC_SHA1": hashlib.sha1, "HMAC_SHA256": hashlib.sha256}.get(algorithm.upper())
    if digest is None:
        raise ValueError(f"unknown signature algorithm {algorithm!r}")
    mac = hmac.new(key.encode("utf-8"), string_to_sign(url, params).encode("utf-8"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def url_variants(url: str) -> list[str]:
    """The URL as given, with its scheme's default port added, and with any port removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    without_port = urlunsplit(parts._replace(netloc=prefix + host))
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    with_port = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{port}")) if port else without_port
    variants = [url]
    for variant in (with_port, without_port):
        if variant not in variants:
            variants.append(variant)
    return variants


def parse_signature_settings(header: str | None) -> tuple[str, str | None]:
    """Read ``X-Twilio-Webhooks-Signature-Settings`` into ``(algorithm, key name)``.

    A missing header means the classic HMAC-SHA1 scheme.
    """
    if not header:
        return "HMAC_SHA1", None
    fields = {k.strip().lower(): v.strip() for k, _, v in (item.partition("=") for item in header.split(",")) if k}
    return fields.get("algorithm", "HMAC_SHA1").upper(), fields.get("key")


def body_sha256(url: str) -> str | None:
    """The ``bodySHA256`` query value Twilio adds to the URL of a JSON webhook, if any."""
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name == "bodySHA256":
            return value
    return None
