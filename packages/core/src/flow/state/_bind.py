"""``config.bind``: a subtree kept equal to a live source through a Capacitor."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import BoundPathError, CapacitorError
from ..live.capacitor import Capacitor
from ..live.uri import redact
from ._paths import Path, join

if TYPE_CHECKING:
    from ..live.health import Health
    from ._core import Core

__all__ = ["Binding"]


class Binding:
    """One bound subtree: its path, its source (redacted ``label``) and its Capacitor."""

    def __init__(self, core: Core, path: Path, capacitor: Capacitor[Any], label: str) -> None:
        self.path = path
        self.label = label
        self.capacitor = capacitor
        self._core = core
        self._background = False

    @property
    def health(self) -> Health:
        """The Capacitor's Health (``HEALTHY``, ``DEGRADED`` when a change was refused…)."""
        return self.capacitor.health

    def __repr__(self) -> str:
        return f"Binding({join(self.path)!r} <- {self.label}, {self.health})"

    @classmethod
    def _prepare(
        cls, core: Core, path: Path, source: Any, model: Any, options: dict[str, Any]
    ) -> Binding:
        label = redact(source) if isinstance(source, str) else _watcher_label(source)
        with core.lock:
            for bound, other in core.bindings.items():
                shorter = min(len(bound), len(path))
                if bound[:shorter] == path[:shorter]:
                    raise BoundPathError(
                        f"cannot bind {join(path) or '<root>'}: {join(bound) or '<root>'} is "
                        f"already bound to {other.label}; unbind it first"
                    )
            name = options.pop("name", None) or f"config:{join(path)}"
            capacitor: Capacitor[Any] = Capacitor(source, model=model, name=name, **options)
            binding = cls(core, path, capacitor, label)
            capacitor.on_change(binding._apply)
            # Claimed before the first value arrives, so nothing else can write there meanwhile.
            core.bindings[path] = binding
        return binding

    @classmethod
    def start_sync(
        cls,
        core: Core,
        path: Path,
        source: Any,
        model: Any,
        timeout: float | None,
        options: dict[str, Any],
    ) -> Binding:
        binding = cls._prepare(core, path, source, model, options)
        try:
            binding.capacitor.start_background(timeout=timeout)
        except BaseException:
            core.bindings.pop(path, None)
            raise
        binding._background = True
        return binding

    @classmethod
    async def start_async(
        cls, core: Core, path: Path, source: Any, model: Any, options: dict[str, Any]
    ) -> Binding:
        binding = cls._prepare(core, path, source, model, options)
        try:
            await binding.capacitor.start()
        except BaseException:
            core.bindings.pop(path, None)
            raise
        return binding

    def _apply(self, previous: Any, current: Any) -> None:
        # Raising here (e.g. the Flow's schema refuses the value) makes the Capacitor keep
        # its last good value and report DEGRADED: the Flow and the source stay consistent.
        self._core.set(
            self.path, {} if current is None else current, source=f"bind:{self.label}", owner=self
        )

    def close(self) -> None:
        """Stop a binding made with ``bind()``; the values stay and become writable."""
        if not self._background:
            raise CapacitorError(
                f"the binding at {join(self.path)!r} runs on an event loop; "
                "use `await binding.aclose()`"
            )
        try:
            self.capacitor.stop()
        finally:
            self._release()

    async def aclose(self) -> None:
        """Stop the binding (either kind) from async code."""
        try:
            if self._background:
                await asyncio.to_thread(self.capacitor.stop)
            else:
                await self.capacitor.aclose()
        finally:
            self._release()

    def _release(self) -> None:
        with self._core.lock:
            if self._core.bindings.get(self.path) is self:
                del self._core.bindings[self.path]


def _watcher_label(source: object) -> str:
    label = getattr(source, "label", None)
    return str(label) if label else type(source).__name__
