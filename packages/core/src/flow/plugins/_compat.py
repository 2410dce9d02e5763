"""Whether a plugin's declared ``flow-core`` requirement admits the installed core."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable

from .._version import __version__
from ._controls import normalize

__all__ = ["PLUGIN_API_VERSION", "incompatibility"]

#: Bumped whenever a hook spec or a provider protocol changes incompatibly; every
#: bump comes with a new flow-core minor release, which plugins pin against.
PLUGIN_API_VERSION = 1

# Only requirement lines that can name flow-core are looked at (PEP 503: -, _ and . are equal).
_NAMES_CORE = re.compile(r"^\s*flow[-_.]+core\b", re.IGNORECASE)
_RELEASE = re.compile(r"^\d+(\.\d+)*$")
# `flow-core>=0.1,<0.2` and friends: release numbers only, no extras, markers or wildcards.
_SIMPLE = re.compile(
    r"^\s*flow[-_.]+core\s*\(?\s*((?:(?:>=|<=|==|!=|<|>)\s*\d+(?:\.\d+)*\s*,?\s*)+)\)?\s*$",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"(>=|<=|==|!=|<|>)\s*(\d+(?:\.\d+)*)")
_OPS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}


def incompatibility(requires: Iterable[str] | None, core_version: str = __version__) -> str | None:
    """A message when ``requires`` excludes ``core_version``, else None.

    A plugin that does not name ``flow-core`` at all is taken as compatible, and
    so is a requirement that only applies under an extra or another environment.
    """
    for line in requires or ():
        if not _NAMES_CORE.match(line):
            continue
        spec = _simple_check(line, core_version)
        if spec is None:
            spec = _packaging_check(line, core_version)
        if spec:
            return (
                f"requires flow-core{spec} but flow-core {core_version} is installed; "
                "install a plugin release made for this core, or a matching flow-core"
            )
    return None


def _simple_check(line: str, core_version: str) -> str | None:
    """The specifier when a plain release-number requirement excludes the core, ``""`` when it
    admits it, None when the line is not that simple.

    Why by hand: importing ``packaging.specifiers`` costs ~40 ms, paid by every
    ``flow`` process with a plugin installed. For release numbers alone PEP 440
    ordering is the ordering of zero-padded integer tuples, so the everyday
    ``flow-core>=0.1,<0.2`` is decided here; everything else (pre-releases,
    wildcards, ``~=``, markers, extras) goes to packaging.
    """
    match = _SIMPLE.match(line)
    if match is None or not _RELEASE.match(core_version):
        return None
    clauses = _CLAUSE.findall(match.group(1))
    width = max(len(v.split(".")) for v in [core_version, *(v for _, v in clauses)])
    core = _padded(core_version, width)
    spec = ",".join(sorted(f"{op}{v}" for op, v in clauses))
    admitted = all(_OPS[op](core, _padded(v, width)) for op, v in clauses)
    return "" if admitted else spec


def _padded(version: str, width: int) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (width - len(parts)))


def _packaging_check(line: str, core_version: str) -> str:
    """The specifier when ``line`` excludes ``core_version``, else ``""`` (packaging decides)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return ""
    if normalize(requirement.name) != "flow-core":
        return ""
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        return ""
    if requirement.specifier.contains(core_version, prereleases=True):
        return ""
    return str(requirement.specifier)
