"""``client.messages.send_many``: fan out any number of messages, each accounted for.

A fixed pool of workers takes items straight from the input, sync or async
and never materialised: an item is read only when a worker is free to send
it, so a slow network slows the reading, and memory is O(concurrency)
whatever the input's size (design-notes.md §3). Results reach an iterating
caller through a small bounded channel; ``send_all`` skips even that.

Every input index ends in exactly one :class:`SendResult`: ``sent``,
``failed`` (Twilio refused, or certainly never saw it), or ``unknown`` (it
may exist: reconcile before resending). Results are yielded as they land,
recorded in the optional journal, and counted in the summary, including
those the caller stopped reading or that a cancellation interrupted.
"""

from __future__ import annotations

import enum
import time
from collections import Counter, deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import anyio
import attrs
from anyio.abc import TaskGroup

from ._errors import APIError, TwilioError, ValidationError
from ._jobs import Claim, SharedJob, StoreUnavailableError, chunked_items, describe_input
from ._journal import Journal, JournalMismatchError, fingerprint
from ._models import Message
from ._requests import MessageRequest
from ._retry import OutcomeUnknownError, RetryPolicy

if TYPE_CHECKING:
    import os

    from ._messages import MessagesResource

__all__ = ["BulkProgress", "BulkSend", "BulkSummary", "Outcome", "SendResult"]

#: An input item: a request, a mapping of send()'s keywords, or an error
#: standing for a row the reader could not turn into a request.
RequestLike = MessageRequest | Mapping[str, Any] | TwilioError


class Outcome(enum.StrEnum):
    """How one message of a bulk send ended."""

    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


@attrs.frozen(kw_only=True)
class SendResult:
    """The single result of input number :attr:`index`."""

    index: int
    outcome: Outcome
    request: MessageRequest | None = None
    message: Message | None = None
    error: BaseException | None = attrs.field(default=None, eq=False)

    @property
    def error_code(self) -> int | None:
        """Twilio's code for a refused message (``None`` otherwise)."""
        return self.error.code if isinstance(self.error, APIError) else None


@attrs.frozen(kw_only=True)
class BulkProgress:
    """A snapshot of a running bulk send."""

    read: int
    sent: int
    failed: int
    unknown: int
    skipped: int
    elapsed: float

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unknown

    @property
    def in_flight(self) -> int:
        return max(0, self.read - self.skipped - self.done)

    @property
    def per_second(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


@attrs.frozen(kw_only=True)
class BulkSummary(BulkProgress):
    """The final count of a bulk send: outcomes, failures by Twilio code, retries, throughput."""

    failed_by_code: Mapping[str, int] = attrs.field(factory=dict)
    retries: int = 0
    rate_limited: int = 0


def _failure_key(error: BaseException | None) -> str:
    if isinstance(error, APIError):
        return str(error.code)
    if isinstance(error, ValidationError):
        return f"invalid:{error.field}"
    return type(error).__name__ if error is not None else "unknown"


def _raise_single(group: BaseExceptionGroup[BaseException]) -> NoReturn:
    """One real failure (a journal mismatch, say) reads better unwrapped; otherwise re-raise the group."""
    real = [e for e in group.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())]
    if len(real) == 1 and isinstance(real[0], Exception):
        raise real[0] from group
    raise group


class _ResultChannel:
    """A bounded hand-off of results from workers to one reader.

    Lighter than an anyio memory stream (no checkpoint on every put and get
    when nobody has to wait), which matters at thousands of results a second.
    """

    def __init__(self, capacity: int, senders: int) -> None:
        self._items: deque[SendResult] = deque()
        self._capacity = capacity
        self._senders = senders
        self._readable = anyio.Event()
        self._writable = anyio.Event()

    async def put(self, item: SendResult) -> None:
        while len(self._items) >= self._capacity:
            if self._writable.is_set():
                self._writable = anyio.Event()
            await self._writable.wait()
        self._items.append(item)
        self._readable.set()

    def sender_done(self) -> None:
        self._senders -= 1
        self._readable.set()

    def __aiter__(self) -> _ResultChannel:
        return self

    async def __anext__(self) -> SendResult:
        while not self._items:
            if self._senders <= 0:
                raise StopAsyncIteration
            if self._readable.is_set():
                self._readable = anyio.Event()
                continue
            await self._readable.wait()
        item = self._items.popleft()
        self._writable.set()
        return item


class BulkSend:
    """A running bulk send; use it as ``async with client.messages.send_many(...) as results:``.

    Iterate ``results`` for each :class:`SendResult` as it lands. Read
    :meth:`progress` at any time and :attr:`summary` after the block.
    :meth:`stop` stops reading input and lets messages in flight finish.
    Leaving the block early also stops; the remaining in-flight results are
    then still journaled and counted. Cancelling the block records the
    messages it interrupts as ``unknown``.
    """

    def __init__(
        self,
        messages: MessagesResource,
        requests: Iterable[RequestLike] | AsyncIterable[RequestLike],
        *,
        concurrency: int,
        journal: str | os.PathLike[str] | Journal | None,
        defaults: Mapping[str, Any] | None,
        retry: RetryPolicy | None,
        on_result: Callable[[SendResult], None] | None,
        job: SharedJob | None = None,
    ) -> None:
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError("concurrency", "must be a whole number >= 1")
        if job is not None and journal is not None:
            raise ValidationError("journal", "a shared job keeps its own journal; pass job= or journal=, not both")
        self._messages = messages
        self._input = requests
        self._concurrency = concurrency
        self._journal = journal if isinstance(journal, Journal) or journal is None else Journal(journal)
        self._defaults = dict(defaults or {})
        self._retry = retry
        self._on_result = on_result
        self._counts: Counter[Outcome] = Counter()
        self._failed_by_code: Counter[str] = Counter()
        self._read = 0
        self._skipped = 0
        self._started = 0.0
        self._finished: float | None = None
        self._stats_before = (0, 0)
        self._task_group: TaskGroup | None = None
        self._sync_input: Iterator[RequestLike] | None = None
        self._async_input: AsyncIterator[Any] | None = None
        self._input_lock = anyio.Lock()
        self._read_scope: anyio.CancelScope | None = None
        self._exhausted = False
        self._stopping = False
        self._stopped = False
        self._channel: _ResultChannel | None = None
        self._job = job
        self._indexed = False  # input yields (index, item): a shared job's chunks
        self._working = 0
        self._workers_done: anyio.Event | None = None
        self._job_error: TwilioError | None = None  # the shared store failed: raised at the end
        self.summary: BulkSummary | None = None

    # -- lifecycle ---------------------------------------------------------

    async def __aenter__(self) -> BulkSend:
        return await self._start(streaming=True)

    async def _start(self, *, streaming: bool) -> BulkSend:
        if self._task_group is not None:
            raise RuntimeError("a BulkSend runs once; call send_many() again for another run")
        stats = self._messages._session.stats
        self._stats_before = (stats.retries, stats.rate_limited)
        self._started = time.monotonic()
        if self._job is not None:
            # Joining checks the input against the job before anything is sent.
            job = self._job
            try:
                total, input_id = job.input_identity or await describe_input(self._input)
                await job.join(total=total, input_id=input_id)
            except BaseException:
                await self._close_job()
                raise
            self._async_input = aiter(chunked_items(job, self._input))
            self._indexed = True
        elif isinstance(self._input, AsyncIterable):
            self._async_input = aiter(self._input)
        else:
            self._sync_input = iter(self._input)
        if streaming:
            self._channel = _ResultChannel(self._concurrency, self._concurrency)
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._working = self._concurrency
        for _ in range(self._concurrency):
            self._task_group.start_soon(self._work)
        if self._job is not None:
            self._workers_done = anyio.Event()
            self._task_group.start_soon(self._keep_leases, self._job, self._workers_done)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._task_group is not None
        try:
            if exc is None:
                # Left early without an error: stop reading input, let the
                # messages in flight land, and account for them.
                self._halt()
                if self._channel is not None:
                    async for _ in self._channel:
                        pass
            else:
                self._task_group.cancel_scope.cancel()
            try:
                suppress = await self._task_group.__aexit__(exc_type, exc, tb)
            except BaseExceptionGroup as group:
                _raise_single(group)
        finally:
            await self._close_job()
            self._finish()
        if self._job_error is not None and exc is None:
            raise self._job_error
        return suppress

    async def run_to_end(self) -> BulkSummary:
        """Send everything without streaming results (``on_result`` still sees each one)."""
        await self._start(streaming=False)
        assert self._task_group is not None
        try:
            await self._task_group.__aexit__(None, None, None)
        except BaseExceptionGroup as group:
            _raise_single(group)
        finally:
            await self._close_job()
            self._finish()
        if self._job_error is not None:
            raise self._job_error
        assert self.summary is not None
        return self.summary

    async def _close_job(self) -> None:
        if self._job is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                await self._job.close()
            except (StoreUnavailableError, JournalMismatchError) as exc:
                # The outcomes stay in this run's results; the job reports those
                # indices unknown on resume (or was deleted), which is safe.
                self._job_error = self._job_error or exc

    async def _keep_leases(self, job: SharedJob, workers_done: anyio.Event) -> None:
        """Renew this worker's chunk leases until its workers are done."""
        while True:
            with anyio.move_on_after(job.lease_seconds / 3):
                await workers_done.wait()
                return
            try:
                await job.renew()
            except StoreUnavailableError as exc:
                self._store_failed(exc)
                return

    def _store_failed(self, exc: StoreUnavailableError) -> None:
        """The shared store is gone: send nothing more; what is in flight still lands."""
        self._job_error = self._job_error or exc
        self._halt()

    def _halt(self) -> None:
        self._stopping = True
        if self._read_scope is not None:
            self._read_scope.cancel()

    def stop(self) -> None:
        """Read no more input; messages already in flight still finish and are reported."""
        self._stopped = True
        self._halt()

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called (by the caller, not by the input running out)."""
        return self._stopped

    def __aiter__(self) -> AsyncIterator[SendResult]:
        if self._channel is None:
            raise RuntimeError("use `async with client.messages.send_many(...) as results:` to run a bulk send")
        return self._channel

    # -- reporting ---------------------------------------------------------

    def progress(self) -> BulkProgress:
        """Counts so far."""
        return BulkProgress(
            read=self._read,
            sent=self._counts[Outcome.SENT],
            failed=self._counts[Outcome.FAILED],
            unknown=self._counts[Outcome.UNKNOWN],
            skipped=self._skipped,
            elapsed=self._elapsed(),
        )

    def _elapsed(self) -> float:
        end = self._finished if self._finished is not None else time.monotonic()
        return end - self._started if self._started else 0.0

    def _finish(self) -> None:
        if self._finished is None:
            self._finished = time.monotonic()
        if self._journal is not None:
            self._journal.close()
        stats = self._messages._session.stats
        progress = self.progress()
        self.summary = BulkSummary(
            **attrs.asdict(progress, recurse=False),
            failed_by_code=dict(self._failed_by_code.most_common()),
            retries=stats.retries - self._stats_before[0],
            rate_limited=stats.rate_limited - self._stats_before[1],
        )

    def _record(self, result: SendResult) -> SendResult:
        self._counts[result.outcome] += 1
        if result.outcome is Outcome.FAILED:
            self._failed_by_code[_failure_key(result.error)] += 1
        if self._journal is not None or self._job is not None:
            detail = result.message.sid if result.message is not None else _failure_key(result.error)
            if self._journal is not None:
                self._journal.finish(result.index, str(result.outcome), detail)
            if self._job is not None:
                self._job.record(result.index, str(result.outcome), detail)
        if self._on_result is not None:
            self._on_result(result)
        return result

    # -- the pipeline ------------------------------------------------------

    async def _next_item(self) -> tuple[int, Any] | None:
        """Take the next input item and its index, or None when the input is done or stopped."""
        if self._stopping or self._exhausted:
            return None
        if self._sync_input is not None:
            # No await between taking the item and numbering it: safe without a lock.
            try:
                item: Any = next(self._sync_input)
            except StopIteration:
                self._exhausted = True
                return None
        else:
            assert self._async_input is not None
            async with self._input_lock:
                if self._stopping or self._exhausted:
                    return None
                with anyio.CancelScope() as scope:
                    self._read_scope = scope
                    try:
                        item = await anext(self._async_input)
                    except StopAsyncIteration:
                        self._exhausted = True
                        return None
                    finally:
                        self._read_scope = None
                if scope.cancelled_caught:
                    return None
        if self._indexed:
            self._read += 1
            return item  # type: ignore[no-any-return]  # (index, item) from chunked_items
        index = self._read
        self._read += 1
        return index, item

    async def _work(self) -> None:
        channel = self._channel
        skipped_in_a_row = 0
        try:
            while (claimed := await self._next_item()) is not None:
                index, item = claimed
                if self._job is not None:
                    outcome = await self._shared_one(self._job, index, item)
                else:
                    outcome = await self._journaled_one(index, item)
                if outcome is None:
                    self._skipped += 1
                    skipped_in_a_row += 1
                    if skipped_in_a_row % 1024 == 0:
                        await anyio.lowlevel.checkpoint()  # a long resumed prefix must not starve the loop
                    continue
                skipped_in_a_row = 0
                result = self._record(outcome)
                if channel is not None:
                    await channel.put(result)
        except StoreUnavailableError as exc:
            self._store_failed(exc)
        finally:
            self._working -= 1
            if self._working == 0 and self._workers_done is not None:
                self._workers_done.set()
            if channel is not None:
                channel.sender_done()

    async def _journaled_one(self, index: int, item: Any) -> SendResult | None:
        """Send ``index``, report it interrupted by an earlier run, or skip it (None) as done."""
        journal = self._journal
        if journal is not None:
            if journal.is_done(index):
                return None
            if journal.was_interrupted(index):
                return self._interrupted_journaled(index, item, journal)
        return await self._send_one(index, item)

    async def _shared_one(self, job: SharedJob, index: int, item: Any) -> SendResult | None:
        """Claim ``index`` in the shared job, then send it, report it interrupted, or skip it (None)."""
        if self._stopping:
            return None  # not claimed: it stays for this job's next worker
        try:
            claim, started, worker = await job.claim(index)
        except BaseException:
            job.release(index)  # whether or not the claim landed, it was not sent
            raise
        if claim is Claim.DONE:
            return None
        if claim is Claim.INTERRUPTED:
            return self._interrupted(index, item, started, reason=f"its worker {worker} stopped mid-send")
        result = await self._send_one(index, item)
        if isinstance(result.error, StoreUnavailableError):
            # The shared limiter lost Redis before the request left: not sent,
            # so not an outcome. Un-claim it for whoever resumes the job.
            job.release(index)
            self._store_failed(result.error)
            return None
        return result

    def _interrupted(
        self, index: int, item: Any, started: float | None, *, reason: str = "an earlier run stopped mid-send"
    ) -> SendResult:
        try:
            request = self._coerce(item)
        except TwilioError as exc:
            return SendResult(index=index, outcome=Outcome.UNKNOWN, error=exc)
        when = datetime.fromtimestamp(started, UTC) if started else datetime.now(UTC)
        error = OutcomeUnknownError(request, attempt=0, started_at=when, reason=reason)
        return SendResult(index=index, outcome=Outcome.UNKNOWN, request=request, error=error)

    def _interrupted_journaled(self, index: int, item: Any, journal: Journal) -> SendResult:
        result = self._interrupted(index, item, journal.started_at(index))
        if result.request is not None:
            journal.check(index, fingerprint(result.request.to, result.request.body))
        return result

    def _coerce(self, item: Any) -> MessageRequest:
        if isinstance(item, TwilioError):
            raise item  # an input reader's way to fail one row without losing its index
        if self._defaults and isinstance(item, Mapping):
            item = {**self._defaults, **item}
        return MessageRequest.coerce(item)

    async def _send_one(self, index: int, item: Any) -> SendResult:
        try:
            request = self._coerce(item)
        except TwilioError as exc:
            return SendResult(index=index, outcome=Outcome.FAILED, error=exc)
        journal = self._journal
        if journal is not None:
            digest = fingerprint(request.to, request.body)
            journal.check(index, digest)
            journal.start(index, digest)
        try:
            message = await self._messages._create(request, self._retry or self._messages._session.retry)
        except OutcomeUnknownError as exc:
            return SendResult(index=index, outcome=Outcome.UNKNOWN, request=request, error=exc)
        except TwilioError as exc:
            return SendResult(index=index, outcome=Outcome.FAILED, request=request, error=exc)
        except anyio.get_cancelled_exc_class():
            # Interrupted mid-send: it may have reached Twilio. Count and
            # journal it (synchronously, so nothing can interrupt that) first.
            error = OutcomeUnknownError(request, attempt=1, started_at=datetime.now(UTC), reason="cancelled mid-send")
            self._record(SendResult(index=index, outcome=Outcome.UNKNOWN, request=request, error=error))
            raise
        except Exception as exc:  # a transport or bug we cannot classify: it may have been sent
            return SendResult(index=index, outcome=Outcome.UNKNOWN, request=request, error=exc)
        return SendResult(index=index, outcome=Outcome.SENT, request=request, message=message)
