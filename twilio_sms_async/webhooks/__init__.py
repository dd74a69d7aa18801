"""Receiving from Twilio: signature validation, inbound messages, status callbacks, TwiML.

The names here are stable for integrations: :func:`validate_signature`
(a bool) and :func:`verify_signature` (raises :class:`InvalidSignatureError`)
implement Twilio's ``X-Twilio-Signature`` scheme exactly as the facts sheet
§14 and §14a describe it. :class:`WebhookVerifier` does a whole request:
it rebuilds the public URL behind proxies, verifies, parses and
deduplicates. Framework adapters live in ``webhooks.starlette`` (FastAPI,
Starlette) and ``webhooks.aiohttp``, each imported only when used.
"""

from .._signature import compute_signature
from ._models import Geo, InboundMedia, InboundMessage, StatusCallback, parse_raw_dlr_done_date
from ._request import Deduplicator, SharedDeduplicator, VerifiedWebhook, WebhookVerifier, public_url
from ._status import StatusTracker, is_progression, status_rank
from ._twiml import TWIML_CONTENT_TYPE, MessagingResponse
from ._verify import InvalidSignatureError, validate_signature, verify_signature

__all__ = [
    "TWIML_CONTENT_TYPE",
    "Deduplicator",
    "Geo",
    "InboundMedia",
    "InboundMessage",
    "InvalidSignatureError",
    "MessagingResponse",
    "SharedDeduplicator",
    "StatusCallback",
    "StatusTracker",
    "VerifiedWebhook",
    "WebhookVerifier",
    "compute_signature",
    "is_progression",
    "parse_raw_dlr_done_date",
    "public_url",
    "status_rank",
    "validate_signature",
    "verify_signature",
]
