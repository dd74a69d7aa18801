"""List endpoints of the sandbox: filters and real ``next_page_uri`` pagination."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from ._errors import SandboxAPIError
from ._state import StoredMedia, StoredMessage

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["list_media", "list_messages", "parse_send_at"]

T = TypeVar("T")


def parse_send_at(value: str) -> float | None:
    """An ISO 8601 instant (``2024-01-02T03:04:05Z`` or with an offset) as epoch seconds."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def _day_or_instant(value: str) -> tuple[date | None, float | None]:
    """A DateSent filter value: a whole GMT day (``YYYY-MM-DD``) or an instant."""
    if len(value) == 10:
        try:
            return date.fromisoformat(value), None
        except ValueError:
            return None, None
    return None, parse_send_at(value)


def _date_filter(query: Sequence[tuple[str, str]], name: str) -> Callable[[float | None], bool] | None:
    checks: list[Callable[[float], bool]] = []
    for key, value in query:
        op = key[len(name) :]
        if not key.startswith(name) or op not in ("", "<", ">"):
            continue
        day, instant = _day_or_instant(value)
        if day is None and instant is None:
            raise SandboxAPIError(400, 20001, f"Invalid {key} value {value!r}")
        if day is not None:
            # "on and before" / "on and after": whole days, inclusive.
            def on_day(t: float, d: date = day, o: str = op) -> bool:
                sent = datetime.fromtimestamp(t, UTC).date()
                return sent == d if o == "" else (sent <= d if o == "<" else sent >= d)

            checks.append(on_day)
        else:
            assert instant is not None

            def at(t: float, i: float = instant, o: str = op) -> bool:
                return int(t) == int(i) if o == "" else (t <= i if o == "<" else t >= i)

            checks.append(at)
    if not checks:
        return None
    return lambda t: t is not None and all(check(t) for check in checks)


def _page(
    items: Iterable[T],
    *,
    query: Sequence[tuple[str, str]],
    key: str,
    path: str,
    seq_of: Callable[[T], int],
    render: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    values = dict(query)
    try:
        page_size = int(values.get("PageSize", "50"))
        page = int(values.get("Page", "0"))
    except ValueError:
        page_size, page = -1, -1
    if not 1 <= page_size <= 1000 or page < 0:
        raise SandboxAPIError(400, 20001, "PageSize must be between 1 and 1000")
    token = values.get("PageToken")
    after = int(token[2:], 16) if token and token.startswith("PA") else None
    selected: list[T] = []
    more = False
    for item in items:
        if after is not None and seq_of(item) >= after:
            continue
        if len(selected) == page_size:
            more = True
            break
        selected.append(item)
    filters = [(k, v) for k, v in query if k not in ("PageSize", "Page", "PageToken")]
    base = [*filters, ("PageSize", str(page_size))]
    uri = f"{path}?{urlencode([*base, ('Page', str(page))] + ([('PageToken', token)] if token else []))}"
    next_uri = None
    if more and selected:
        next_token = f"PA{seq_of(selected[-1]):x}"
        next_uri = f"{path}?{urlencode([*base, ('Page', str(page + 1)), ('PageToken', next_token)])}"
    return {
        key: [render(item) for item in selected],
        "end": page * page_size + len(selected) - 1,
        "first_page_uri": f"{path}?{urlencode([*base, ('Page', '0')])}",
        "next_page_uri": next_uri,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": None,
        "start": page * page_size,
        "uri": uri,
    }


def list_messages(sandbox: Sandbox, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """ListMessage: newest first; To, From and DateSent filters."""
    values = dict(query)
    to, sender = values.get("To"), values.get("From")
    sent_filter = _date_filter(query, "DateSent")

    def wanted(m: StoredMessage) -> bool:
        return (
            (to is None or m.to == to)
            and (sender is None or m.from_ == sender)
            and (sent_filter is None or sent_filter(m.sent))
        )

    items = (m for m in reversed(sandbox.messages.values()) if wanted(m))
    path = f"/2010-04-01/Accounts/{sandbox.account_sid}/Messages.json"
    return _page(items, query=query, key="messages", path=path, seq_of=lambda m: m.seq, render=StoredMessage.to_json)


def list_media(sandbox: Sandbox, message: StoredMessage, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """ListMedia: the message's media, newest first, with DateCreated filters."""
    created_filter = _date_filter(query, "DateCreated")
    order = {m.sid: i for i, m in enumerate(message.media)}
    items = (m for m in reversed(message.media) if created_filter is None or created_filter(m.created))
    path = f"/2010-04-01/Accounts/{sandbox.account_sid}/Messages/{message.sid}/Media.json"
    return _page(
        items,
        query=query,
        key="media_list",
        path=path,
        seq_of=lambda m: order[m.sid] + 1,
        render=StoredMedia.to_json,
    )
