"""``client.messages.media``: the media attached to a message (MMS)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from ._models import Media
from ._pagination import AsyncPaginator, format_list_date, page_size_param
from ._validation import check_sid

if TYPE_CHECKING:
    from ._http import HttpSession

__all__ = ["MediaResource"]

_MESSAGE_SID = ("SM", "MM")


class MediaResource:
    """List, fetch and delete a message's media. Twilio keeps media until deleted."""

    def __init__(self, session: HttpSession, messages_base: str) -> None:
        self._session = session
        self._base = messages_base

    def _url(self, message_sid: str, media_sid: str | None = None) -> str:
        url = f"{self._base}/{check_sid('message_sid', message_sid, _MESSAGE_SID)}/Media"
        if media_sid is not None:
            url += "/" + check_sid("media_sid", media_sid, "ME")
        return url + ".json"

    def list(
        self,
        message_sid: str,
        *,
        date_created: date | datetime | None = None,
        date_created_before: date | datetime | None = None,
        date_created_after: date | datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[Media]:
        """Stream a message's media items; no ``await`` needed."""
        params: list[tuple[str, str]] = []
        for key, field, value in (
            ("DateCreated", "date_created", date_created),
            ("DateCreated<", "date_created_before", date_created_before),
            ("DateCreated>", "date_created_after", date_created_after),
        ):
            if value is not None:
                params.append((key, format_list_date(field, value)))
        params.append(("PageSize", str(page_size_param(page_size, limit))))
        return AsyncPaginator(
            self._session,
            url=self._url(message_sid),
            params=params,
            key="media_list",
            parse=Media.from_json,
            limit=limit,
        )

    async def fetch(self, message_sid: str, media_sid: str) -> Media:
        """Fetch one media item's metadata."""
        return Media.from_json(await self._session.call("GET", self._url(message_sid, media_sid)))

    async def delete(self, message_sid: str, media_sid: str) -> None:
        """Delete a media item (Twilio answers 204)."""
        await self._session.call("DELETE", self._url(message_sid, media_sid))
