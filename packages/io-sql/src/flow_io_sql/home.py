"""The ``sql`` home: streams a table or query as record batches (ADBC or SQLAlchemy)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa
from flow.dataflows.arrow_types import parse_type
from flow.dataflows.protocols import EntitySpec

from ._errors import SqlConfigError, SqlError, translate
from ._read_adbc import AdbcReader, adbc_available
from ._read_sa import SqlAlchemyReader
from ._reflect import table_columns
from ._statement import build_select
from ._types import arrow_type_of
from ._url import adbc_uri, parse_url, redacted
from ._worker import Worker
from .config import SqlHomeConfig

__all__ = ["SqlHome"]

T = TypeVar("T")
Reader = AdbcReader | SqlAlchemyReader


class SqlHome:
    """Reads an entity from a database table or query, one batch at a time.

    PostgreSQL with ``flow-io-sql[adbc]`` installed reads through ADBC (rows
    arrive as Arrow); everything else reads through SQLAlchemy with a
    server-side cursor. Either way the table is never loaded whole, the
    watermark is a bound parameter, and every database call runs in a worker
    thread of this read, so the event loop never blocks.
    """

    config_model: ClassVar[type[SqlHomeConfig]] = SqlHomeConfig

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.config = spec.home_as(SqlHomeConfig, SqlConfigError)
        self._secret = self.config.connection.get_secret_value()
        where = f"entity {spec.name!r} home sql"
        self.url = parse_url(self._secret, where, spec.project_dir)
        self._where = f"entity {spec.name!r} home {self.describe()}"
        self.batch_size = self.config.batch_size or spec.batch_size

    def describe(self) -> str:
        """``sql:<URL without password>#<table or "query">``."""
        return f"sql:{redacted(self.url)}#{self.config.table or 'query'}"

    @property
    def uses_adbc(self) -> bool:
        """Whether reads go through ADBC (see ``engine:``)."""
        postgres = self.url.get_backend_name() == "postgresql"
        if self.config.engine == "sqlalchemy" or not postgres:
            if self.config.engine == "adbc":
                raise SqlConfigError(
                    f"{self._where}: engine: adbc reads PostgreSQL only; use engine: auto"
                )
            return False
        if adbc_available():
            return True
        if self.config.engine == "adbc":
            raise SqlConfigError(
                f"{self._where}: engine: adbc needs the ADBC driver; "
                "pip install 'flow-io-sql[adbc]'"
            )
        return False

    async def read(
        self, *, after: Any | None, columns: Sequence[str] | None = None
    ) -> AsyncIterator[pa.RecordBatch]:
        """Yield the rows as batches of at most ``batch_size`` (only ``timestamp > after``)."""
        if after is not None and self.spec.timestamp is None:
            raise SqlConfigError(
                f"{self._where}: a watermark was given but the entity has no timestamp column"
            )
        wanted = list(columns) if columns is not None else self.config.columns
        worker = Worker("flow-sql-home")
        try:
            reader = await worker.run(self._guarded, self._open, after, wanted)
            try:
                while (batch := await worker.run(self._guarded, reader.next_batch)) is not None:
                    if batch.num_rows:
                        yield batch
            finally:
                await worker.run(reader.close)
        finally:
            await worker.close()

    def _guarded(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except SqlError:
            raise
        except Exception as exc:
            if _is_database_error(exc):
                raise translate(exc, self._where, self.url.password) from None
            raise

    def _open(self, after: Any | None, wanted: list[str] | None) -> Reader:
        """(In the worker thread) reflect the table, build the SELECT, start it."""
        overrides = {name: parse_type(t) for name, t in self.config.column_types.items()}
        reflected = self._reflect(wanted, after)
        if after is not None:
            after = _fit_watermark(after, reflected.get(self.spec.timestamp or ""))
        adbc = self.uses_adbc
        dialect = self.url.get_dialect()()
        select = build_select(
            quote=dialect.identifier_preparer.quote,
            placeholder="$1" if adbc else ":after",
            table=self.config.table,
            query=self.config.query,
            where=self.config.where,
            columns=wanted,
            timestamp=self.spec.timestamp,
            after_given=after is not None,
        )
        reader: Reader
        if adbc:
            reader = AdbcReader(
                adbc_uri(self.url),
                select.sql,
                after=after,
                binds_after=select.binds_after,
                arrow_types=overrides,
                batch_size=self.batch_size,
                where=self._where,
            )
        else:
            arrow = {name: arrow_type_of(t) for name, t in reflected.items()} | overrides
            reader = SqlAlchemyReader(
                self.url,
                select.sql,
                after=after,
                after_type=reflected.get(self.spec.timestamp or ""),
                result_types=reflected if wanted is None else _only(reflected, wanted),
                arrow_types=arrow,
                batch_size=self.batch_size,
                where=self._where,
            )
        try:
            reader.open()
        except BaseException:
            reader.close()
            raise
        return reader

    def _reflect(self, wanted: list[str] | None, after: Any | None) -> dict[str, Any]:
        """The table's column types (empty for a query), after checking the names used."""
        if self.config.table is None:
            return {}
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                types = table_columns(conn, self.config.table, self._where)
        finally:
            engine.dispose()
        needed = list(wanted or [])
        if after is not None and self.spec.timestamp:
            needed.append(self.spec.timestamp)
        missing = [c for c in needed if c not in types]
        if missing:
            raise SqlConfigError(
                f"{self._where}: no column(s) {', '.join(map(repr, missing))} in table "
                f"{self.config.table!r}; the columns are {', '.join(types)}"
            )
        return types


def _only(types: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {name: types[name] for name in names if name in types}


def _fit_watermark(after: Any, column_type: Any | None) -> Any:
    """The watermark in the column's convention: naive UTC for a column without time zone."""
    if not isinstance(after, datetime) or column_type is None:
        return after
    aware_column = bool(getattr(column_type, "timezone", False))
    if after.tzinfo is not None and not aware_column:
        return after.astimezone(UTC).replace(tzinfo=None)
    if after.tzinfo is None and aware_column:
        return after.replace(tzinfo=UTC)
    return after


def _is_database_error(exc: Exception) -> bool:
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return True
    # ADBC's DB-API errors (imported lazily: the ADBC driver is optional).
    module = type(exc).__module__
    return module.startswith("adbc_driver")
