"""The engine under the store: SQLite/PostgreSQL setup, transactions, and busy retries.

SQLite notes (why the setup looks like this):

* WAL mode lets readers run while one process writes; ``synchronous=NORMAL``
  is the setting SQLite recommends with WAL: a commit is durable once the WAL
  is synced at checkpoint, so a power cut can lose the last few commits but
  never corrupts the database, and an application crash loses nothing. Run
  records are bookkeeping, so that trade buys ~10x cheaper commits.
* pysqlite's own transaction handling is switched off and ``BEGIN`` is
  emitted here, so that write transactions start with ``BEGIN IMMEDIATE``:
  the write lock is taken up front, where ``busy_timeout`` waits for it,
  instead of failing mid-transaction when a read lock cannot be upgraded.
* "database is locked" that still escapes (busy_timeout elapsed, or the WAL
  switch at creation) is retried with :func:`flow.pipeline.backoff`, re-running
  the whole transaction, until a deadline; then :class:`StoreBusyError`.

PostgreSQL: serialization failures and deadlocks (SQLSTATE 40001/40P01) are
retried the same way.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool, StaticPool

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import StoreBusyError, StoreError, StoreURLError
from ..pipeline import backoff
from ._url import redact_url

__all__ = ["Database", "dialect_insert"]

T = TypeVar("T")

#: How long SQLite itself waits for a lock before reporting "database is locked".
BUSY_TIMEOUT_S = 5.0
#: How long the store keeps retrying a transaction that hit a lock or a serialization failure.
RETRY_DEADLINE_S = 60.0
_RETRY_POLICY = backoff(0.005, factor=2.0, max_delay=0.25)
_WRITE = "flow_write"


#: How long close() waits for another thread to finish its transaction.
_CLOSE_WAIT_S = 30.0


logger = logging.getLogger("flow.store")


class Database:
    """One engine plus the transaction helpers every query module uses."""

    def __init__(self, url: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.url = redact_url(url)
        self.clock = clock
        self.engine = _create_engine(url, self.url)
        self.dialect: str = self.engine.dialect.name
        # An in-memory SQLite database is one shared connection: transactions take turns.
        memory = self.dialect == "sqlite" and self.engine.url.database in (None, "", ":memory:")
        self._lock: threading.RLock | None = threading.RLock() if memory else None
        # One connection per thread, kept between calls: checking a connection out of
        # the pool and wrapping it costs more than a small SQLite transaction itself.
        self._local = threading.local()
        # Which thread owns each connection, so those of finished threads get closed.
        # Each connection with its owner thread and a lock held while a transaction uses it:
        # close() may run on another thread while a cancelled `asyncio.to_thread` call is
        # still inside a transaction, and closing a connection in use crashes sqlite3.
        self._conns: dict[Connection, tuple[threading.Thread, threading.Lock]] = {}
        self._conns_lock = threading.Lock()

    def now(self) -> datetime:
        """The current time (from the store's clock), UTC-aware."""
        return datetime.fromtimestamp(self.clock.time(), UTC)

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one write transaction, retried whole on lock/busy errors."""
        return self._retrying(work, write=True)

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one read transaction (retried like writes)."""
        return self._retrying(work, write=False)

    def write_sqlite(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on the raw sqlite3 connection in ``BEGIN IMMEDIATE … COMMIT``, retried.

        The hot path for materialization records (see ``_fastpath.py``):
        SQLAlchemy's per-statement overhead is several times SQLite's own cost.
        """
        return self._retrying(lambda conn: self._raw_transaction(conn, work), write=None)

    def close(self) -> None:
        """Close every connection (from any thread) and the pool."""
        with self._conns_lock:
            owned, self._conns = list(self._conns.items()), {}
        for conn, (owner, busy) in owned:
            if not busy.acquire(timeout=_CLOSE_WAIT_S):
                # Leaking one connection beats crashing the process under a live transaction.
                logger.warning("metadata store: %s still uses a connection; not closed", owner)
                continue
            try:
                conn.close()
            finally:
                busy.release()
        self.engine.dispose()

    # -- internals ------------------------------------------------------------------------

    def _raw_transaction(self, conn: Connection, work: Callable[[sqlite3.Connection], T]) -> T:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        try:
            raw.execute("BEGIN IMMEDIATE")
            result = work(raw)
            raw.execute("COMMIT")
        except sqlite3.Error as exc:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            # Same shape as SQLAlchemy's errors, so the retry loop treats both alike.
            raise DBAPIError(None, None, exc) from exc
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        return result

    def _retrying(self, work: Callable[[Connection], T], *, write: bool | None) -> T:
        deadline = time.monotonic() + RETRY_DEADLINE_S
        attempt = 0
        while True:
            try:
                with self._transaction(write) as conn:
                    return work(conn)
            except DBAPIError as exc:
                if not _transient(exc):
                    self._drop_connection()  # it may be broken (server restarted): start afresh
                    raise self.error(exc) from exc
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"metadata store {self.url} stayed locked for {RETRY_DEADLINE_S:g}s "
                        f"({attempt + 1} attempts): {_orig_message(exc)}; another process "
                        "holds a long write transaction"
                    ) from exc
                # Backoff between retries of a locked transaction (not synchronisation).
                time.sleep(_RETRY_POLICY.delay(min(attempt, 20)))
                attempt += 1

    @contextmanager
    def _transaction(self, write: bool | None) -> Iterator[Connection]:
        """A transaction on this thread's connection; ``write=None``: the caller begins one."""
        with self._lock or nullcontext():
            conn, busy = self._connection()
            busy.acquire()
            if conn.closed:  # close() took it while this thread waited for the lock
                busy.release()
                conn, busy = self._connection()
                busy.acquire()
            try:
                if write is None:
                    yield conn
                    return
                conn.execution_options(**{_WRITE: write})
                with conn.begin():
                    yield conn
            finally:
                busy.release()

    def _connection(self) -> tuple[Connection, threading.Lock]:
        local = self._local
        conn: Connection | None = getattr(local, "conn", None)
        # A forked child must not share its parent's connection.
        if conn is None or local.pid != os.getpid() or conn.closed:
            conn = self.engine.connect()
            local.conn, local.pid, local.busy = conn, os.getpid(), threading.Lock()
            with self._conns_lock:
                dead = [c for c, (owner, _) in self._conns.items() if not owner.is_alive()]
                for c in dead:
                    del self._conns[c]
                self._conns[conn] = (threading.current_thread(), local.busy)
            for c in dead:
                c.close()
        busy: threading.Lock = local.busy
        return conn, busy

    def _drop_connection(self) -> None:
        conn: Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._conns_lock:
                self._conns.pop(conn, None)
            conn.close()

    def error(self, exc: DBAPIError) -> StoreError:
        """A :class:`StoreError` for a database error, naming the redacted URL."""
        return StoreError(f"metadata store {self.url}: {_orig_message(exc)}")


def _create_engine(url: str, redacted: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreURLError(f"malformed metadata store URL {redacted}: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            # Connections are held per thread (see Database), so the pool must not cap them.
            return create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=-1)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise StoreError(
                f"metadata store {redacted} needs psycopg: pip install 'flow-core[postgres]'"
            ) from exc
    if backend != "sqlite":
        raise StoreURLError(f"unsupported metadata store URL {redacted}")
    return _sqlite_engine(parsed)


def _sqlite_engine(parsed: Any) -> Engine:
    memory = parsed.database in (None, "", ":memory:")
    options: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
    }
    if memory:
        options["poolclass"] = StaticPool
    else:
        # Connections are held per thread (see Database); a SQLite connect is cheap.
        options["poolclass"] = NullPool
    engine = create_engine(parsed, **options)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Transactions are begun by _on_sqlite_begin, not implicitly by pysqlite.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode and str(mode[0]).lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE, False)
    # Straight to the driver: SQLAlchemy's execute path would cost more than the BEGIN.
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    dbapi.execute("BEGIN IMMEDIATE" if write else "BEGIN")


def _transient(exc: DBAPIError) -> bool:
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    return getattr(orig, "sqlstate", None) in {"40001", "40P01"}


def _orig_message(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)


def dialect_insert(dialect: str, table: Any) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing``/``_do_update`` for this dialect (an upsert)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
