"""Conflicts are never silent: both sides are shown, and using the name says how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
from flow.errors import PluginConflictError
from flow.plugins import PluginCandidate, PluginHost, PluginStatus, Register

Plugin = Callable[..., ModuleType]
Candidate = Callable[..., PluginCandidate]
Host = Callable[..., PluginHost]


def codecs(*names: str) -> Callable[[Register], None]:
    def flow_register_codecs(register: Register) -> None:
        for name in names:
            register(name, f"{name}_module:Codec")

    return flow_register_codecs


def statuses(host: PluginHost) -> dict[tuple[str, str], str]:
    return {(p.name, p.distribution): p.status_text for p in host.plugins}


def test_provider_name_clash_marks_both_and_use_raises(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    h = host(
        candidate("acme", plugin(flow_register_codecs=codecs("shared", "mine"))),
        candidate("other", plugin(flow_register_codecs=codecs("shared"))),
    )
    assert (
        statuses(h)[("acme", "flow-acme")]
        == "conflict: codecs 'shared' also registered by flow-other"
    )
    assert (
        statuses(h)[("other", "flow-other")]
        == "conflict: codecs 'shared' also registered by flow-acme"
    )
    assert statuses(h)[("core", "flow-core")] == "loaded"
    with pytest.raises(PluginConflictError) as caught:
        h.registry.resolve("codecs", "shared")
    message = str(caught.value)
    assert "flow-acme" in message
    assert "flow-other" in message
    assert "FLOW_DISABLE_PLUGINS=flow-other" in message
    # The names that do not clash stay usable.
    assert h.registry.provider("codecs", "mine").distribution == "flow-acme"
    assert len(h.registry.providers("codecs", "shared")) == 2


def test_disabling_one_side_resolves_the_conflict(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    h = host(
        candidate("acme", plugin(flow_register_codecs=codecs("shared"))),
        candidate("other", plugin(flow_register_codecs=codecs("shared"))),
        FLOW_DISABLE_PLUGINS="flow-other",
    )
    assert statuses(h)[("acme", "flow-acme")] == "loaded"
    assert h.registry.provider("codecs", "shared").distribution == "flow-acme"


def test_clash_with_a_builtin_marks_core_too(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    h = host(candidate("acme", plugin(flow_register_codecs=codecs("json"))))
    assert (
        statuses(h)[("core", "flow-core")] == "conflict: codecs 'json' also registered by flow-acme"
    )
    assert (
        statuses(h)[("acme", "flow-acme")] == "conflict: codecs 'json' also registered by flow-core"
    )
    with pytest.raises(PluginConflictError, match="flow-core, flow-acme"):
        h.registry.resolve("codecs", "json")


def test_same_plugin_name_from_two_distributions(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    def homes(register: Register) -> None:
        register("fork-home", "m:Home")

    h = host(
        candidate("acme", plugin(flow_register_homes=homes), distribution="flow-acme-fork"),
        candidate("acme", plugin(flow_register_codecs=codecs("acme"))),
    )
    assert statuses(h) == {
        ("core", "flow-core"): "loaded",
        ("acme", "flow-acme-fork"): "conflict: plugin name 'acme' also claimed by flow-acme",
        ("acme", "flow-acme"): "conflict: plugin name 'acme' also claimed by flow-acme-fork",
    }


def test_same_plugin_name_and_same_provider(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    h = host(
        candidate(
            "acme", plugin(flow_register_codecs=codecs("acme")), distribution="flow-acme-fork"
        ),
        candidate("acme", plugin(flow_register_codecs=codecs("acme"))),
    )
    assert {p.status for p in h.plugins if p.name == "acme"} == {PluginStatus.CONFLICT}
    with pytest.raises(PluginConflictError, match="flow-acme-fork"):
        h.registry.resolve("codecs", "acme")


def test_a_plugin_named_core_cannot_replace_the_builtins(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    h = host(
        candidate("core", plugin(flow_register_codecs=codecs("evil")), distribution="flow-evil")
    )
    assert [(p.name, p.distribution) for p in h.plugins] == [
        ("core", "flow-core"),
        ("core", "flow-evil"),
    ]
    assert statuses(h)[("core", "flow-core")] == "loaded"
    assert (
        statuses(h)[("core", "flow-evil")]
        == "conflict: plugin name 'core' also claimed by flow-core"
    )
    assert "json" in h.registry.names("codecs")


def test_a_plugin_named_core_can_still_be_disabled(host: Host, candidate: Candidate) -> None:
    def never() -> object:
        raise AssertionError("blocked plugins are not imported")

    h = host(candidate("core", never, distribution="flow-evil"), FLOW_DISABLE_PLUGINS="flow-evil")
    assert statuses(h)[("core", "flow-evil")] == "blocked: disabled by FLOW_DISABLE_PLUGINS"
    assert statuses(h)[("core", "flow-core")] == "loaded"
