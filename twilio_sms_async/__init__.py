"""An asyncio-native client for Twilio Programmable Messaging (SMS/MMS).

>>> from twilio_sms_async import AsyncClient
>>> async with AsyncClient() as client:             # doctest: +SKIP
...     msg = await client.messages.send(to="+15558675310", from_="+15017122661", body="Hi")
"""

from ._client import AsyncClient
from ._config import DEFAULT_LIMITS, DEFAULT_TIMEOUTS, Credentials, PoolLimits, Timeouts
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ErrorCode,
    GeoPermissionError,
    InvalidFromNumberError,
    InvalidRequestError,
    InvalidToNumberError,
    NotFoundError,
    NotMobileNumberError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RecipientUnsubscribedError,
    SenderNotCapableError,
    SenderQueueFullError,
    ServerError,
    TransportError,
    TwilioError,
    UnreachableRecipientError,
    ValidationError,
)
from ._hosts import RegionOnlyHostWarning
from ._media import MediaResource
from ._messages import MessagesResource
from ._models import Direction, Feedback, FeedbackOutcome, Media, Message, MessageStatus
from ._pagination import AsyncPaginator, Page
from ._redaction import mask_phone
from ._requests import MessageRequest
from ._version import __version__

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUTS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncPaginator",
    "AuthenticationError",
    "ConfigurationError",
    "Credentials",
    "Direction",
    "ErrorCode",
    "Feedback",
    "FeedbackOutcome",
    "GeoPermissionError",
    "InvalidFromNumberError",
    "InvalidRequestError",
    "InvalidToNumberError",
    "Media",
    "MediaResource",
    "Message",
    "MessageRequest",
    "MessageStatus",
    "MessagesResource",
    "NotFoundError",
    "NotMobileNumberError",
    "Page",
    "PaginationError",
    "PermissionDeniedError",
    "PoolLimits",
    "RateLimitError",
    "RecipientUnsubscribedError",
    "RegionOnlyHostWarning",
    "SenderNotCapableError",
    "SenderQueueFullError",
    "ServerError",
    "Timeouts",
    "TransportError",
    "TwilioError",
    "UnreachableRecipientError",
    "ValidationError",
    "__version__",
    "mask_phone",
]
