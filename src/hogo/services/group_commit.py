"""Group commit: concurrent captures recorded by one writer, many in one transaction.

Why: every ledger writer serialises on one lock (SQLite's write lock, PostgreSQL's ledger-head
row), so a capture that is its own transaction pays a whole BEGIN … COMMIT, and waits for every
other capture's, to append one entry; under a few hundred concurrent member pages the requests
mostly wait for the lock (issue 15). Here a request hands its already validated work to a queue
and waits; one writer thread per process takes whatever has arrived, records it in ONE write
transaction (`write_scope`) through the caller's batch function (the consent notice's:
`services.notice.record_prepared`, which appends one ledger entry per event through
`services.consent.record_event_groups`), and answers each waiting request only once that
transaction has committed. Items that arrive while a batch commits form the next batch, so
batches grow with the load and nothing waits on a timer.

All or nothing, one by one: if a batch fails, nothing of it was written (the transaction rolled
back), and its items are recorded again one per transaction, so only the bad one gets its error
and the others their results. A busy store (the lock held past `HOGO_LOCK_TIMEOUT`) fails the whole
batch at once: retrying each would only wait again. `close` records what is queued, then stops
the writer (the app's shutdown); a later `submit` starts a new one.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hogo.services.database import is_busy, write_scope

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: Items in one transaction at most: a batch's insert and its ledger entries stay short, so
#: other writers (an import's final step, a policy change) wait little for the lock.
MAX_BATCH = 256


@dataclass(frozen=True)
class _Pending(Generic[T, R]):
    item: T
    future: Future[R] = field(default_factory=Future)


_STOP = object()


class GroupCommit(Generic[T, R]):
    """One writer thread that records queued items in batches through `record(session, items)`,
    which must return one result per item, in order, and work in the session it is given."""

    def __init__(
        self, db: Engine, record: Callable[[Session, Sequence[T]], Sequence[R]], *, max_batch: int = MAX_BATCH
    ) -> None:
        self.db = db
        self.record = record
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending[T, R] | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, item: T) -> Future[R]:
        """Queue a validated item; the future is answered once its batch has committed (or with
        the item's own error). Cancelling it before its batch begins leaves it unrecorded."""
        pending: _Pending[T, R] = _Pending(item)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hogo-group-commit", daemon=True)
                self._thread.start()
            self._queue.put(pending)
        return pending.future

    def close(self) -> None:
        """Record everything queued so far, then stop the writer."""
        with self._lock:
            if self._thread is None:
                return
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            batch, stop = self._take()
            if batch:
                self._commit(batch)
            if stop:
                return

    def _take(self) -> tuple[list[_Pending[T, R]], bool]:
        """The next batch: the first item (waiting for it), then whatever else has arrived."""
        batch: list[_Pending[T, R]] = []
        first = self._queue.get()
        while first is not _STOP:
            assert isinstance(first, _Pending)
            batch.append(first)
            if len(batch) >= self.max_batch:
                return batch, False
            try:
                first = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True

    def _commit(self, batch: list[_Pending[T, R]]) -> None:
        live = [p for p in batch if p.future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            results = self._write([p.item for p in live])
        except Exception as exc:
            if len(live) == 1 or is_busy(exc):
                for p in live:
                    p.future.set_exception(exc)
                return
            log.info(
                "group commit: a batch of %d failed (%s); recording one by one", len(live), type(exc).__name__
            )
            for p in live:
                self._one(p)
            return
        for p, result in zip(live, results, strict=True):
            p.future.set_result(result)

    def _one(self, pending: _Pending[T, R]) -> None:
        try:
            (result,) = self._write([pending.item])
        except Exception as exc:
            pending.future.set_exception(exc)
        else:
            pending.future.set_result(result)

    def _write(self, items: list[T]) -> Sequence[R]:
        """One write transaction: the results exist only once it has committed."""
        with write_scope(self.db) as session:
            results = self.record(session, items)
            if len(results) != len(items):  # before the commit: a wrong batch function writes nothing
                raise RuntimeError("group commit: one result per item expected")
        return results
