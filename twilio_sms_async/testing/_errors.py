"""Twilio-shaped error answers from the sandbox."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ._state import SandboxResponse

__all__ = ["ERROR_MESSAGES", "SandboxAPIError", "error_response"]

ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "The 'To' number is not a valid phone number.",
    21212: "The 'From' number is not a valid phone number, shortcode, or alphanumeric sender ID.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number.",
    21602: "Message body is required.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages.",
    21612: "The 'To' phone number is not currently reachable via SMS.",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21620: "Invalid media URL(s).",
    21623: "Number of media files exceeds allowed limit.",
    30400: "Parameters are not valid",
    35111: "SendAt timestamp is missing",
    35114: "Scheduling does not support this timestamp",
    35118: "MessagingServiceSid is required to schedule a message",
    35126: "ScheduleType is required with SendAt",
}


class SandboxAPIError(Exception):
    """Raised inside an operation; becomes Twilio's JSON error body."""

    def __init__(self, status: int, code: int, message: str | None = None) -> None:
        self.status, self.code, self.message = status, code, message or ERROR_MESSAGES.get(code, "Error")


def error_response(
    status: int, code: int, message: str | None = None, headers: Mapping[str, str] | None = None
) -> SandboxResponse:
    body = {
        "code": code,
        "message": message or ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return SandboxResponse(status, json.dumps(body).encode(), dict(headers or {}))
