"""Masking for logs and reprs, and the library's one logger.

Phone numbers are personal data: log lines carry ``+1555***5310``, never the
full number. Credentials never reach this module at all: nothing here is
given a token, so nothing here can leak one.
"""

from __future__ import annotations

import logging

__all__ = ["logger", "mask_phone"]

#: The library logs here and nowhere else; it never configures the root logger.
logger = logging.getLogger("twilio_sms_async")
logger.addHandler(logging.NullHandler())


def mask_phone(value: str | None) -> str:
    """Hide the middle of a phone number or channel address.

    ``+15558675310`` becomes ``+1555***5310`` and ``whatsapp:+15558675310``
    becomes ``whatsapp:+1555***5310``. Values too short to mask keep only their
    first character, so a short code or sender ID never shows in full either.
    """
    if not value:
        return "<none>"
    prefix, sep, address = value.rpartition(":")
    head = prefix + sep
    if len(address) >= 9:
        return f"{head}{address[:5]}***{address[-4:]}"
    return f"{head}{address[:1]}***"
