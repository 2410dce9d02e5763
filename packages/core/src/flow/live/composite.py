"""``Composite``: one validated value merged from several live sources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from ..clock import SYSTEM_CLOCK, Clock
from ..events import EventBus, bus
from ._source import open_source
from .capacitor import Callback, Capacitor, Reducer
from .codecs import Codec
from .health import ErrorRecord
from .uri import SourceURI
from .watcher import Watcher

__all__ = ["Composite", "deep_merge"]

T = TypeVar("T")


def deep_merge(layers: Sequence[Any]) -> Any:
    """Merge mappings recursively, later layers winning; a non-mapping later layer replaces."""
    merged: Any = {}
    for layer in layers:
        merged = _merge_two(merged, layer)
    return merged


def _merge_two(base: Any, over: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        result = dict(base)
        for key, value in over.items():
            result[key] = _merge_two(result[key], value) if key in result else value
        return result
    return over


class Composite(Capacitor[T]):
    """A capacitor over several sources (``defaults ← file ← env ← remote``).

    Each source's latest value is kept; ``reducer`` (default :func:`deep_merge`,
    later sources win) combines them and the merged value is validated. An absent
    source contributes nothing. A failing source is recorded in
    :attr:`source_errors` and keeps its last good value in the merge, while the
    others still apply; health is ``DEGRADED`` while any source is failing.
    """

    def __init__(
        self,
        sources: Iterable[str | SourceURI | Watcher],
        *,
        model: Any = None,
        reducer: Reducer = deep_merge,
        codecs: Sequence[str | Codec | None] | None = None,
        on_change: Callback | Iterable[Callback] | None = None,
        debounce: float = 0.0,
        max_wait: float | None = None,
        startup_timeout: float | None = 10.0,
        pipeline: Callable[..., Awaitable[Any]] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        sync: bool = False,
        name: str | None = None,
        events: EventBus = bus,
        error_history: int = 50,
    ) -> None:
        given = list(sources)
        if not given:
            raise ValueError("a Composite needs at least one source")
        chosen = list(codecs) if codecs is not None else [None] * len(given)
        if len(chosen) != len(given):
            raise ValueError(f"codecs has {len(chosen)} entries for {len(given)} sources")
        self._init_engine(
            [open_source(source, codec) for source, codec in zip(given, chosen, strict=True)],
            model=model,
            on_change=on_change,
            debounce=debounce,
            max_wait=max_wait,
            startup_timeout=startup_timeout,
            pipeline=pipeline,
            clock=clock,
            sync=sync,
            name=name,
            events=events,
            error_history=error_history,
            reducer=reducer,
            missing_is_error=False,
        )

    @property
    def source_errors(self) -> dict[str, ErrorRecord]:
        """The current error of every source that is failing, by source label."""
        return {s.label: s.error for s in self._sources if s.error is not None}
