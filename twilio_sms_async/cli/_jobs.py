"""``twilio-sms bulk --redis URL --job-id ID`` and ``twilio-sms job status|delete ID``.

One job id names one input: the id is tied to a digest of the file and of
the options that shape its messages, so a worker started with another file
or template is refused before it sends anything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._errors import ValidationError
from ._input import count_rows
from ._report import describe_code

if TYPE_CHECKING:
    from ..redis import JobStatus, RedisJob
    from ..redis._connect import Redis

__all__ = [
    "add_job_arguments",
    "add_job_parser",
    "open_job",
    "print_status",
    "redis_url",
    "run_job_command",
]


def add_job_arguments(bulk: argparse.ArgumentParser) -> None:
    """The scale-out flags of ``bulk``."""
    group = bulk.add_argument_group(
        "shared job (Redis)", "start the same command on several machines: they split the file and send each row once"
    )
    group.add_argument(
        "--redis", metavar="URL", help="Redis URL, e.g. redis://host:6379/0 (default: $TWILIO_SMS_REDIS)"
    )
    group.add_argument("--job-id", help="the shared job's name; the same file and options on every worker")
    group.add_argument("--chunk-size", type=int, default=1000, help="rows claimed at a time (default 1000)")
    group.add_argument("--lease", type=float, default=30.0, help="seconds before a silent worker's rows are taken over")
    group.add_argument("--worker-id", help="this worker's name in `job status` (default host:pid:random)")


def add_job_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    job = add("job", help="inspect or delete a shared bulk job (Redis)")
    job.add_argument("action", choices=("status", "delete"))
    job.add_argument("job_id")
    job.add_argument("--redis", metavar="URL", help="default: $TWILIO_SMS_REDIS")
    job.add_argument("--show", type=int, default=20, metavar="N", help="list up to N rows not sent (default 20)")


def redis_url(args: argparse.Namespace) -> str | None:
    url: str | None = getattr(args, "redis", None) or os.environ.get("TWILIO_SMS_REDIS")
    return url


def open_job(redis: Redis, args: argparse.Namespace, fmt: str) -> RedisJob:
    """This worker's handle on the job, tied to the file's rows and digest (read in one pass)."""
    from ..redis import RedisJob

    digest = hashlib.sha256()
    total = count_rows(args.file, fmt, on_line=digest.update)
    for option in (args.format, args.body, args.from_, args.messaging_service_sid):
        digest.update(b"\x00" + (option or "").encode())
    return RedisJob(
        redis,
        args.job_id,
        total=total,
        input_id=f"{args.file.name}:{total}:{digest.hexdigest()[:16]}",
        chunk_size=args.chunk_size,
        lease=args.lease,
        worker_id=args.worker_id,
    )


async def run_job_command(args: argparse.Namespace) -> int:
    """``job status ID`` (exit 0 when complete, 3 with unknown outcomes, 1 while unfinished) or ``job delete ID``."""
    from ..redis import RedisJob, connect  # the optional extra: imported only when used

    url = redis_url(args)
    if url is None:
        raise ValidationError("--redis", "where is the job? pass --redis URL or set TWILIO_SMS_REDIS")
    redis = await connect(url)
    try:
        async with RedisJob(redis, args.job_id) as job:
            if args.action == "delete":
                removed = await job.delete()
                print(f"deleted job {args.job_id} ({removed} keys)" if removed else f"no job {args.job_id}")
                return 0
            status = await job.status(details=args.show)
    finally:
        await redis.aclose()
    if status is None:
        raise ValidationError("job_id", f"there is no job {args.job_id!r} in that Redis")
    if args.json:
        print(json.dumps(_status_record(status)))
    else:
        print_status(status)
    if not status.complete:
        return 1
    return 3 if status.unknown else 0


def _status_record(status: JobStatus) -> dict[str, Any]:
    return {
        "job_id": status.job_id,
        "total": status.total,
        "done": status.done,
        "complete": status.complete,
        "sent": status.sent,
        "failed": status.failed,
        "unknown": status.unknown,
        "in_flight": status.in_flight,
        "active_chunks": status.active_chunks,
        "failed_by_code": dict(status.failed_by_code),
        "workers": {name: seen.isoformat() for name, seen in status.workers.items()},
        "not_sent": {str(index): what for index, what in status.not_sent.items()},
        "input_id": status.input_id,
        "created": status.created.isoformat(),
    }


def print_status(status: JobStatus, *, brief: bool = False) -> None:
    """The job's progress for people; ``brief`` is the one-line form a worker prints as it exits."""
    state = "complete" if status.complete else "running" if status.workers else "unfinished (no worker running)"
    percent = 100 * status.done / status.total if status.total else 100.0
    print(f"job {status.job_id}: {state}, {status.done:,} of {status.total:,} rows ({percent:.1f}%)")
    if brief:
        return
    print(f"  sent                          {status.sent:>10,}")
    print(f"  failed                        {status.failed:>10,}")
    for code, n in status.failed_by_code.items():
        print(f"    {code:<6} {describe_code(code):<21}{n:>10,}")
    print(f"  unknown (may have been sent)  {status.unknown:>10,}")
    print(f"  in flight                     {status.in_flight:>10,}")
    for name, seen in status.workers.items():
        print(f"  worker {name} (last seen {seen:%H:%M:%S} UTC)")
    if status.not_sent:
        print("  rows not sent (row: outcome detail):")
        for index, what in status.not_sent.items():
            print(f"    {index}: {what}")
