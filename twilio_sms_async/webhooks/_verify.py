"""Checking ``X-Twilio-Signature`` on an incoming webhook (facts sheet §14, §14a)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from .._errors import TwilioError
from .._signature import FormParams, body_sha256, compute_signature, parse_signature_settings, url_variants

__all__ = ["InvalidSignatureError", "validate_signature", "verify_signature"]

Tokens = str | Sequence[str]


class InvalidSignatureError(TwilioError):
    """The webhook's signature does not match: it did not come from Twilio, or was altered."""


def verify_signature(
    url: str,
    params: FormParams | bytes | str | None,
    signature: str | None,
    auth_token: Tokens,
    *,
    signature_settings: str | None = None,
) -> None:
    """Raise :class:`InvalidSignatureError` (saying why) unless the request is Twilio's.

    ``params`` is the form (a mapping, or pairs for repeated names) of a form
    request, or the raw body (``bytes``/``str``) of a JSON request, whose
    hash must match the URL's ``bodySHA256``. ``auth_token`` may be several
    tokens (or shared-key secrets) to accept during a rotation.
    ``signature_settings`` is the ``X-Twilio-Webhooks-Signature-Settings``
    header, which selects HMAC-SHA256.
    """
    if not signature:
        raise InvalidSignatureError("no X-Twilio-Signature header")
    tokens = [auth_token] if isinstance(auth_token, str) else list(auth_token)
    if not tokens or not all(tokens):
        raise InvalidSignatureError("no auth token to validate with")
    algorithm, _ = parse_signature_settings(signature_settings)
    if algorithm not in ("HMAC_SHA1", "HMAC_SHA256"):
        raise InvalidSignatureError(f"unsupported signature algorithm {algorithm!r}")
    declared = body_sha256(url)
    form: FormParams | None
    if isinstance(params, (bytes, str)):
        raw = params.encode("utf-8") if isinstance(params, str) else params
        if declared is None:
            raise InvalidSignatureError("a raw body was given but the URL has no bodySHA256 to check it against")
        if not hmac.compare_digest(hashlib.sha256(raw).hexdigest(), declared.lower()):
            raise InvalidSignatureError("the body does not match the URL's bodySHA256")
        form = None
    else:
        if declared is not None and params:
            raise InvalidSignatureError("the URL carries bodySHA256: pass the raw body bytes, not parsed parameters")
        form = params
    for candidate in url_variants(url):
        for token in tokens:
            expected = compute_signature(candidate, form, token, algorithm=algorithm)
            if hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
                return
    raise InvalidSignatureError("the signature does not match the URL, parameters and token")


def validate_signature(
    url: str,
    params: FormParams | bytes | str | None,
    signature: str | None,
    auth_token: Tokens,
    *,
    signature_settings: str | None = None,
) -> bool:
    """True if the request was signed by Twilio; see :func:`verify_signature` for the arguments."""
    try:
        verify_signature(url, params, signature, auth_token, signature_settings=signature_settings)
    except InvalidSignatureError:
        return False
    return True
