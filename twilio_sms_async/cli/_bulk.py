"""``twilio-sms bulk``: a file of recipients in, one result per row out, resumable."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import anyio

from .._bulk import BulkSend, SendResult
from .._client import AsyncClient
from .._errors import APIError, ValidationError
from .._jobs import SharedJob, StoreUnavailableError
from .._journal import JournalMismatchError
from .._limits import Limiter, RateLimit
from ._input import BulkInput, count_rows
from ._jobs import add_job_arguments, open_job, print_status, redis_url
from ._report import ProgressDisplay, print_summary

__all__ = ["EXIT_SOME_FAILED", "EXIT_SOME_UNKNOWN", "add_bulk_parser", "run_bulk"]

EXIT_SOME_FAILED = 1
EXIT_SOME_UNKNOWN = 3
EXIT_INTERRUPTED = 130


def add_bulk_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    bulk = add(
        "bulk",
        help="send one message per row of a CSV or JSON Lines file",
        description="Columns: to (required), body, from, media_url. Ctrl-C stops reading; "
        "a second Ctrl-C abandons messages in flight (reported as unknown).",
    )
    bulk.add_argument("file", type=Path)
    bulk.add_argument("--format", choices=("csv", "jsonl"), help="default: from the file's extension")
    bulk.add_argument("--body", help="body template filled from the row's columns, e.g. 'Hi {name}'")
    bulk.add_argument("--from", dest="from_", help="sender for rows without a 'from' column")
    bulk.add_argument("--messaging-service-sid", help="send through a Messaging Service instead")
    bulk.add_argument("--concurrency", type=int, default=50, help="messages in flight (default 50)")
    bulk.add_argument("--rate", type=float, help="messages per second across all senders")
    bulk.add_argument("--journal", type=Path, help="journal file: rerun with it to resume without resending")
    bulk.add_argument("--results", type=Path, help="write one JSON line per message here")
    bulk.add_argument("--no-progress", action="store_true", help="no progress display")
    bulk.add_argument("--strict", action="store_true", help="exit 1 if any message was refused")
    add_job_arguments(bulk)


def _result_record(result: SendResult) -> dict[str, Any]:
    error = result.error
    return {
        "index": result.index,
        "to": result.request.to if result.request is not None else None,
        "outcome": str(result.outcome),
        "sid": result.message.sid if result.message is not None else None,
        "status": str(result.message.status) if result.message is not None else None,
        "error_code": error.code if isinstance(error, APIError) else None,
        "error": str(error) if error is not None else None,
    }


async def run_bulk(make_client: Callable[[Limiter | float | None], AsyncClient], args: argparse.Namespace) -> int:
    """Run the job; return the exit code.

    0: every row has a result and none is unknown (refusals are in the
    summary; ``--strict`` makes them exit 1); 3: some outcomes are unknown
    and need reconciling; 130: interrupted (resume with the journal).

    With ``--redis`` this process is one worker of a shared job: Redis is
    checked, and the job's input compared with this file, before anything
    is sent; ``--rate`` is then one budget for all the job's workers.
    """
    source = BulkInput(args.file, template=args.body, fmt=args.format)
    url = redis_url(args)
    if url is None:
        if args.job_id:
            raise ValidationError("--redis", "--job-id names a shared job: pass --redis URL (or set TWILIO_SMS_REDIS)")
        async with make_client(args.rate) as client:
            return await _run_bulk(client, args, source, count_rows(args.file, source.format), job=None)
    if args.journal:
        raise ValidationError("--journal", "a shared job journals in Redis: drop --journal when using --redis")
    if not args.job_id:
        raise ValidationError("--job-id", "a shared job needs a name: add --job-id NAME (the same on every worker)")
    from ..redis import RedisRateLimiter, connect

    redis = await connect(url)
    try:
        job = open_job(redis, args, source.format)
        limiter = None
        if args.rate:
            # One budget for every worker that sends from this account.
            key = args.account_sid or os.environ.get("TWILIO_ACCOUNT_SID") or "account"
            limiter = RedisRateLimiter(redis, RateLimit(per_second=args.rate), key=key)
        async with make_client(limiter) as client:
            code = await _run_bulk(client, args, source, None, job=job)
        status = await job.status(details=0)
        if status is not None and not args.json:
            print_status(status, brief=True)
        return code
    finally:
        await redis.aclose()


async def _run_bulk(
    client: AsyncClient, args: argparse.Namespace, source: BulkInput, total: int | None, *, job: SharedJob | None
) -> int:
    defaults: dict[str, Any] = {}
    if args.from_:
        defaults["from_"] = args.from_
    if args.messaging_service_sid:
        defaults["messaging_service_sid"] = args.messaging_service_sid
    results_file: IO[str] | None = args.results.open("w", encoding="utf-8") if args.results else None
    run = client.messages.send_many(
        source, concurrency=args.concurrency, journal=args.journal, defaults=defaults, job=job
    )
    interrupted = False
    job_failure: StoreUnavailableError | JournalMismatchError | None = None
    display = ProgressDisplay(run.progress, total=total, enabled=not args.no_progress and not args.json)
    try:
        with display:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(display.run)
                cancel_on_second = anyio.CancelScope()
                tasks.start_soon(_watch_interrupts, run, cancel_on_second)
                with cancel_on_second:
                    try:
                        async with run:
                            async for result in run:
                                if results_file is not None:
                                    results_file.write(json.dumps(_result_record(result)) + "\n")
                    except (StoreUnavailableError, JournalMismatchError) as exc:
                        job_failure = exc  # the shared job stopped this worker: report, then fail
                interrupted = cancel_on_second.cancel_called or run.stopped or job_failure is not None
                tasks.cancel_scope.cancel()
    finally:
        if results_file is not None:
            results_file.close()
    summary = run.summary
    assert summary is not None
    print_summary(summary, as_json=args.json, interrupted=interrupted)
    if job_failure is not None:
        raise job_failure
    if interrupted:
        if args.journal:
            print(f"journal written to {args.journal}: rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if summary.unknown:
        return EXIT_SOME_UNKNOWN
    return EXIT_SOME_FAILED if summary.failed and args.strict else 0


async def _watch_interrupts(run: BulkSend, abandon: anyio.CancelScope) -> None:
    """First Ctrl-C (or SIGTERM): stop reading input, let messages in flight land. Second: abandon them."""
    try:
        receiver = anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM)
    except (NotImplementedError, ValueError):  # not the main thread, or no signals on this platform
        return
    with receiver as signals:
        async for _ in signals:
            if not run.stopped:
                print(
                    "\nstopping: no new messages; waiting for those in flight (Ctrl-C again to abandon)",
                    file=sys.stderr,
                )
                run.stop()
            else:
                abandon.cancel()
                return
