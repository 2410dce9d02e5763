"""Whether a plugin's declared ``flow-core`` requirement admits the installed core."""

from __future__ import annotations

from collections.abc import Iterable

from .._version import __version__
from ._controls import normalize

__all__ = ["PLUGIN_API_VERSION", "incompatibility"]

#: Bumped whenever a hook spec or a provider protocol changes incompatibly.
PLUGIN_API_VERSION = 1


def incompatibility(requires: Iterable[str] | None, core_version: str = __version__) -> str | None:
    """A message when ``requires`` excludes ``core_version``, else None.

    A plugin that does not name ``flow-core`` at all is taken as compatible.
    """
    # packaging is imported here, not at module level: most processes have no
    # third-party plugin and should not pay for it at start-up.
    from packaging.requirements import InvalidRequirement, Requirement

    for line in requires or ():
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if normalize(requirement.name) != "flow-core":
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        if requirement.specifier and not requirement.specifier.contains(
            core_version, prereleases=True
        ):
            return (
                f"requires flow-core{requirement.specifier} but flow-core {core_version} is "
                "installed; install a plugin release made for this core, or a matching flow-core"
            )
    return None
