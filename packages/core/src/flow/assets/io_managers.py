"""IO managers: where asset values are stored between materializations.

An IO manager is any object with ``store(context, value)`` and
``load(context)``; either may be a coroutine function. ``context`` is an
:class:`IOContext` (asset key, partition, run id). ``load`` of a value never
stored raises :class:`~flow.errors.IOManagerError` naming the asset and
partition. Plugins register factories through the ``flow_register_io_managers``
hook; a factory is called as ``factory(project_dir=Path)`` and the instance is
kept for the process (so ``memory`` values survive between runs).

Built in: ``memory`` (a dict per process) and ``fs`` (files under
``<project>/.flow/assets``; JSON by default, pickle only with ``format="pickle"``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import quote

from ..errors import AssetDefinitionError, FlowError, IOManagerError
from .keys import check_key
from .partitions import PartitionKey, describe_key

__all__ = [
    "FsIOManager",
    "IOContext",
    "IOManager",
    "MemoryIOManager",
    "clear_io_manager_cache",
    "resolve_io_manager",
    "store_atomically",
]


@dataclass(frozen=True, slots=True)
class IOContext:
    """What an IO manager is told about the value it stores or loads."""

    asset_key: str
    partition: PartitionKey | None = None
    #: The tagged text of ``partition`` (``None`` for unpartitioned assets).
    partition_text: str | None = None
    run_id: str | None = None

    @property
    def where(self) -> str:
        """``asset 'x' partition 2026-01-01`` for messages."""
        if self.partition_text is None:
            return f"asset {self.asset_key!r}"
        return f"asset {self.asset_key!r} partition {describe_key(self.partition)}"


@runtime_checkable
class IOManager(Protocol):
    """Stores and loads asset values (methods may also be ``async def``)."""

    def store(self, context: IOContext, value: Any) -> Awaitable[None] | None:
        """Persist ``value`` for ``context.asset_key`` / ``context.partition``, replacing any."""

    def load(self, context: IOContext) -> Any | Awaitable[Any]:
        """The value last stored for the same key and partition; IOManagerError if none."""


def _checked(context: IOContext, manager: str) -> str:
    try:
        return check_key(context.asset_key)
    except AssetDefinitionError as exc:
        raise IOManagerError(f"io manager {manager!r} refused the key: {exc}") from None


class MemoryIOManager:
    """Values in a dict of this process (lost when it exits); thread-safe."""

    name = "memory"

    def __init__(self, project_dir: Path | None = None) -> None:
        self._values: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def store(self, context: IOContext, value: Any) -> None:
        key = (_checked(context, self.name), context.partition_text)
        with self._lock:
            self._values[key] = value

    def load(self, context: IOContext) -> Any:
        key = (_checked(context, self.name), context.partition_text)
        try:
            return self._values[key]
        except KeyError:
            raise IOManagerError(
                f"io manager 'memory' has no value for {context.where} in this process; "
                "materialize it first (memory values do not survive the process: use "
                "io_manager='fs' to keep them)"
            ) from None

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()


class FsIOManager:
    """Values in files under ``root`` (default ``<project>/.flow/assets``).

    ``format="json"`` (default) stores JSON (tuples come back as lists);
    ``format="pickle"`` stores any picklable value and must be asked for
    explicitly, because loading pickles runs code. Writes are atomic
    (temporary file + rename), so a reader never sees half a value.
    """

    name = "fs"

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        format: Literal["json", "pickle"] = "json",
        project_dir: Path | None = None,
    ) -> None:
        if format not in ("json", "pickle"):
            raise IOManagerError(f"fs io manager format must be 'json' or 'pickle', got {format!r}")
        base = Path(project_dir) if project_dir is not None else Path.cwd()
        self.root = Path(root) if root is not None else base / ".flow" / "assets"
        self.format = format
        self._suffix = ".json" if format == "json" else ".pickle"

    def path(self, context: IOContext) -> Path:
        """The file holding the value of ``context`` (keys and partitions mapped to safe names)."""
        key = _checked(context, self.name)
        if context.partition_text is None:
            return self.root.joinpath(*key.split("/")).with_suffix(self._suffix)
        name = quote(context.partition_text, safe="")
        if len(name) > 150:  # file names are limited to 255 bytes: hash long partitions
            name = "h-" + hashlib.sha256(context.partition_text.encode()).hexdigest()
        return self.root.joinpath(*key.split("/"), name + self._suffix)

    def store(self, context: IOContext, value: Any) -> None:
        data = self._encode(context, value)
        store_atomically(
            self.path(context), lambda temp: temp.write_bytes(data), context=context, manager="fs"
        )

    def load(self, context: IOContext) -> Any:
        target = self.path(context)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise IOManagerError(
                f"io manager 'fs' has no value for {context.where} (no file {target}); "
                "materialize it first"
            ) from None
        except OSError as exc:
            raise IOManagerError(
                f"io manager 'fs' could not read {context.where} from {target}: {exc.strerror}"
            ) from exc
        try:
            if self.format == "json":
                return json.loads(data)
            # Only reached when the user chose format="pickle" explicitly.
            return pickle.loads(data)
        except Exception as exc:
            raise IOManagerError(
                f"io manager 'fs' could not decode {context.where} from {target} "
                f"({self.format}): {exc}"
            ) from exc

    def _encode(self, context: IOContext, value: Any) -> bytes:
        try:
            if self.format == "json":
                return json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
            return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (TypeError, ValueError, pickle.PicklingError, AttributeError) as exc:
            hint = (
                "return JSON data (dict, list, str, number, bool, None) or use "
                "FsIOManager(format='pickle') / another io manager"
                if self.format == "json"
                else "return a picklable value"
            )
            raise IOManagerError(
                f"io manager 'fs' cannot store {context.where}: {type(value).__name__} "
                f"is not {self.format}-serializable ({exc}); {hint}"
            ) from exc


_cache: dict[tuple[str, str], Any] = {}
_cache_lock = threading.Lock()


def store_atomically(
    target: Path, write: Callable[[Path], object], *, context: IOContext, manager: str
) -> None:
    """Write ``target`` through ``write(temp_path)``, then rename it into place.

    A reader sees the old value or the new one, never part of one; a failed
    write leaves no temp file. An ``OSError`` becomes an
    :class:`~flow.errors.IOManagerError` naming the manager, the asset and the file.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        os.close(fd)
        try:
            write(Path(temp))
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise IOManagerError(
            f"io manager {manager!r} could not write {context.where} to {target}: "
            f"{exc.strerror or exc}"
        ) from exc


def resolve_io_manager(
    name: str, project_dir: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Any:
    """The IO manager ``name``: an override, else the registered one (made once per project)."""
    if overrides and name in overrides:
        return overrides[name]
    root = (project_dir or Path.cwd()).absolute()
    cache_key = (name, str(root))
    with _cache_lock:
        found = _cache.get(cache_key)
    if found is not None:
        return found
    from ..plugins import get_registry

    try:
        target = get_registry().resolve("io_managers", name)
    except FlowError as exc:
        raise IOManagerError(str(exc)) from None
    manager: Any = target
    if isinstance(target, type) or _is_factory(target):
        try:
            manager = target(project_dir=root)  # type: ignore[operator]
        except Exception as exc:
            raise IOManagerError(
                f"io manager {name!r} could not be created: {type(exc).__name__}: {exc}"
            ) from exc
    if not callable(getattr(manager, "store", None)) or not callable(
        getattr(manager, "load", None)
    ):
        raise IOManagerError(
            f"io manager {name!r} ({target!r}) has no store()/load(); see docs/assets.md"
        )
    with _cache_lock:
        return _cache.setdefault(cache_key, manager)


def _is_factory(target: object) -> bool:
    return callable(target) and not callable(getattr(target, "store", None))


def clear_io_manager_cache() -> None:
    """Forget the IO manager instances made so far (memory values go with them)."""
    with _cache_lock:
        _cache.clear()
