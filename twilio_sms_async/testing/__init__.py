"""A Twilio-compatible sandbox for tests and demos: no account, no network.

>>> sandbox = Sandbox()
>>> async with sandbox.client() as client:                     # doctest: +SKIP
...     msg = await client.messages.send(to="+15558675310", from_=SANDBOX_NUMBER, body="hi")
...     await sandbox.advance(5)                                # queued -> ... -> delivered

It implements the Messages API as the facts sheet describes it: Twilio's
validation and error codes, the magic test numbers, SIDs in Twilio's format,
status progression on a clock the test controls, signed status callbacks,
scheduling and cancel, redact, delete, media, feedback, and lists with every
filter and real pagination. Faults (an account rate limit, latency, 5xx,
dropped connections, undelivered messages) are deterministic for a seed.
"""

from ._faults import Fault, Faults
from ._sandbox import (
    SANDBOX_ACCOUNT_SID,
    SANDBOX_AUTH_TOKEN,
    SANDBOX_NUMBER,
    SANDBOX_SERVICE_SID,
    Sandbox,
    SandboxStats,
)
from ._state import SandboxClock, SandboxRequest, SandboxResponse
from ._transport import SandboxTransport

__all__ = [
    "SANDBOX_ACCOUNT_SID",
    "SANDBOX_AUTH_TOKEN",
    "SANDBOX_NUMBER",
    "SANDBOX_SERVICE_SID",
    "Fault",
    "Faults",
    "Sandbox",
    "SandboxClock",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxStats",
    "SandboxTransport",
]
