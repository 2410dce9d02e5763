"""The ``sql`` store: a staging table, then one transaction that publishes it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar, Literal, TypeVar

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import sqlalchemy as sa
from flow.dataflows.protocols import EntitySpec, PublishResult

from ._errors import SqlConfigError, SqlError, translate
from ._load import AdbcLoader, load_copy, load_executemany
from ._publish import SEQ, merge, staged_rows
from ._read_adbc import adbc_available
from ._reflect import split_table
from ._types import canonical, sql_type_of
from ._url import adbc_uri, parse_url, redacted
from ._worker import Worker
from .config import SqlStoreConfig

__all__ = ["SqlStore"]

T = TypeVar("T")
Mode = Literal["replace", "append", "merge"]
_STAGING = "_flow_staging_"


class SqlStore:
    """Writes an entity to a database table through a staging table.

    ``begin`` drops staging tables left by crashed runs of this table;
    ``write`` creates the staging table from the first batch's schema (plus a
    row-order column) and bulk-loads every batch into it; ``publish`` creates
    the target when missing (with a primary key on the entity's key), then
    replaces, appends or merges in **one transaction** and drops staging in
    it too (see :mod:`flow_io_sql._publish`). Until that commit, readers of
    the target see the old rows.

    An entity with a ``key`` always merges (upsert); ``mode`` picks between
    ``replace`` (default) and ``append`` for the others.
    """

    config_model: ClassVar[type[SqlStoreConfig]] = SqlStoreConfig

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.config = spec.store_as(SqlStoreConfig, SqlConfigError)
        secret = self.config.connection.get_secret_value()
        self.url = parse_url(secret, f"entity {spec.name!r} store sql", spec.project_dir)
        self._where = f"entity {spec.name!r} store {self.describe()}"
        self.mode: Mode = self._mode()
        self.schema_name, self.table_name = split_table(self.config.table)
        self._worker: Worker | None = None
        self._engine: sa.Engine | None = None
        self._conn: sa.Connection | None = None
        self._adbc: AdbcLoader | None = None
        self._staging: sa.Table | None = None
        self._columns: list[str] = []
        self._seq = 0
        self._full_refresh = False
        self._max_ts: Any | None = None

    def _mode(self) -> Mode:
        mode = self.config.mode
        if self.spec.key:
            if mode in ("replace", "append"):
                raise SqlConfigError(
                    f"{self._where}: the entity has a key, so the store merges on it; "
                    f"remove mode: {mode} (or the key)"
                )
            return "merge"
        if mode == "merge":
            raise SqlConfigError(f"{self._where}: mode: merge needs the entity's key")
        return mode or "replace"

    def describe(self) -> str:
        """``sql:<URL without password>#<table>``."""
        return f"sql:{redacted(self.url)}#{self.config.table}"

    @property
    def uses_adbc(self) -> bool:
        """Whether staging is bulk-loaded through ADBC."""
        postgres = self.url.get_backend_name() == "postgresql"
        if self.config.engine == "adbc" and not (postgres and adbc_available()):
            raise SqlConfigError(
                f"{self._where}: engine: adbc needs PostgreSQL and pip install 'flow-io-sql[adbc]'"
            )
        return postgres and self.config.engine != "sqlalchemy" and adbc_available()

    # -- life cycle -------------------------------------------------------------------------
    async def begin(self, *, full_refresh: bool) -> None:
        """Connect, drop staging left by crashed runs; staging is created by the first write."""
        await self.abort()
        self._full_refresh = full_refresh
        self._max_ts = None
        self._seq = 0
        self._worker = Worker("flow-sql-store")
        try:
            await self._worker.run(self._guarded, self._begin)
        except BaseException:
            await self.abort()
            raise

    def _begin(self) -> None:
        self._engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        self._conn = self._engine.connect()
        self.uses_adbc  # noqa: B018 -- refuses engine: adbc where it cannot serve, before any work
        prefix = f"{_STAGING}{self.table_name}_"[:50]
        leftovers = [
            name
            for name in sa.inspect(self._conn).get_table_names(schema=self.schema_name)
            if name.startswith(prefix)
        ]
        for name in leftovers:
            sa.Table(name, sa.MetaData(), schema=self.schema_name).drop(self._conn, checkfirst=True)
        self._conn.commit()
        self._staging_name = f"{prefix}{uuid.uuid4().hex[:12]}"

    async def write(self, batch: Any) -> None:
        """Bulk-load ``batch`` (a ``pyarrow.RecordBatch`` or ``Table``) into staging."""
        if self._worker is None:
            raise SqlError(f"{self._where}: write() before begin()")
        batches = batch.to_batches() if isinstance(batch, pa.Table) else [batch]
        if self.spec.timestamp is not None:
            for piece in batches:
                self._track(piece)
        for piece in batches:
            if piece.num_rows:
                await self._worker.run(self._guarded, self._write, piece)

    def _track(self, batch: pa.RecordBatch) -> None:
        index = batch.schema.get_field_index(self.spec.timestamp or "")
        if index < 0:
            raise SqlConfigError(
                f"{self._where}: the timestamp column {self.spec.timestamp!r} is not in the rows "
                f"written; the columns are {', '.join(batch.schema.names)}"
            )
        high = pc.max(batch.column(index)).as_py()
        if high is not None and (self._max_ts is None or high > self._max_ts):
            self._max_ts = high

    def _write(self, batch: pa.RecordBatch) -> None:
        assert self._conn is not None
        batch = canonical(batch, naive_utc=self.url.get_backend_name() != "postgresql")
        if self._staging is None:
            self._create_staging(batch.schema)
        elif batch.schema.names != self._columns:
            raise SqlError(
                f"{self._where}: a batch's columns changed during the run "
                f"({', '.join(self._columns)} then {', '.join(batch.schema.names)})"
            )
        assert self._staging is not None
        numbered = batch.append_column(
            SEQ, pa.array(range(self._seq, self._seq + batch.num_rows), pa.int64())
        )
        self._seq += batch.num_rows
        if self.uses_adbc:
            if self._adbc is None:
                self._adbc = AdbcLoader(adbc_uri(self.url))
            self._adbc.load(self._staging, numbered)
        elif self.url.get_backend_name() == "postgresql":
            load_copy(self._conn, self._staging, numbered)
        else:
            load_executemany(self._conn, self._staging, numbered)

    def _create_staging(self, schema: pa.Schema) -> None:
        assert self._conn is not None
        missing = [k for k in self.spec.key or () if k not in schema.names]
        if missing:
            raise SqlConfigError(
                f"{self._where}: key column(s) {', '.join(map(repr, missing))} are not in the "
                f"rows written; the columns are {', '.join(schema.names)}"
            )
        if SEQ in schema.names:
            raise SqlConfigError(f"{self._where}: the column name {SEQ!r} is reserved by Flow")
        try:
            columns = [sa.Column(f.name, sql_type_of(f.type, f.name)) for f in schema]
        except ValueError as exc:
            raise SqlConfigError(f"{self._where}: {exc}") from None
        self._staging = sa.Table(
            self._staging_name,
            sa.MetaData(),
            *columns,
            sa.Column(SEQ, sa.BigInteger, nullable=False),
            schema=self.schema_name,
        )
        self._staging.create(self._conn)
        self._conn.commit()
        self._columns = list(schema.names)

    async def publish(self) -> PublishResult:
        """Replace, append or merge the staged rows into the target in one transaction."""
        if self._worker is None:
            raise SqlError(f"{self._where}: publish() before begin()")
        try:
            rows = await self._worker.run(self._guarded, self._publish)
        finally:
            await self.abort()
        return PublishResult(rows=rows, max_timestamp=self._max_ts if rows else None)

    def _publish(self) -> int:
        assert self._conn is not None
        conn = self._conn
        if self._adbc is not None:
            self._adbc.close()
            self._adbc = None
        staging = self._staging
        if staging is None:  # no rows were written
            if self._full_refresh or self.mode == "replace":
                with conn.begin():
                    target = self._target(conn, None)
                    if target is not None:
                        conn.execute(sa.delete(target))
            return 0
        key = list(self.spec.key or ())
        with conn.begin():
            target = self._target(conn, staging)
            assert target is not None
            rows_select = staged_rows(staging, self._columns, key or None)
            rows = conn.execute(
                sa.select(sa.func.count()).select_from(rows_select.subquery())
            ).scalar_one()
            if self._full_refresh or self.mode == "replace":
                conn.execute(sa.delete(target))
            if self.mode == "merge" and not self._full_refresh:
                merge(conn, target, staging, self._columns, key)
            else:
                conn.execute(sa.insert(target).from_select(self._columns, rows_select))
            staging.drop(conn)
        self._staging = None
        return int(rows)

    def _target(self, conn: sa.Connection, staging: sa.Table | None) -> sa.Table | None:
        """The target table: reflected, or created like staging (None when neither exists)."""
        metadata = sa.MetaData()
        if sa.inspect(conn).has_table(self.table_name, schema=self.schema_name):
            target = sa.Table(
                self.table_name, metadata, schema=self.schema_name, autoload_with=conn
            )
            absent = [c for c in self._columns if c not in target.c]
            if absent:
                raise SqlError(
                    f"{self._where}: table {self.config.table!r} has no column(s) "
                    f"{', '.join(map(repr, absent))}; add them or drop the table to let Flow "
                    "create it"
                )
            return target
        if staging is None:
            return None
        key = set(self.spec.key or ())
        columns = [
            sa.Column(c.name, c.type, primary_key=c.name in key, nullable=c.name not in key)
            for c in staging.columns
            if c.name != SEQ
        ]
        target = sa.Table(self.table_name, metadata, *columns, schema=self.schema_name)
        target.create(conn)
        return target

    async def abort(self) -> None:
        """Drop staging and close connections (idempotent; also ends a finished run)."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        try:
            await worker.run(self._abort)
        finally:
            await worker.close()

    def _abort(self) -> None:
        adbc, self._adbc = self._adbc, None
        staging, self._staging = self._staging, None
        conn, self._conn = self._conn, None
        engine, self._engine = self._engine, None
        try:
            if adbc is not None:
                adbc.close()
            if staging is not None and conn is not None:
                conn.rollback()
                staging.drop(conn, checkfirst=True)
                conn.commit()
        finally:
            if conn is not None:
                conn.close()
            if engine is not None:
                engine.dispose()

    def _guarded(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except SqlError:
            raise
        except Exception as exc:
            if isinstance(exc, sa.exc.SQLAlchemyError) or type(exc).__module__.startswith(
                "adbc_driver"
            ):
                raise translate(exc, self._where, self.url.password) from None
            raise
