"""``twilio-sms``: send, inspect and bulk-send messages from a shell; serve the sandbox.

Credentials, edge and region come from the usual ``TWILIO_*`` variables or
the flags; ``--sandbox`` runs any command against the built-in sandbox with
no account and no network. Errors print one line and exit with a code a
script can branch on; ``--debug`` shows the traceback and the debug log.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

import anyio

from .._client import AsyncClient
from .._errors import APIError, ConfigurationError, PaginationError, TransportError, ValidationError
from .._jobs import StoreUnavailableError
from .._journal import JournalMismatchError
from .._limits import Limiter
from .._models import Message
from .._retry import OutcomeUnknownError
from .._version import __version__
from ._bulk import add_bulk_parser, run_bulk
from ._jobs import add_job_parser, run_job_command

__all__ = ["EXIT_API_ERROR", "EXIT_NETWORK", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_API_ERROR = 1  # Twilio answered and refused
EXIT_USAGE = 2  # bad arguments or configuration; nothing was sent
EXIT_NETWORK = 3  # no answer: the outcome of a send may be unknown
EXIT_INTERRUPTED = 130

_MESSAGE_COLUMNS = ("sid", "status", "to", "from", "date_created", "error_code", "body")


def message_row(message: Message) -> dict[str, Any]:
    """A message as a flat JSON-friendly dict (what ``--json`` prints)."""
    return {
        "sid": message.sid,
        "status": str(message.status),
        "to": message.to,
        "from": message.from_,
        "body": message.body,
        "num_segments": message.num_segments,
        "num_media": message.num_media,
        "price": None if message.price is None else str(message.price),
        "price_unit": message.price_unit,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "date_created": message.date_created.isoformat() if message.date_created else None,
        "date_sent": message.date_sent.isoformat() if message.date_sent else None,
        "direction": None if message.direction is None else str(message.direction),
        "messaging_service_sid": message.messaging_service_sid,
    }


def _print_message(message: Message, as_json: bool) -> None:
    row = message_row(message)
    if as_json:
        print(json.dumps(row))
        return
    width = max(len(key) for key in row)
    for key, value in row.items():
        if value is not None:
            print(f"{key:<{width}}  {value}")


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # Registered on the main parser (with defaults) and on every command (without),
    # so ``twilio-sms --json list`` and ``twilio-sms list --json`` both work.
    def flag(*names: str, **kwargs: Any) -> None:
        if suppress:
            kwargs["default"] = argparse.SUPPRESS
        parser.add_argument(*names, **kwargs)

    flag("--account-sid", help="default: $TWILIO_ACCOUNT_SID")
    flag("--edge", help="default: $TWILIO_EDGE")
    flag("--region", help="default: $TWILIO_REGION")
    flag("--base-url", help="send to this host instead (a proxy or a sandbox)")
    flag("--sandbox", action="store_true", help="use the built-in sandbox: no account, no network, nothing delivered")
    flag("--json", action="store_true", help="print JSON lines instead of text")
    flag("--debug", action="store_true", help="show tracebacks and the debug log")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twilio-sms", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"twilio-sms-async {__version__}")
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add = functools.partial(commands.add_parser, parents=[common])

    send = add("send", help="send one message")
    send.add_argument("--to", required=True)
    send.add_argument("--from", dest="from_", help="sender number (or use --messaging-service-sid)")
    send.add_argument("--messaging-service-sid")
    send.add_argument("--body")
    send.add_argument("--media-url", action="append", default=None, help="repeat for several")
    send.add_argument("--status-callback")

    for name, help_text in (
        ("get", "fetch one message"),
        ("redact", "erase a message's body"),
        ("cancel", "cancel a scheduled message"),
        ("delete", "delete a message"),
    ):
        sub = add(name, help=help_text)
        sub.add_argument("sid")

    listing = add("list", help="list messages, newest first")
    listing.add_argument("--to")
    listing.add_argument("--from", dest="from_")
    listing.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    listing.add_argument("--date-sent", type=date.fromisoformat, metavar="YYYY-MM-DD", help="sent on this day (GMT)")
    listing.add_argument("--sent-after", type=date.fromisoformat, metavar="YYYY-MM-DD", help="on or after this day")
    listing.add_argument("--sent-before", type=date.fromisoformat, metavar="YYYY-MM-DD", help="on or before this day")

    add_bulk_parser(add)
    add_job_parser(add)

    serve = add("sandbox", help="serve the sandbox over HTTP for any client")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    serve.add_argument("--seed", type=int, default=0, help="seed for SIDs and faults")
    serve.add_argument("--rate-limit", type=float, help="answer 429/20429 above this many creates per second")
    serve.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    return parser


def _client(args: argparse.Namespace, rate_limit: Limiter | float | None = None) -> AsyncClient:
    if args.sandbox:
        from ..testing import SANDBOX_NUMBER, Sandbox, SandboxClock

        sandbox = Sandbox(clock=SandboxClock(manual=False))
        if getattr(args, "from_", None):
            sandbox.add_number(args.from_)
        elif args.command in ("send", "bulk") and not getattr(args, "messaging_service_sid", None):
            args.from_ = SANDBOX_NUMBER
        return sandbox.client(max_concurrency=max(100, getattr(args, "concurrency", 0) or 0), rate_limit=rate_limit)
    return AsyncClient(
        args.account_sid, edge=args.edge, region=args.region, base_url=args.base_url, rate_limit=rate_limit
    )


async def _serve(args: argparse.Namespace) -> int:
    from ..testing import Faults, Sandbox, SandboxClock

    sandbox = Sandbox(
        seed=args.seed,
        clock=SandboxClock(manual=False),
        faults=Faults(rate_limit=args.rate_limit, latency=args.latency),
    )
    async with sandbox.serve(args.host, args.port) as base_url:
        print(f"sandbox serving on {base_url}", flush=True)
        print(f"  account_sid={sandbox.account_sid} auth_token={sandbox.auth_token} from={min(sandbox.numbers)}")
        print("  Ctrl-C to stop", flush=True)
        await anyio.sleep_forever()
    return EXIT_OK


async def _run(args: argparse.Namespace) -> int:
    if args.command == "sandbox":
        return await _serve(args)
    if args.command == "job":
        return await run_job_command(args)
    if args.command == "bulk":
        return await run_bulk(functools.partial(_client, args), args)
    async with _client(args) as client:
        messages = client.messages
        if args.command == "send":
            msg = await messages.send(
                to=args.to,
                from_=args.from_,
                messaging_service_sid=args.messaging_service_sid,
                body=args.body,
                media_url=args.media_url,
                status_callback=args.status_callback,
            )
            _print_message(msg, args.json)
        elif args.command in ("get", "redact", "cancel"):
            action: Callable[[str], Awaitable[Message]] = {
                "get": messages.fetch,
                "redact": messages.redact,
                "cancel": messages.cancel,
            }[args.command]
            _print_message(await action(args.sid), args.json)
        elif args.command == "delete":
            await messages.delete(args.sid)
            print(f"deleted {args.sid}")
        elif args.command == "list":
            async for msg in messages.list(
                to=args.to,
                from_=args.from_,
                date_sent=args.date_sent,
                date_sent_after=args.sent_after,
                date_sent_before=args.sent_before,
                limit=args.limit,
            ):
                if args.json:
                    print(json.dumps(message_row(msg)))
                else:
                    row = message_row(msg)
                    print("  ".join(str(row.get(col) or "-") for col in _MESSAGE_COLUMNS))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``twilio-sms`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    try:
        return anyio.run(_run, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BaseExceptionGroup as group:
        # anyio task groups wrap one real failure; report that one.
        first = group.exceptions[0]
        if args.debug or len(group.exceptions) != 1 or not isinstance(first, Exception):
            raise
        code, kind = _classify(first)
        print(f"twilio-sms: {kind}: {first}", file=sys.stderr)
        return code
    except Exception as exc:
        if args.debug:
            raise
        code, kind = _classify(exc)
        print(f"twilio-sms: {kind}: {exc}", file=sys.stderr)
        return code


def _classify(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, (ValidationError, ConfigurationError)):
        return EXIT_USAGE, "invalid input"
    if isinstance(exc, JournalMismatchError):
        return EXIT_USAGE, "journal mismatch"
    if isinstance(exc, StoreUnavailableError):
        return EXIT_NETWORK, "Redis unavailable"
    if isinstance(exc, OSError):
        return EXIT_USAGE, "file error"
    if isinstance(exc, APIError):
        return EXIT_API_ERROR, f"Twilio error {exc.code}"
    if isinstance(exc, OutcomeUnknownError):
        return EXIT_NETWORK, "outcome unknown"
    if isinstance(exc, TransportError):
        return EXIT_NETWORK, "network error" + (" (the message may have been sent)" if exc.request_sent else "")
    if isinstance(exc, PaginationError):
        return EXIT_API_ERROR, "bad list response"
    raise exc
