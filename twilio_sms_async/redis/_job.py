"""``RedisJob``: one bulk send shared by any number of workers through Redis.

Keys, all under one hash tag so a cluster keeps them on one node
(``{prefix}:job:{<id>}:...``):

- ``meta``: total, input id, chunk size, lease, creation time
- ``next``, ``active``, ``lease:<chunk>``: the chunk hand-out and its leases
- ``started``, ``done``: one bit per index; ``inflight``: who started what, when
- ``counts``, ``codes``: outcomes, and failures by Twilio code
- ``details``: the outcome of every index that did not end ``sent``
- ``chunkdone``, ``workers``: progress per chunk, and who was last seen when

A million-message job costs Redis about 250 KB of bits plus a few dozen
bytes per failed or unknown message. SIDs of sent messages are not stored:
they are in each worker's own results (``on_result``, ``--results``).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
import attrs
import redis.exceptions

from .._jobs import Claim, Claimed, StoreUnavailableError
from .._journal import JournalMismatchError
from ._connect import Redis, RedisHandle, store_errors
from ._scripts import CLAIM, JOIN, NEXT_CHUNK, RELEASE, RENEW

__all__ = ["JobStatus", "RedisJob"]

_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")
_CLAIMS = {"send": Claim.SEND, "done": Claim.DONE, "interrupted": Claim.INTERRUPTED}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@attrs.frozen(kw_only=True)
class JobStatus:
    """A shared job's state as Redis holds it (what ``twilio-sms job status`` prints)."""

    job_id: str
    total: int
    input_id: str
    created: datetime
    sent: int
    failed: int
    unknown: int
    in_flight: int
    active_chunks: int
    workers: Mapping[str, datetime]
    failed_by_code: Mapping[str, int]
    #: Up to ``details`` indices that did not end ``sent``: index -> "outcome detail".
    not_sent: Mapping[int, str]

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unknown

    @property
    def complete(self) -> bool:
        return self.done >= self.total


class RedisJob:
    """A bulk send that every worker running ``send_many(..., job=RedisJob(redis, job_id))`` shares.

    ``redis`` is a ``redis.asyncio.Redis`` or a URL. ``total`` and
    ``input_id`` identify the input (the CLI hashes the file); without them
    the input is read once to count and digest it. A worker holds up to one
    chunk of ``chunk_size`` indices at a time under a lease of ``lease``
    seconds, renewed while it runs; a chunk whose lease lapses is taken
    over, and its interrupted indices are reported ``unknown``.
    """

    def __init__(
        self,
        redis: Redis | str,
        job_id: str,
        *,
        total: int | None = None,
        input_id: str | None = None,
        chunk_size: int = 1000,
        lease: float = 30.0,
        worker_id: str | None = None,
        prefix: str = "twilio-sms",
    ) -> None:
        if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
            raise ValueError("job_id: 1-200 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")
        if chunk_size < 1:
            raise ValueError("chunk_size: must be >= 1")
        if not lease >= 1.0:
            raise ValueError("lease: seconds >= 1 (a worker renews every lease/3)")
        if (total is None) != (input_id is None):
            raise ValueError("total and input_id: pass both or neither")
        self._redis = RedisHandle(redis)
        self._job_id = job_id
        self._identity = None if total is None or input_id is None else (total, input_id)
        self.chunk_size = chunk_size
        self._lease_ms = int(lease * 1000)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._prefix = f"{prefix}:job:{{{job_id}}}:"
        self._total = 0
        self._held: set[int] = set()
        self._pending: list[str] = []
        self._claims: list[tuple[int, asyncio.Future[tuple[str, str]]]] = []
        self._claiming = False

    def __repr__(self) -> str:
        return f"<RedisJob {self._job_id!r} worker={self.worker_id!r}>"

    @property
    def job_id(self) -> str:
        return self._job_id

    @property
    def input_identity(self) -> tuple[int, str] | None:
        return self._identity

    @property
    def lease_seconds(self) -> float:
        return self._lease_ms / 1000

    def _key(self, name: str) -> str:
        return self._prefix + name

    async def _run(self, source: str, keys: list[str], args: list[Any], doing: str) -> Any:
        try:
            return await self._redis.run(source, keys, args, doing)
        except redis.exceptions.ResponseError as exc:
            if str(exc).startswith("NOJOB"):
                raise JournalMismatchError(
                    f"job {self._job_id} was deleted while this worker ran: it sends nothing more"
                ) from None
            raise

    # -- SharedJob -----------------------------------------------------------

    async def join(self, *, total: int, input_id: str) -> None:
        """Create the job or check it was made for this input; raise :class:`JournalMismatchError` if not."""
        recorded = await self._run(
            JOIN,
            [self._key("meta")],
            [total, input_id, self.chunk_size, self._lease_ms],
            f"joining job {self._job_id}",
        )
        job_total, job_input, job_chunk = (_text(v) for v in recorded)
        if int(job_total) != total or job_input != input_id:
            raise JournalMismatchError(
                f"job {self._job_id} was started for other input ({job_total} messages, input {job_input}); "
                f"this input has {total} messages (input {input_id}). Nothing was sent: "
                "use the same file and options, or a new --job-id"
            )
        self._total = total
        self.chunk_size = int(job_chunk)  # the job's, whatever this worker was told

    async def next_chunk(self) -> range | None:
        poll = min(0.25, self._lease_ms / 4000)
        while True:
            await self._flush()
            chunk = int(
                await self._run(
                    NEXT_CHUNK,
                    [self._key("meta"), self._key("next"), self._key("active"), self._key("workers")],
                    [self.worker_id, self._lease_ms, self._prefix],
                    "handing out a chunk",
                )
            )
            if chunk >= 0:
                self._held.add(chunk)
                start = chunk * self.chunk_size
                return range(start, min(self._total, start + self.chunk_size))
            if chunk == -2:
                return None
            # Other workers hold the last chunks: stay to take them over if they die.
            await anyio.sleep(poll)

    async def claim(self, index: int) -> Claimed:
        # Claims made while one is on its way are batched into the next round
        # trip: each index is still claimed before it is sent, at a fraction of
        # redis-py's per-call cost.
        future: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()
        self._claims.append((index, future))
        if not self._claiming:
            await self._lead_claims()
        verdict, who = await future
        claim = _CLAIMS[verdict]
        if claim is not Claim.INTERRUPTED or not who:
            return Claimed(claim)
        worker, _, when = who.rpartition(" ")
        if worker == self.worker_id:
            # Our own claim, answered twice (redis-py retried a lost reply): not sent yet.
            return Claimed(Claim.SEND)
        try:
            return Claimed(claim, float(when), worker)
        except ValueError:
            return Claimed(claim, None, who)

    async def _lead_claims(self) -> None:
        self._claiming = True
        try:
            while self._claims:
                batch, self._claims = self._claims, []
                try:
                    answers = await self._store([i for i, _ in batch])
                except BaseException as exc:
                    self._fail(batch, exc)
                    raise
                for (_, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._claiming = False
            if self._claims:  # queued behind a failed batch: nobody will send them
                queued, self._claims = self._claims, []
                self._fail(queued, StoreUnavailableError(f"job {self._job_id}: a claim was interrupted"))

    @staticmethod
    def _fail(batch: list[tuple[int, asyncio.Future[tuple[str, str]]]], exc: BaseException) -> None:
        error = exc if isinstance(exc, Exception) else StoreUnavailableError("a claim was interrupted")
        for _, future in batch:
            if not future.done():
                future.set_exception(error)
                future.exception()  # a follower cancelled meanwhile must not log "never retrieved"

    def record(self, index: int, outcome: str, detail: str) -> None:
        self._pending += (str(index), outcome, detail.replace(" ", "_") or "-")

    def release(self, index: int) -> None:
        self._pending += (str(index), "release", "-")

    async def renew(self) -> None:
        if not self._held:
            return
        gone = await self._run(
            RENEW, [], [self.worker_id, self._lease_ms, self._prefix, *sorted(self._held)], "renewing leases"
        )
        self._held.difference_update(int(c) for c in gone)

    async def close(self, *, grace: float = 10.0) -> None:
        """Store pending outcomes (retrying for up to ``grace`` seconds), release leases, disconnect."""
        try:
            await self._flush_within(grace)
            if self._redis.opened:
                await self._run(
                    RELEASE,
                    [self._key("workers")],
                    [self.worker_id, self._prefix, *sorted(self._held)],
                    "releasing leases",
                )
                self._held.clear()
        finally:
            await self.aclose()

    async def _flush_within(self, grace: float) -> None:
        try:
            with anyio.fail_after(grace):
                while True:
                    try:
                        await self._flush()
                        return
                    except StoreUnavailableError:
                        await anyio.sleep(0.5)
        except TimeoutError:
            raise StoreUnavailableError(
                f"job {self._job_id}: {len(self._pending) // 3} outcomes could not be stored; "
                "the job will report those messages unknown (this run's results have them)"
            ) from None

    # -- internals -------------------------------------------------------------

    async def _flush(self) -> None:
        if self._pending and not self._claiming:
            await self._store([])

    async def _store(self, indices: list[int]) -> list[tuple[str, str]]:
        """One round trip: store pending outcomes, claim ``indices``."""
        pending, self._pending = self._pending, []
        keys = [
            self._key(name)
            for name in ("meta", "started", "done", "inflight", "counts", "codes", "details", "chunkdone", "active")
        ]
        try:
            answers = await self._run(
                CLAIM,
                keys,
                [self.worker_id, self._prefix, len(indices), *indices, *pending],
                "claiming messages",
            )
        except BaseException:
            self._pending[:0] = pending  # not stored: keep them for the next try or close()
            raise
        return [(_text(verdict), _text(who)) for verdict, who in answers]

    # -- inspection --------------------------------------------------------------

    async def status(self, *, details: int = 100) -> JobStatus | None:
        """The job's progress, or None if there is no such job."""
        client = await self._redis.client()
        with store_errors(client, f"reading job {self._job_id}"):
            async with client.pipeline(transaction=True) as pipe:
                pipe.hgetall(self._key("meta"))
                pipe.hgetall(self._key("counts"))
                pipe.hgetall(self._key("codes"))
                pipe.hlen(self._key("inflight"))
                pipe.scard(self._key("active"))
                pipe.hgetall(self._key("workers"))
                meta, counts, codes, in_flight, active, workers = await pipe.execute()
            not_sent: dict[int, str] = {}
            if meta and details > 0:
                async for field, value in client.hscan_iter(self._key("details"), count=500):
                    not_sent[int(_text(field))] = _text(value)
                    if len(not_sent) >= details:
                        break
        if not meta:
            return None
        meta = {_text(k): _text(v) for k, v in meta.items()}
        counts = {_text(k): int(v) for k, v in counts.items()}
        return JobStatus(
            job_id=self._job_id,
            total=int(meta["total"]),
            input_id=meta["input_id"],
            created=datetime.fromtimestamp(float(meta["created"]), UTC),
            sent=counts.get("sent", 0),
            failed=counts.get("failed", 0),
            unknown=counts.get("unknown", 0),
            in_flight=int(in_flight),
            active_chunks=int(active),
            workers={_text(k): datetime.fromtimestamp(float(v), UTC) for k, v in workers.items()},
            failed_by_code={_text(k): int(v) for k, v in sorted(codes.items(), key=lambda kv: -int(kv[1])) if int(v)},
            not_sent=dict(sorted(not_sent.items())),
        )

    async def delete(self) -> int:
        """Remove every key of the job (it can then be started afresh); return how many."""
        client = await self._redis.client()
        with store_errors(client, f"deleting job {self._job_id}"):
            keys = [key async for key in client.scan_iter(match=_glob_escape(self._prefix) + "*", count=1000)]
            return int(await client.delete(*keys)) if keys else 0

    async def __aenter__(self) -> RedisJob:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close a connection this job opened from a URL (for :meth:`status` and :meth:`delete`)."""
        await self._redis.aclose()


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\{}])", r"\\\1", text)
