"""The exception tree.

::

    TwilioError
    ├── ConfigurationError          bad credentials, SIDs, hosts (also a ValueError)
    ├── ValidationError             bad input, raised before any network call (also a ValueError)
    ├── APIError                    Twilio answered with an error status
    │   ├── InvalidRequestError     400
    │   │   ├── InvalidToNumberError            21211
    │   │   ├── InvalidFromNumberError          21212
    │   │   ├── GeoPermissionError              21408
    │   │   ├── SenderNotCapableError           21606
    │   │   ├── RecipientUnsubscribedError      21610
    │   │   ├── SenderQueueFullError            21611
    │   │   ├── UnreachableRecipientError       21612
    │   │   └── NotMobileNumberError            21614
    │   ├── AuthenticationError     401, 20003
    │   ├── PermissionDeniedError   403
    │   ├── NotFoundError           404, 20404
    │   ├── RateLimitError          429, 20429 (never processed: safe to retry)
    │   └── ServerError             5xx
    ├── TransportError              no usable HTTP answer; the httpx error is chained
    │   ├── APIConnectionError      the request was certainly not sent
    │   └── APITimeoutError         a timeout; see ``request_sent``
    ├── OutcomeUnknownError         a create may have reached Twilio (in ``_retry``)
    ├── PaginationError             a list response that cannot be followed safely
    ├── JournalMismatchError        a resume journal or shared job made for other input (in ``_journal``)
    ├── StoreUnavailableError       Redis, shared by several workers, did not answer (in ``_jobs``)
    └── InvalidSignatureError       a webhook Twilio did not sign (in ``webhooks``)

No exception carries a credential: the message, ``repr`` and attributes hold
the method, the URL (which names the Account SID, an identifier, not a
secret) and what Twilio said.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "ErrorCode",
    "GeoPermissionError",
    "InvalidFromNumberError",
    "InvalidRequestError",
    "InvalidToNumberError",
    "NotFoundError",
    "NotMobileNumberError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RecipientUnsubscribedError",
    "SenderNotCapableError",
    "SenderQueueFullError",
    "ServerError",
    "TransportError",
    "TwilioError",
    "UnreachableRecipientError",
    "ValidationError",
]


class ErrorCode(enum.IntEnum):
    """Twilio error codes an application commonly branches on.

    Members compare equal to plain ints, so ``err.code == ErrorCode.UNSUBSCRIBED``
    and ``err.code == 21610`` are the same test. Codes not listed here still
    arrive, as plain ints, on :attr:`APIError.code`.
    """

    AUTHENTICATION_FAILED = 20003
    NOT_FOUND = 20404
    TOO_MANY_REQUESTS = 20429
    INVALID_TO_NUMBER = 21211
    INVALID_FROM_NUMBER = 21212
    GEO_PERMISSION_DENIED = 21408
    BODY_REQUIRED = 21602
    FROM_REQUIRED = 21603
    TO_REQUIRED = 21604
    SENDER_NOT_CAPABLE = 21606
    UNVERIFIED_TRIAL_RECIPIENT = 21608
    UNSUBSCRIBED = 21610
    SENDER_QUEUE_FULL = 21611
    UNREACHABLE_RECIPIENT = 21612
    NOT_MOBILE_NUMBER = 21614
    BODY_TOO_LONG = 21617
    INVALID_MEDIA_URL = 21620
    TOO_MANY_MEDIA = 21623
    QUEUE_OVERFLOW = 30001
    ACCOUNT_SUSPENDED = 30002
    UNREACHABLE_HANDSET = 30003
    MESSAGE_BLOCKED = 30004
    UNKNOWN_HANDSET = 30005
    LANDLINE_OR_UNREACHABLE_CARRIER = 30006
    CARRIER_FILTERED = 30007
    UNKNOWN_ERROR = 30008
    UNREGISTERED_10DLC = 30034
    INVALID_PARAMETERS = 30400
    SEND_AT_MISSING = 35111
    SEND_AT_OUTSIDE_WINDOW = 35114
    SCHEDULING_NEEDS_SERVICE = 35118


class TwilioError(Exception):
    """Root of every exception this library raises on purpose."""


class ConfigurationError(TwilioError, ValueError):
    """The client cannot be built: missing or malformed credentials, host, or option."""


class ValidationError(TwilioError, ValueError):
    """An argument is invalid; raised before anything is sent.

    :attr:`field` names the offending argument as the caller spelled it
    (``to``, ``from_``, ``media_url``...).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class APIError(TwilioError):
    """Twilio answered with an HTTP error status.

    ``code`` is Twilio's error code when the body had one, else the HTTP
    status (as twilio-python does), so it is always an int to branch on.
    """

    def __init__(
        self,
        *,
        status: int,
        code: int,
        message: str,
        method: str,
        url: str,
        more_info: str | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.url = url
        self.more_info = more_info
        self.details = details
        self.headers: Mapping[str, str] = headers or {}
        super().__init__(f"HTTP {status}, Twilio error {code}: {message} ({method} {url})")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only __init__: teach pickle (multiprocessing, Celery) to rebuild us.
        return (_rebuild_api_error, (type(self), self._state()))

    def _state(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "method": self.method,
            "url": self.url,
            "more_info": self.more_info,
            "details": self.details,
            "headers": dict(self.headers),
        }


def _rebuild_api_error(cls: type[APIError], state: dict[str, Any]) -> APIError:
    return cls(**state)


class InvalidRequestError(APIError):
    """400: Twilio rejected the request (most 21xxx and 35xxx codes)."""


class InvalidToNumberError(InvalidRequestError):
    """21211: the ``To`` number is not a valid phone number."""


class InvalidFromNumberError(InvalidRequestError):
    """21212: the ``From`` number is not valid."""


class GeoPermissionError(InvalidRequestError):
    """21408: the account may not send to the ``To`` number's region."""


class SenderNotCapableError(InvalidRequestError):
    """21606: ``From`` is not a message-capable number owned by the account."""


class RecipientUnsubscribedError(InvalidRequestError):
    """21610: the recipient replied STOP; nothing reaches them until START."""


class SenderQueueFullError(InvalidRequestError):
    """21611: the sender's queue is full; slow down for this ``From``."""


class UnreachableRecipientError(InvalidRequestError):
    """21612: the ``To`` number cannot be reached via SMS/MMS from this sender."""


class NotMobileNumberError(InvalidRequestError):
    """21614: the ``To`` number is a landline or otherwise cannot receive SMS."""


class AuthenticationError(APIError):
    """401 / 20003: wrong credentials, a key from another region, or a suspended account."""


class PermissionDeniedError(APIError):
    """403: the credentials may not use this resource (e.g. test credentials)."""


class NotFoundError(APIError):
    """404 / 20404: no such message, media or account."""


class RateLimitError(APIError):
    """429 / 20429: Twilio did not process the request; it is always safe to retry.

    :attr:`retry_after` is the wait the server asked for, in seconds, if it sent one.
    """

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "retry_after": self.retry_after}


class ServerError(APIError):
    """5xx: Twilio failed; for a create, the message may or may not exist."""


class TransportError(TwilioError):
    """No usable HTTP response arrived; the underlying httpx error is ``__cause__``.

    ``request_sent`` says whether the request may have reached Twilio: False
    when it certainly did not (so even a create may be retried), True when it
    may have.
    """

    def __init__(self, message: str, *, method: str, url: str, request_sent: bool) -> None:
        super().__init__(f"{message} ({method} {url})")
        self.method = method
        self.url = url
        self.request_sent = request_sent

    def __reduce__(self) -> tuple[Any, ...]:
        text = str(self).rsplit(" (", 1)[0]
        return (_rebuild_transport_error, (type(self), text, self.method, self.url, self.request_sent))


def _rebuild_transport_error(
    cls: type[TransportError], message: str, method: str, url: str, request_sent: bool
) -> TransportError:
    return cls(message, method=method, url=url, request_sent=request_sent)


class APIConnectionError(TransportError):
    """The connection could not be made; the request was certainly not sent."""


class APITimeoutError(TransportError):
    """A timeout: connecting or waiting for a pooled connection (not sent), or reading (maybe sent)."""


class PaginationError(TwilioError):
    """A list response cannot be followed safely: another host, a cycle, a malformed page."""


_BY_CODE: dict[int, type[APIError]] = {
    21211: InvalidToNumberError,
    21212: InvalidFromNumberError,
    21408: GeoPermissionError,
    21606: SenderNotCapableError,
    21610: RecipientUnsubscribedError,
    21611: SenderQueueFullError,
    21612: UnreachableRecipientError,
    21614: NotMobileNumberError,
    20003: AuthenticationError,
    20404: NotFoundError,
    20429: RateLimitError,
}

_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_class_for(status: int, code: int) -> type[APIError]:
    """The most specific exception type for an HTTP status and Twilio code."""
    base = ServerError if status >= 500 else _BY_STATUS.get(status, APIError)
    by_code = _BY_CODE.get(code)
    if by_code is RateLimitError:
        # 20429 means "never processed" whatever the status: callers may retry it.
        return by_code
    if by_code is not None and issubclass(by_code, base):
        return by_code
    return base
