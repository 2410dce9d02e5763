"""The typed registry: lazy targets, resolution, and errors that say what to do."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

import pytest
from flow.errors import PluginLoadError, UnknownProviderError
from flow.plugins import PluginCandidate, PluginHost, Register

Plugin = Callable[..., ModuleType]
Candidate = Callable[..., PluginCandidate]
Host = Callable[..., PluginHost]
WriteModule = Callable[[str, str], str]


def homes(**targets: str) -> Callable[[Register], None]:
    def flow_register_homes(register: Register) -> None:
        for name, target in targets.items():
            register(name, target)

    return flow_register_homes


def test_lazy_target_is_imported_only_on_resolve(
    host: Host, candidate: Candidate, plugin: Plugin, module_dir: WriteModule
) -> None:
    module_dir("flow_test_lazy_home", "class Home:\n    class Inner:\n        pass\n")
    h = host(
        candidate(
            "acme",
            plugin(
                flow_register_homes=homes(
                    acme="flow_test_lazy_home:Home", inner="flow_test_lazy_home:Home.Inner"
                )
            ),
        )
    )
    assert "flow_test_lazy_home" not in sys.modules
    assert h.registry.provider("homes", "acme").is_lazy
    assert h.registry.names("homes") == ["acme", "inner"]
    assert "flow_test_lazy_home" not in sys.modules
    home = h.registry.resolve("homes", "acme")
    assert "flow_test_lazy_home" in sys.modules
    assert home is sys.modules["flow_test_lazy_home"].Home
    assert h.registry.resolve("homes", "acme") is home  # cached
    assert h.registry.resolve("homes", "inner") is home.Inner  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("target", "cause"),
    [
        ("flow_test_missing_module_xyz:Home", "No module named 'flow_test_missing_module_xyz'"),
        ("flow_test_lazy_broken:Home", "ZeroDivisionError"),
        ("flow_test_lazy_ok:Nope", "has no attribute 'Nope'"),
    ],
)
def test_failing_lazy_import_is_a_clear_error(
    host: Host,
    candidate: Candidate,
    plugin: Plugin,
    module_dir: WriteModule,
    target: str,
    cause: str,
) -> None:
    module_dir("flow_test_lazy_broken", "1 / 0\n")
    module_dir("flow_test_lazy_ok", "class Home:\n    pass\n")
    h = host(candidate("acme", plugin(flow_register_homes=homes(acme=target))))
    with pytest.raises(PluginLoadError) as caught:
        h.registry.resolve("homes", "acme")
    message = str(caught.value)
    assert f"home 'acme' from flow-acme (target {target!r}) failed to import" in message
    assert cause in message
    assert "pip install --force-reinstall flow-acme" in message
    assert "FLOW_DISABLE_PLUGINS=flow-acme" in message
    assert caught.value.__cause__ is not None


def test_unknown_name_lists_known_names(host: Host) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        host().registry.resolve("codecs", "xml")
    assert str(caught.value) == "no codec named 'xml'; known: json, text, toml, yaml."
    assert isinstance(caught.value, LookupError)


def test_unknown_in_repo_name_says_which_distribution_to_install(host: Host) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        host().registry.resolve("watchers", "redis")
    message = str(caught.value)
    assert "no watcher named 'redis'; known: none." in message
    assert "provided by flow-watcher-redis: `pip install flow-watcher-redis`" in message


def test_unknown_name_mentions_plugins_that_did_not_load(host: Host, candidate: Candidate) -> None:
    def never() -> object:
        raise AssertionError("blocked")

    h = host(candidate("redis", never, distribution="flow-watcher-redis"), FLOW_LOAD_PLUGINS="")
    with pytest.raises(UnknownProviderError) as caught:
        h.registry.resolve("watchers", "redis")
    assert "Not loaded: flow-watcher-redis (blocked: not in FLOW_LOAD_PLUGINS)" in str(caught.value)
    assert "flow plugins list" in str(caught.value)


def test_unknown_io_manager_uses_readable_kind(host: Host) -> None:
    with pytest.raises(UnknownProviderError, match=r"^no io manager named 'parquet'"):
        host().registry.resolve("io_managers", "parquet")


def test_object_targets_are_returned_as_is(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    marker = object()

    def flow_register_stores(register: Register) -> None:
        register("obj", marker)

    h = host(candidate("acme", plugin(flow_register_stores=flow_register_stores)))
    assert h.registry.resolve("stores", "obj") is marker
    assert not h.registry.provider("stores", "obj").is_lazy
    assert h.registry.names("homes") == []
    assert h.registry.providers("stores", "nothing") == []
