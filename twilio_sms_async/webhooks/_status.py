"""Keeping a message's status moving forward when callbacks arrive out of order."""

from __future__ import annotations

from collections import OrderedDict

from .._models import MessageStatus

__all__ = ["StatusTracker", "is_progression", "status_rank"]

_RANK = {
    MessageStatus.ACCEPTED: 0,
    MessageStatus.SCHEDULED: 0,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.RECEIVING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 5,
    MessageStatus.UNDELIVERED: 5,
    MessageStatus.FAILED: 5,
    MessageStatus.PARTIALLY_DELIVERED: 5,
    MessageStatus.RECEIVED: 5,
    MessageStatus.READ: 6,
    MessageStatus.CANCELED: 6,
}


def status_rank(status: MessageStatus | str) -> int | None:
    """How far along the lifecycle a status is (None for a status this version does not know)."""
    return _RANK.get(MessageStatus(status))


def is_progression(current: MessageStatus | str | None, incoming: MessageStatus | str) -> bool:
    """True if ``incoming`` should replace ``current``: a late ``sent`` never overwrites ``delivered``.

    A status this library does not know yet is accepted unless the current
    one is already final, so a new Twilio status is not silently dropped.
    """
    if current is None:
        return True
    old, new = status_rank(current), status_rank(incoming)
    if new is None:
        return old is None or old < 5
    if old is None:
        return new >= 5
    return new > old


class StatusTracker:
    """The latest status per message SID, in memory, for up to ``max_messages`` messages.

    ``update`` applies a callback only if it moves the message forward; the
    least recently updated messages are forgotten beyond the bound.
    """

    def __init__(self, max_messages: int = 100_000) -> None:
        self._max = max_messages
        self._statuses: OrderedDict[str, MessageStatus] = OrderedDict()

    def update(self, message_sid: str, status: MessageStatus | str) -> bool:
        """Record ``status`` if it is a progression; return whether it was applied."""
        current = self._statuses.get(message_sid)
        if not is_progression(current, status):
            return False
        self._statuses[message_sid] = MessageStatus(status)
        self._statuses.move_to_end(message_sid)
        while len(self._statuses) > self._max:
            self._statuses.popitem(last=False)
        return True

    def get(self, message_sid: str) -> MessageStatus | None:
        return self._statuses.get(message_sid)

    def __len__(self) -> int:
        return len(self._statuses)
