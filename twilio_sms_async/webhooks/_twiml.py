"""TwiML for messaging replies: ``<Response>`` with ``<Message>`` and ``<Redirect>``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal
from xml.etree import ElementTree

__all__ = ["TWIML_CONTENT_TYPE", "MessagingResponse"]

TWIML_CONTENT_TYPE = "application/xml"


class MessagingResponse:
    """Build the XML Twilio expects in answer to an incoming message.

    >>> str(MessagingResponse().message("Thanks & bye <3"))
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks &amp; bye &lt;3</Message></Response>'

    An empty response (no reply) is ``str(MessagingResponse())``. Serve it
    with :data:`TWIML_CONTENT_TYPE`.
    """

    def __init__(self) -> None:
        self._root = ElementTree.Element("Response")

    def message(
        self,
        body: str | None = None,
        *,
        media: Sequence[str] = (),
        to: str | None = None,
        from_: str | None = None,
        action: str | None = None,
        method: Literal["GET", "POST"] | None = None,
    ) -> MessagingResponse:
        """Reply with a message (a body, up to 10 media URLs, or both)."""
        if body is None and not media:
            raise ValueError("a <Message> needs a body or media")
        if len(media) > 10:
            raise ValueError("a <Message> carries at most 10 media URLs")
        attributes = {k: v for k, v in (("to", to), ("from", from_), ("action", action), ("method", method)) if v}
        element = ElementTree.SubElement(self._root, "Message", attributes)
        if media:
            if body is not None:
                ElementTree.SubElement(element, "Body").text = body
            for url in media:
                ElementTree.SubElement(element, "Media").text = url
        else:
            element.text = body
        return self

    def redirect(self, url: str, *, method: Literal["GET", "POST"] = "POST") -> MessagingResponse:
        """Hand the conversation to TwiML at another URL."""
        ElementTree.SubElement(self._root, "Redirect", {"method": method}).text = url
        return self

    def to_xml(self) -> str:
        return '<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(self._root, encoding="unicode")

    def __str__(self) -> str:
        return self.to_xml()

    content_type = TWIML_CONTENT_TYPE
