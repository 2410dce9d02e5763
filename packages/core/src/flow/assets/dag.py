"""The asset graph: unknown dependencies, cycles (with their path), topological order.

Planning is Kahn's algorithm over plain dicts and lists, written by hand rather
than with :mod:`graphlib` because a plan needs more than an order (upstream
closures, downstream sets, the cycle's path) and one pass over the edges serves
all of them; ``benchmarks/dag_planning.py`` keeps it within 1.5x of graphlib.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from ..errors import AssetDefinitionError
from .definition import Asset

__all__ = ["AssetGraph"]


class AssetGraph:
    """A validated DAG of assets: every required dependency exists and there is no cycle."""

    def __init__(self, assets: Mapping[str, Asset]) -> None:
        self.assets = assets
        #: key -> upstream keys present in the graph (required + optional that exist).
        self.upstream: dict[str, list[str]] = {}
        missing: list[str] = []
        for key, item in assets.items():
            ups = [d for d in item.deps if d in assets]
            if len(ups) != len(item.deps):
                missing.extend(_unknown(item, assets))
            if item.optional_deps:
                ups.extend(d for d in item.optional_deps if d in assets)
            self.upstream[key] = ups
        if missing:
            raise AssetDefinitionError("unknown dependencies: " + "; ".join(missing))
        self.order = _toposort(self.upstream)

    def __len__(self) -> int:
        return len(self.order)

    def downstream_map(self) -> dict[str, list[str]]:
        """key -> the keys that depend on it directly."""
        children: dict[str, list[str]] = {key: [] for key in self.upstream}
        for key, ups in self.upstream.items():
            for up in ups:
                children[up].append(key)
        return children

    def closure(self, targets: Iterable[str]) -> list[str]:
        """``targets`` and everything upstream of them, in topological order."""
        wanted: set[str] = set()
        stack = [self._known(t) for t in targets]
        while stack:
            key = stack.pop()
            if key not in wanted:
                wanted.add(key)
                stack.extend(self.upstream[key])
        return [key for key in self.order if key in wanted]

    def downstream(self, key: str) -> list[str]:
        """Everything downstream of ``key`` (not ``key`` itself), in topological order."""
        children = self.downstream_map()
        seen: set[str] = set()
        stack = list(children[self._known(key)])
        while stack:
            item = stack.pop()
            if item not in seen:
                seen.add(item)
                stack.extend(children[item])
        return [k for k in self.order if k in seen]

    def _known(self, key: str) -> str:
        if key not in self.upstream:
            raise AssetDefinitionError(unknown_asset_message(key, self.upstream))
        return key


def unknown_asset_message(key: str, known: Iterable[str]) -> str:
    """``no asset named 'x'`` with a did-you-mean suggestion when a known key is close."""
    names = list(known)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(sorted(names)[:10]) + (", ..." if len(names) > 10 else "")
    return f"no asset named {key!r}{hint} (known: {listed or 'none'})"


def _unknown(item: Asset, assets: Mapping[str, Asset]) -> list[str]:
    out = []
    for dep in item.deps:
        if dep not in assets:
            close = difflib.get_close_matches(dep, list(assets), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f"asset {item.key!r} ({item.origin}) depends on unknown {dep!r}{hint}")
    return out


def _toposort(upstream: dict[str, list[str]]) -> list[str]:
    pending = {key: len(ups) for key, ups in upstream.items()}
    children: dict[str, list[str]] = {key: [] for key in upstream}
    for key, ups in upstream.items():
        for up in ups:
            children[up].append(key)
    order = [key for key, count in pending.items() if count == 0]
    for key in order:  # the list grows while we walk it: a breadth-first Kahn's algorithm
        for child in children[key]:
            left = pending[child] - 1
            pending[child] = left
            if left == 0:
                order.append(child)
    if len(order) != len(upstream):
        done = set(order)
        raise AssetDefinitionError(
            "dependency cycle: "
            + " -> ".join(_find_cycle(upstream, done))
            + " (each depends on the next); remove one of these dependencies"
        )
    return order


def _find_cycle(upstream: dict[str, list[str]], done: set[str]) -> list[str]:
    """One cycle among the nodes Kahn's algorithm could not order, as a path a -> ... -> a."""
    # Every left-over node has an upstream that is left over too, so walking
    # upstream from any of them must revisit a node: that loop is the cycle.
    start = next(k for k in upstream if k not in done)
    path: list[str] = []
    index: dict[str, int] = {}
    node = start
    while node not in index:
        index[node] = len(path)
        path.append(node)
        node = next(u for u in upstream[node] if u not in done)
    cycle = path[index[node] :]
    # Walked upstream; report in dependency direction (a depends on b: a -> b ... -> a).
    return [*cycle, node]
