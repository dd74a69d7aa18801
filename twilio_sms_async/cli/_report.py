"""Showing a bulk send: a live progress bar with rate and ETA, and a summary table.

Uses ``rich`` when it is installed (the ``cli`` extra) and the output is a
terminal; otherwise prints a plain line every few seconds to stderr, so logs
and CI stay readable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

import anyio

from .._bulk import BulkProgress, BulkSummary
from .._errors import ErrorCode

__all__ = ["ProgressDisplay", "print_summary"]


def describe_code(code: str) -> str:
    if code.isdigit():
        try:
            return ErrorCode(int(code)).name.replace("_", " ").lower()
        except ValueError:
            return "see twilio.com/docs/errors/" + code
    return code.replace("invalid:", "invalid input: ")


class ProgressDisplay:
    """Polls a progress snapshot every ``interval`` seconds and draws it."""

    def __init__(self, snapshot: Callable[[], BulkProgress], *, total: int | None, enabled: bool) -> None:
        self._snapshot = snapshot
        self._total = total
        self._enabled = enabled
        self._rich: Any = None
        self._task: Any = None
        if enabled and sys.stderr.isatty():
            try:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )
            except ImportError:
                pass
            else:
                self._rich = Progress(
                    TextColumn("[bold]sending"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]:>7.0f} msg/s"),
                    TextColumn(
                        "[green]{task.fields[sent]} sent [red]{task.fields[failed]} failed "
                        "[yellow]{task.fields[unknown]} unknown"
                    ),
                    TimeElapsedColumn(),
                    TimeRemainingColumn(),
                    transient=False,
                )

    async def run(self, interval: float = 0.1) -> None:
        """Redraw until cancelled."""
        if not self._enabled:
            return
        if self._rich is None:
            interval = 2.0
        while True:
            await anyio.sleep(interval)
            self.draw()

    def draw(self) -> None:
        p = self._snapshot()
        if self._rich is not None:
            self._rich.update(
                self._task,
                completed=p.done + p.skipped,
                rate=p.per_second,
                sent=p.sent,
                failed=p.failed,
                unknown=p.unknown,
            )
        elif self._enabled:
            total = f"/{self._total}" if self._total is not None else ""
            print(
                f"sending: {p.done + p.skipped}{total} done ({p.sent} sent, {p.failed} failed, "
                f"{p.unknown} unknown), {p.per_second:.0f} msg/s",
                file=sys.stderr,
            )

    def __enter__(self) -> ProgressDisplay:
        if self._rich is not None:
            self._rich.start()
            self._task = self._rich.add_task("send", total=self._total, rate=0.0, sent=0, failed=0, unknown=0)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._rich is not None:
            self.draw()
            self._rich.stop()


def print_summary(summary: BulkSummary, *, as_json: bool, interrupted: bool = False) -> None:
    """The final report: outcomes, failures by Twilio code, retries and throughput."""
    if as_json:
        record = {
            "sent": summary.sent,
            "failed": summary.failed,
            "unknown": summary.unknown,
            "skipped": summary.skipped,
            "failed_by_code": dict(summary.failed_by_code),
            "retries": summary.retries,
            "rate_limited": summary.rate_limited,
            "elapsed_s": round(summary.elapsed, 3),
            "per_second": round(summary.per_second, 1),
            "interrupted": interrupted,
        }
        print(json.dumps(record))
        return
    rows = [
        ("sent", str(summary.sent)),
        ("failed", str(summary.failed)),
        *((f"  {code} {describe_code(code)}", str(n)) for code, n in summary.failed_by_code.items()),
        ("unknown (may have been sent)", str(summary.unknown)),
        ("skipped (journaled earlier)", str(summary.skipped)),
        ("retries", str(summary.retries)),
        ("rate limited (429)", str(summary.rate_limited)),
        ("elapsed", f"{summary.elapsed:.2f} s"),
        ("throughput", f"{summary.per_second:,.0f} msg/s"),
    ]
    title = "bulk send interrupted" if interrupted else "bulk send complete"
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value:>10}")
        return
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in rows:
        table.add_row(label, value)
    Console().print(table)
