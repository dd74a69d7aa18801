"""An asyncio-native client for Twilio Programmable Messaging (SMS/MMS).

>>> from twilio_sms_async import AsyncClient
>>> async with AsyncClient() as client:             # doctest: +SKIP
...     msg = await client.messages.send(to="+15558675310", from_="+15017122661", body="Hi")
"""

from ._bulk import BulkProgress, BulkSend, BulkSummary, Outcome, SendResult
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
from ._jobs import Claim, Claimed, SharedJob, StoreUnavailableError
from ._journal import Journal, JournalMismatchError
from ._limits import Limiter, RateLimit, RateLimiter
from ._media import MediaResource
from ._messages import MessagesResource
from ._models import Direction, Feedback, FeedbackOutcome, Media, Message, MessageStatus
from ._pagination import AsyncPaginator, Page
from ._partition import PartitionedListing
from ._redaction import mask_phone
from ._requests import MessageRequest
from ._retry import NO_RETRY, OutcomeUnknownError, RetryPolicy, RetryStats
from ._version import __version__

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUTS",
    "NO_RETRY",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncPaginator",
    "AuthenticationError",
    "BulkProgress",
    "BulkSend",
    "BulkSummary",
    "Claim",
    "Claimed",
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
    "Journal",
    "JournalMismatchError",
    "Limiter",
    "Media",
    "MediaResource",
    "Message",
    "MessageRequest",
    "MessageStatus",
    "MessagesResource",
    "NotFoundError",
    "NotMobileNumberError",
    "Outcome",
    "OutcomeUnknownError",
    "Page",
    "PaginationError",
    "PartitionedListing",
    "PermissionDeniedError",
    "PoolLimits",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RecipientUnsubscribedError",
    "RegionOnlyHostWarning",
    "RetryPolicy",
    "RetryStats",
    "SendResult",
    "SenderNotCapableError",
    "SenderQueueFullError",
    "ServerError",
    "SharedJob",
    "StoreUnavailableError",
    "Timeouts",
    "TransportError",
    "TwilioError",
    "UnreachableRecipientError",
    "ValidationError",
    "__version__",
    "mask_phone",
]
