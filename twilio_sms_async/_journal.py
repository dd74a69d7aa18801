"""An append-only file journal that lets a bulk send resume without resending.

Each input index gets a ``S`` (started) line before its create leaves the
process, and a ``D`` (done) line with its outcome once it has one. On
resume, a done index is skipped. A started index with no done line was
interrupted mid-send: nobody can know whether Twilio accepted it, so it is
reported as unknown and never sent again.

::

    # twilio-sms-async journal v1
    S 17 9a3c01f2 1764040000.123
    D 17 sent SM0123...
    D 18 failed 21610

Memory is two bitsets (a bit per index: 5 million indices cost about 1.2 MB)
plus the fingerprints of the first few started lines, which are checked
against the input so that a journal is never replayed against another file.
Each line is flushed as written, so a crashed or killed process loses
nothing; pass ``durable=True`` to fsync as well (survives power loss, at
the cost of a disk sync per message).
"""

from __future__ import annotations

import os
import time
import zlib
from pathlib import Path
from typing import IO

from ._errors import TwilioError

__all__ = ["Journal", "JournalMismatchError", "fingerprint"]

_HEADER = "# twilio-sms-async journal v1\n"
_CHECKED_FINGERPRINTS = 1000


class JournalMismatchError(TwilioError):
    """The journal was written for different input: resuming would send the wrong messages."""


def fingerprint(to: str, body: str | None) -> str:
    """A short, stable digest of what an index sends (recipient and body)."""
    digest = zlib.crc32(to.encode() + b"\x00" + (body or "").encode())
    return f"{digest:08x}"


class _Bits:
    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = bytearray()

    def add(self, index: int) -> None:
        byte = index >> 3
        if byte >= len(self.data):
            self.data.extend(bytes(byte - len(self.data) + 1 + len(self.data) // 2))
        self.data[byte] |= 1 << (index & 7)

    def __contains__(self, index: int) -> bool:
        byte = index >> 3
        return byte < len(self.data) and bool(self.data[byte] & (1 << (index & 7)))


class Journal:
    """Open (or create) the journal at ``path`` and load what an earlier run recorded."""

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = False) -> None:
        self.path = Path(path)
        self.durable = durable
        self._started = _Bits()
        self._done = _Bits()
        self._fingerprints: dict[int, str] = {}
        self._started_at: dict[int, float] = {}
        self.recorded_done = 0
        self._torn_tail = False
        if self.path.exists():
            self._load()
        self._file: IO[str] | None = None

    def _load(self) -> None:
        with self.path.open("r", encoding="utf-8") as handle:
            first = handle.readline()
            if first and first != _HEADER:
                raise JournalMismatchError(f"{self.path} is not a twilio-sms-async journal")
            for number, line in enumerate(handle, start=2):
                if not line.endswith("\n"):
                    # A torn final line from a crash: "D 1" cut from "D 17 ..." must
                    # not mark index 1 done, so the fragment is ignored whole.
                    self._torn_tail = True
                    break
                parts = line.split()
                if not parts:
                    continue
                try:
                    kind, index = parts[0], int(parts[1])
                except (IndexError, ValueError):
                    raise JournalMismatchError(f"{self.path}:{number}: unreadable line {line!r}") from None
                if kind == "S":
                    self._started.add(index)
                    if len(self._fingerprints) < _CHECKED_FINGERPRINTS and len(parts) > 2:
                        self._fingerprints[index] = parts[2]
                    if len(parts) > 3:
                        self._started_at[index] = float(parts[3])
                elif kind == "D":
                    if index not in self._done:
                        self.recorded_done += 1
                    self._done.add(index)

    def is_done(self, index: int) -> bool:
        """True if an earlier run recorded an outcome for ``index``."""
        return index in self._done

    def was_interrupted(self, index: int) -> bool:
        """True if an earlier run started ``index`` and never recorded its outcome."""
        return index in self._started and index not in self._done

    def started_at(self, index: int) -> float | None:
        """When an interrupted index was started (epoch seconds), if recorded."""
        return self._started_at.get(index)

    def check(self, index: int, digest: str) -> None:
        """Refuse to continue if ``index`` sends something else than when it was journaled."""
        recorded = self._fingerprints.get(index)
        if recorded is not None and recorded != digest:
            raise JournalMismatchError(
                f"{self.path}: input index {index} differs from the journaled run; "
                "use a new journal for different input"
            )

    def _write(self, line: str) -> None:
        if self._file is None:
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            self._file = self.path.open("a", encoding="utf-8", buffering=1)
            if fresh:
                self._file.write(_HEADER)
            elif self._torn_tail:
                self._file.write("\n")  # end the fragment so the next record stands alone
        self._file.write(line)
        if self.durable:
            self._file.flush()
            os.fsync(self._file.fileno())

    def start(self, index: int, digest: str) -> None:
        """Record that ``index`` is about to be sent."""
        self._started.add(index)
        self._write(f"S {index} {digest} {time.time():.3f}\n")

    def finish(self, index: int, outcome: str, detail: str) -> None:
        """Record ``index``'s outcome (``sent``/``failed``/``unknown``) and its SID or error code."""
        if index not in self._done:
            self.recorded_done += 1
        self._done.add(index)
        self._write(f"D {index} {outcome} {detail or '-'}\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
