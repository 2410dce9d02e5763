"""Loading plugins: loaded, blocked by the controls, failed in isolation, strict and trace modes."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from flow.errors import PluginLoadError, UnknownProviderError
from flow.plugins import PluginCandidate, PluginHost, PluginInfo, PluginStatus, Register

Plugin = Callable[..., ModuleType]
Candidate = Callable[..., PluginCandidate]
Host = Callable[..., PluginHost]


class Codec:
    """A minimal codec object for registrations."""

    def decode(self, data: bytes) -> object:
        return data

    def encode(self, value: object) -> bytes:
        return str(value).encode()


def codecs(*names: str) -> Callable[[Register], None]:
    """A ``flow_register_codecs`` implementation registering ``names``."""

    def flow_register_codecs(register: Register) -> None:
        for name in names:
            register(name, Codec())

    return flow_register_codecs


def info(host: PluginHost, name: str, distribution: str | None = None) -> PluginInfo:
    (found,) = [
        p
        for p in host.plugins
        if p.name == name and (distribution is None or p.distribution == distribution)
    ]
    return found


def never_loaded() -> object:
    raise AssertionError("this plugin must not be imported")


# -- loaded ----------------------------------------------------------------------------------


def test_core_alone_provides_the_builtin_codecs(host: Host) -> None:
    h = host()
    assert [(p.name, p.distribution, p.status) for p in h.plugins] == [
        ("core", "flow-core", PluginStatus.LOADED)
    ]
    assert h.registry.names("codecs") == ["json", "text", "toml", "yaml"]


def test_plugin_loads_and_its_providers_resolve(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    h = host(candidate("acme", plugin(flow_register_codecs=codecs("acme", "acme2"))))
    acme = info(h, "acme")
    assert (acme.status, acme.error, acme.distribution, acme.version) == (
        PluginStatus.LOADED,
        None,
        "flow-acme",
        "1.0",
    )
    assert acme.provides == {"codecs": ["acme", "acme2"]}
    assert isinstance(h.registry.resolve("codecs", "acme"), Codec)
    provider = h.registry.provider("codecs", "acme2")
    assert (provider.plugin, provider.distribution, provider.is_lazy) == (
        "acme",
        "flow-acme",
        False,
    )
    assert [p.name for p in h.plugins] == ["core", "acme"]


# -- blocked ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["acme", "flow-acme", "Flow_Acme", " other , flow.acme "])
def test_disable_by_plugin_or_distribution_name_blocks_without_importing(
    host: Host, candidate: Candidate, plugin: Plugin, value: str
) -> None:
    h = host(
        candidate("acme", never_loaded),
        candidate("beta", plugin(flow_register_codecs=codecs("beta"))),
        FLOW_DISABLE_PLUGINS=value,
    )
    acme = info(h, "acme")
    assert acme.status is PluginStatus.BLOCKED
    assert acme.status_text == "blocked: disabled by FLOW_DISABLE_PLUGINS"
    assert info(h, "beta").status is PluginStatus.LOADED
    with pytest.raises(UnknownProviderError):
        h.registry.resolve("codecs", "acme")


def test_load_allow_list_keeps_only_the_named_plugins(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    h = host(
        candidate("acme", plugin(flow_register_codecs=codecs("acme"))),
        candidate("beta", never_loaded),
        candidate("gamma", plugin(flow_register_codecs=codecs("gamma")), distribution="gamma-dist"),
        FLOW_LOAD_PLUGINS="flow-acme,gamma",
    )
    assert info(h, "acme").status is PluginStatus.LOADED
    assert info(h, "gamma").status is PluginStatus.LOADED  # by plugin name
    assert info(h, "beta").status_text == "blocked: not in FLOW_LOAD_PLUGINS"
    assert info(h, "core").status is PluginStatus.LOADED


def test_empty_load_list_loads_only_core(host: Host, candidate: Candidate) -> None:
    h = host(candidate("acme", never_loaded), candidate("beta", never_loaded), FLOW_LOAD_PLUGINS="")
    assert {p.name: p.status for p in h.plugins} == {
        "core": PluginStatus.LOADED,
        "acme": PluginStatus.BLOCKED,
        "beta": PluginStatus.BLOCKED,
    }
    assert h.registry.names("codecs") == ["json", "text", "toml", "yaml"]


def test_core_cannot_be_disabled(host: Host) -> None:
    h = host(FLOW_DISABLE_PLUGINS="core,flow-core", FLOW_LOAD_PLUGINS="")
    assert info(h, "core").status is PluginStatus.LOADED


def test_disable_wins_over_load(host: Host, candidate: Candidate) -> None:
    h = host(candidate("acme", never_loaded), FLOW_LOAD_PLUGINS="acme", FLOW_DISABLE_PLUGINS="acme")
    assert info(h, "acme").status_text == "blocked: disabled by FLOW_DISABLE_PLUGINS"


# -- failed ----------------------------------------------------------------------------------


def test_import_error_is_isolated(host: Host, candidate: Candidate, plugin: Plugin) -> None:
    def broken() -> object:
        import flow_no_such_module_here  # type: ignore[import-not-found]  # noqa: F401

        raise AssertionError("unreachable")

    h = host(candidate("acme", broken), candidate("beta", plugin(flow_register_codecs=codecs("b"))))
    acme = info(h, "acme")
    assert acme.status is PluginStatus.FAILED
    assert (
        acme.status_text
        == "failed: ModuleNotFoundError: No module named 'flow_no_such_module_here'"
    )
    assert acme.provides == {}
    assert info(h, "beta").status is PluginStatus.LOADED
    assert h.registry.names("codecs") == ["b", "json", "text", "toml", "yaml"]


def test_hook_raising_fails_the_plugin_and_drops_what_it_registered(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    def flow_register_codecs(register: Register) -> None:
        register("half", Codec())
        raise ValueError("boom")

    h = host(
        candidate("acme", plugin(flow_register_codecs=flow_register_codecs)),
        candidate("beta", plugin(flow_register_codecs=codecs("b"))),
    )
    acme = info(h, "acme")
    assert acme.status_text == "failed: flow_register_codecs raised ValueError: boom"
    assert acme.provides == {}
    with pytest.raises(UnknownProviderError, match="'half'"):
        h.registry.resolve("codecs", "half")
    assert info(h, "beta").status is PluginStatus.LOADED


def test_invalid_hookimpl_signature_fails(host: Host, candidate: Candidate, plugin: Plugin) -> None:
    def flow_register_codecs(registr: Register) -> None:
        raise AssertionError("never called")

    h = host(candidate("acme", plugin(flow_register_codecs=flow_register_codecs)))
    acme = info(h, "acme")
    assert acme.status is PluginStatus.FAILED
    assert "PluginValidationError" in (acme.error or "")
    assert "registr" in (acme.error or "")


def test_unknown_hook_name_fails(host: Host, candidate: Candidate, plugin: Plugin) -> None:
    def flow_register_widgets(register: Register) -> None:
        raise AssertionError("never called")

    h = host(
        candidate(
            "acme",
            plugin(flow_register_codecs=codecs("a"), flow_register_widgets=flow_register_widgets),
        )
    )
    acme = info(h, "acme")
    assert acme.status_text.startswith("failed: unknown hook 'flow_register_widgets'")
    with pytest.raises(UnknownProviderError):
        h.registry.resolve("codecs", "a")


@pytest.mark.parametrize(
    ("name", "target", "message"),
    [
        ("Bad Name", Codec(), "invalid codecs name 'Bad Name'"),
        ("", Codec(), "invalid codecs name ''"),
        (3, Codec(), "invalid codecs name 3"),
        ("x", "no_colon_here", "must look like 'package.module:attr'"),
        ("x", "pkg.mod:", "must look like 'package.module:attr'"),
        ("x", ":attr", "must look like 'package.module:attr'"),
        ("x", None, "registered with target None"),
    ],
)
def test_bad_registration_fails_the_plugin(
    host: Host, candidate: Candidate, plugin: Plugin, name: Any, target: object, message: str
) -> None:
    def flow_register_codecs(register: Register) -> None:
        register(name, target)

    h = host(candidate("acme", plugin(flow_register_codecs=flow_register_codecs)))
    acme = info(h, "acme")
    assert acme.status is PluginStatus.FAILED
    assert message in (acme.error or "")


def test_duplicate_registration_fails(host: Host, candidate: Candidate, plugin: Plugin) -> None:
    h = host(candidate("acme", plugin(flow_register_codecs=codecs("dup", "dup"))))
    assert info(h, "acme").status_text == "failed: registered codecs 'dup' twice"


def test_same_name_for_two_kinds_is_fine(host: Host, candidate: Candidate, plugin: Plugin) -> None:
    def flow_register_homes(register: Register) -> None:
        register("acme", "acme_mod:Home")

    module = plugin(flow_register_codecs=codecs("acme"), flow_register_homes=flow_register_homes)
    h = host(candidate("acme", module))
    assert info(h, "acme").provides == {"codecs": ["acme"], "homes": ["acme"]}


# -- strict ----------------------------------------------------------------------------------


def test_strict_mode_raises_on_a_failing_plugin(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    def broken() -> object:
        raise ImportError("cannot import name 'x'")

    with pytest.raises(PluginLoadError, match="FLOW_STRICT_PLUGINS") as caught:
        host(candidate("acme", broken), FLOW_STRICT_PLUGINS="1")
    assert "plugin 'acme' from flow-acme 1.0: failed: ImportError: cannot import name 'x'" in str(
        caught.value
    )
    assert isinstance(caught.value.__cause__, ImportError)


def test_strict_mode_raises_on_an_incompatible_plugin(host: Host, candidate: Candidate) -> None:
    with pytest.raises(PluginLoadError, match="incompatible: requires flow-core>=99"):
        host(
            candidate("acme", never_loaded, requires=("flow-core>=99",)), FLOW_STRICT_PLUGINS="true"
        )


def test_strict_mode_is_quiet_when_all_load(
    host: Host, candidate: Candidate, plugin: Plugin
) -> None:
    h = host(
        candidate("acme", plugin(flow_register_codecs=codecs("a"))),
        candidate("beta", never_loaded),
        FLOW_STRICT_PLUGINS="1",
        FLOW_DISABLE_PLUGINS="beta",  # blocked on purpose is not a failure
    )
    assert info(h, "acme").status is PluginStatus.LOADED


# -- trace -----------------------------------------------------------------------------------


def test_trace_writes_hook_calls_and_outcomes_to_stderr(
    host: Host, candidate: Candidate, plugin: Plugin, capsys: pytest.CaptureFixture[str]
) -> None:
    host(
        candidate("acme", plugin(flow_register_codecs=codecs("acme"))),
        candidate("beta", never_loaded),
        FLOW_TRACE_PLUGINS="1",
        FLOW_DISABLE_PLUGINS="beta",
    )
    err = capsys.readouterr().err
    assert "flow_register_codecs" in err  # pluggy's hook-call trace
    assert "flow plugins: acme (flow-acme 1.0) loaded: in " in err
    assert "flow plugins: beta (flow-beta 1.0) blocked: disabled by FLOW_DISABLE_PLUGINS" in err


def test_no_trace_by_default(
    host: Host, candidate: Candidate, plugin: Plugin, capsys: pytest.CaptureFixture[str]
) -> None:
    host(candidate("acme", plugin(flow_register_codecs=codecs("acme"))), FLOW_TRACE_PLUGINS="0")
    assert capsys.readouterr().err == ""
