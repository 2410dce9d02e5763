"""``Flow``: a reactive container of nested values (``flow.config`` is one).

Reads are plain attribute reads of the current values; writes validate (when a
schema is attached), swap the values atomically, and notify the listeners of
exactly the paths that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, UnknownPathError
from ._core import Core, Layer
from ._frozen import thaw
from ._listeners import MISSING, ChangeEvent, Handler
from ._nodes import NodeBase, open_variant
from ._paths import Path, join, split
from ._schema import Schema
from ._snapshot import Snapshot, masked_repr

if TYPE_CHECKING:
    from ..live.health import Health
    from ._bind import Binding

__all__ = ["MISSING", "ChangeEvent", "Flow"]


class Flow(NodeBase):
    """A mutable-looking container of nested values with change listeners.

    ``flow.database.host = "x"`` creates the ``database`` namespace when the
    Flow is open (no schema, or a schema with ``extra="allow"``). With a
    schema, every write is validated first: an invalid one raises
    :class:`~flow.ValidationFailed`, changes nothing and notifies no one.
    Subclass it (``class UserSession(Flow)``) and set values in ``__init__``;
    names starting with ``_`` stay ordinary attributes.
    """

    __slots__ = ("__weakref__",)

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    def __new__(cls, *args: Any, **kwargs: Any) -> Flow:
        # Set up here rather than in __init__ so that subclasses need not call super().__init__().
        # Pick the final class now: switching it later costs read speed (see _core.set_open).
        sealed = kwargs.get("schema") is not None and not kwargs.get("autocreate")
        self: Flow = object.__new__(cls if sealed else open_variant(cls))
        core = Core(self)
        core.open = not sealed
        self._flow_init(core, ())
        return self

    def __init__(
        self,
        values: Mapping[str, Any] | Any = None,
        /,
        *,
        schema: Any = None,
        autocreate: bool | None = None,
    ) -> None:
        if schema is not None:
            self.use_schema(schema, *([values] if values else []), autocreate=autocreate)
        else:
            if autocreate is not None:
                self._flow_core.set_open(autocreate)
            if values:
                self.update(values)

    # -- attribute writes ----------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or hasattr(getattr(type(self), name, None), "__set__"):
            object.__setattr__(self, name, value)
            return
        core = self._flow_core
        if name in core._taken:
            raise ConfigError(
                f"{name!r} is a method of {type(self).__name__}; store a value under that "
                f"name with item access: flow[{name!r}] = ..."
            )
        core.set((name,), value)

    def __delattr__(self, name: str) -> None:
        if name.startswith("_"):
            object.__delattr__(self, name)
            return
        self._flow_core.delete((name,))

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({masked_repr(self._flow_data)})"

    # -- listeners -----------------------------------------------------------------------------

    def on_change(self, path: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(event)`` for each change at ``path`` or below it (``""``: all).

        ``event`` is a :class:`ChangeEvent` (``path``, ``old``, ``new``, ``source``).
        A handler that raises is logged and never stops the others. Returns a
        function that removes the handler.
        """
        return self._flow_core.listeners.add(split(path), handler)

    # -- bulk writes ---------------------------------------------------------------------------

    def update(self, *layers: Mapping[str, Any] | Any) -> None:
        """Deep-merge mappings or sources (``from_env(...)``, ``from_yaml(...)``) as one change.

        All layers are validated together first; on failure nothing changes and
        no listener fires. Each changed path is notified once.
        """
        if len(layers) == 1 and type(layers[0]) is dict:  # the common case, without Layers
            self._flow_core.merge_mapping(layers[0])
            return
        loaded = [self._load(layer, "update") for layer in layers]
        if loaded:
            name = loaded[0].name if len(loaded) == 1 else "update"
            self._flow_core.merge(loaded, name)

    def use_schema(
        self, schema: Any, *layers: Mapping[str, Any] | Any, autocreate: bool | None = None
    ) -> None:
        """Attach ``schema`` (a pydantic model or ``TypeAdapter``-able type; None detaches it).

        The current values merged with ``layers`` are validated at once; when they
        do not fit, nothing changes. A schema that forbids or ignores extra keys
        seals the Flow: namespaces come from the schema and reads are plain
        attribute reads; ``autocreate=True`` keeps creating namespaces on first use.
        """
        core = self._flow_core
        wrapped = Schema(schema) if schema is not None else None
        with core.lock:
            loaded = [self._load(layer, "update", wrapped) for layer in layers]
            core.reset(wrapped, loaded, loaded[0].name if len(loaded) == 1 else "default")
            if autocreate is None:
                autocreate = wrapped is None or wrapped.extra == "allow"
            core.set_open(autocreate)

    def clear(self) -> None:
        """Remove every value (under a schema the defaults come back, or it raises when
        required values would be missing). Refused while anything is bound."""
        self._flow_core._write(lambda _: {}, "set", touches=lambda _: True)

    def _load(self, layer: Any, name: str, schema: Schema | None = None) -> Layer:
        if type(layer) is dict:  # the common case first: getattr(dict, "load") costs a miss
            return Layer(name, layer)
        if isinstance(layer, Layer):
            return layer
        load = getattr(layer, "load", None)
        if callable(load):
            loaded = load(schema or self._flow_core.schema)
            if not isinstance(loaded, Layer):
                raise TypeError(f"{layer!r}.load() must return a Layer")
            return loaded
        if isinstance(layer, Mapping):
            return Layer(name, layer)
        raise TypeError(
            f"update() takes mappings or sources such as from_yaml('config.yml'), "
            f"not {type(layer).__name__}"
        )

    # -- reads ---------------------------------------------------------------------------------

    def get(self, path: str, default: Any = None) -> Any:
        """The value at dotted ``path``, or ``default`` when there is none."""
        try:
            return self[path]
        except UnknownPathError:
            return default

    def snapshot(self) -> Snapshot:
        """All values at this moment as one immutable, nested :class:`Snapshot`."""
        return self._flow_core.snapshot()

    def to_dict(self) -> dict[str, Any]:
        """All values as plain, mutable data (dicts and lists); secrets are not masked."""
        return thaw(self._flow_core.tree)  # type: ignore[no-any-return]

    def validated(self) -> Any:
        """The schema's validated object for the current values (None without a schema)."""
        return self._flow_core.validated()

    def origin(self, path: str) -> str:
        """Which layer gave the value at ``path``: ``"default"``, ``"set"``, ``"update"``,
        ``"yaml:config.yml"``, ``"env:APP_DATABASE__HOST"``, ``"bind:<uri>"``…"""
        self[path]  # raises UnknownPathError for a path that does not exist
        return self._flow_core.origin(split(path))

    def origins(self) -> dict[str, str]:
        """Every leaf path mapped to the layer that gave its value."""
        core = self._flow_core
        result: dict[str, str] = {}
        with core.lock:
            core.resolve_origins()
            tree, origins = core.tree, core.origins

        def walk(tree: Mapping[Any, Any], path: Path) -> None:
            here_origins = origins.get(path, {})
            for key, value in tree.items():
                here = (*path, key)
                if type(value) is dict and value:
                    walk(value, here)
                else:
                    result[join(here)] = here_origins.get(key, "default")

        walk(tree, ())
        return result

    # -- live bindings -------------------------------------------------------------------------

    def bind(
        self,
        source: Any,
        *,
        at: str,
        model: Any = None,
        timeout: float | None = None,
        **options: Any,
    ) -> Binding:
        """Keep the subtree ``at`` equal to a live source, through a Capacitor on a
        background thread (for synchronous programs); returns once the first value
        arrived. ``source`` is a URI or a watcher; ``options`` go to the Capacitor
        (``codec``, ``debounce``, ``max_wait``, ``startup_timeout``…). Writes to the
        subtree raise :class:`~flow.errors.BoundPathError` until it is unbound.
        """
        from ._bind import Binding

        return Binding.start_sync(self._flow_core, split(at), source, model, timeout, options)

    async def abind(self, source: Any, *, at: str, model: Any = None, **options: Any) -> Binding:
        """:meth:`bind` for async programs: the Capacitor runs on the current event loop."""
        from ._bind import Binding

        return await Binding.start_async(self._flow_core, split(at), source, model, options)

    def unbind(self, at: str) -> None:
        """Stop the binding at ``at`` made by :meth:`bind` (values stay and become writable)."""
        self._binding(at).close()

    async def aunbind(self, at: str) -> None:
        """Stop the binding at ``at`` from async code (either kind)."""
        await self._binding(at).aclose()

    def _binding(self, at: str) -> Binding:
        binding = self._flow_core.bindings.get(split(at))
        if binding is None:
            raise UnknownPathError(f"nothing is bound at {at!r}")
        return binding

    def health(self, path: str) -> Health:
        """The Health of the binding that owns ``path`` (or the nearest bound parent)."""
        parts = split(path)
        for bound, binding in self._flow_core.bindings.items():
            if parts[: len(bound)] == bound:
                return binding.health
        raise UnknownPathError(f"{path!r} is not bound to a live source; see config.bind(...)")
