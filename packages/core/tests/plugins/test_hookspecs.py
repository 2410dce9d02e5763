"""Every hook spec is documented with its exact signature and exercised by a test here.

``test_every_hookspec_is_documented_and_tested`` fails when a hook spec is
added without a section in docs/plugins.md or a ``test_hookspec_<name>`` test.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import typer
from flow.live.codecs import get_codec
from flow.live.uri import SourceURI
from flow.live.watcher import open_watcher
from flow.plugins import FlowHookSpecs, PluginCandidate, PluginHost, PluginStatus, Register
from flow.testing import ChannelWatcher
from typer.testing import CliRunner

Plugin = Callable[..., ModuleType]
Candidate = Callable[..., PluginCandidate]
Host = Callable[..., PluginHost]
WriteModule = Callable[[str, str], str]
Install = Callable[[PluginHost], PluginHost]

CORE_TESTS = Path(__file__).resolve().parents[1]
DOCS = Path(__file__).resolve().parents[4] / "docs" / "plugins.md"


def hookspec_names() -> list[str]:
    """The hook specs pluggy sees on FlowHookSpecs (marked with ``flow_spec``)."""
    return sorted(
        name
        for name, fn in inspect.getmembers(FlowHookSpecs, inspect.isfunction)
        if hasattr(fn, "flow_spec")
    )


def signature_text(name: str) -> str:
    """``flow_register_watchers(register: Register) -> None`` for a hook spec."""
    sig = inspect.signature(getattr(FlowHookSpecs, name))

    def text(annotation: object) -> str:
        return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)

    params = [p for p in sig.parameters.values() if p.name != "self"]
    args = ", ".join(f"{p.name}: {text(p.annotation)}" for p in params)
    return f"{name}({args}) -> {text(sig.return_annotation)}"


def defined_test_names() -> set[str]:
    names: set[str] = set()
    for path in CORE_TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {
            n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
    return names


def test_every_hookspec_is_documented_and_tested() -> None:
    names = hookspec_names()
    assert len(names) >= 6, names
    docs = DOCS.read_text(encoding="utf-8")
    defined = defined_test_names()
    undocumented = [signature_text(n) for n in names if signature_text(n) not in docs]
    untested = [f"test_hookspec_{n}" for n in names if f"test_hookspec_{n}" not in defined]
    assert not undocumented, f"add these exact signatures to {DOCS}: {undocumented}"
    assert not untested, f"add these tests under {CORE_TESTS}: {untested}"


def test_signature_text_is_exact() -> None:
    assert (
        signature_text("flow_register_watchers")
        == "flow_register_watchers(register: Register) -> None"
    )
    assert (
        signature_text("flow_register_commands")
        == "flow_register_commands(cli: typer.Typer) -> None"
    )


# -- one real exercise per hook ----------------------------------------------------------------


async def test_hookspec_flow_register_watchers(
    host: Host, candidate: Candidate, plugin: Plugin, process_host: Install
) -> None:
    made: list[ChannelWatcher] = []

    def factory(uri: SourceURI) -> ChannelWatcher:
        made.append(ChannelWatcher(initial=uri.path.encode()))
        return made[-1]

    def flow_register_watchers(register: Register) -> None:
        register("chan", factory)

    process_host(host(candidate("chan", plugin(flow_register_watchers=flow_register_watchers))))
    watcher = open_watcher("chan://somewhere/hello")
    try:
        first = await anext(aiter(watcher.changes()))
    finally:
        await watcher.aclose()
    assert first.value == b"/hello"
    assert made[0].closed


def test_hookspec_flow_register_codecs(
    host: Host, candidate: Candidate, plugin: Plugin, process_host: Install, module_dir: WriteModule
) -> None:
    module_dir(
        "flow_test_upper_codec",
        """
        class Upper:
            name = "upper"
            extensions = (".up",)
            def decode(self, data): return data.decode().upper()
            def encode(self, value): return str(value).lower().encode()
        """,
    )

    def flow_register_codecs(register: Register) -> None:
        register("upper", "flow_test_upper_codec:Upper")

    process_host(host(candidate("upper", plugin(flow_register_codecs=flow_register_codecs))))
    codec = get_codec("upper")
    assert codec.decode(b"abc") == "ABC"
    assert codec.encode("XY") == b"xy"


def _kind_is_registered(
    kind: str, host: Host, candidate: Candidate, plugin: Plugin, module_dir: WriteModule
) -> None:
    module_dir(f"flow_test_{kind}_target", "class Provider:\n    pass\n")
    hook = f"flow_register_{kind}"

    def register_it(register: Register) -> None:
        register("thing", f"flow_test_{kind}_target:Provider")

    h = host(candidate("things", plugin(**{hook: register_it})))
    (info,) = [p for p in h.plugins if p.name == "things"]
    assert (info.status, info.provides) == (PluginStatus.LOADED, {kind: ["thing"]})
    resolved = h.registry.resolve(kind, "thing")  # type: ignore[arg-type]
    assert isinstance(resolved, type)
    assert resolved.__module__ == f"flow_test_{kind}_target"


def test_hookspec_flow_register_homes(
    host: Host, candidate: Candidate, plugin: Plugin, module_dir: WriteModule
) -> None:
    _kind_is_registered("homes", host, candidate, plugin, module_dir)


def test_hookspec_flow_register_stores(
    host: Host, candidate: Candidate, plugin: Plugin, module_dir: WriteModule
) -> None:
    _kind_is_registered("stores", host, candidate, plugin, module_dir)


def test_hookspec_flow_register_io_managers(
    host: Host, candidate: Candidate, plugin: Plugin, module_dir: WriteModule
) -> None:
    _kind_is_registered("io_managers", host, candidate, plugin, module_dir)


def test_hookspec_flow_register_commands(host: Host, candidate: Candidate, plugin: Plugin) -> None:
    def flow_register_commands(cli: typer.Typer) -> None:
        @cli.command("hello")
        def hello(name: str = "world") -> None:
            """Say hello."""
            typer.echo(f"hello {name}")

    from flow.cli import build_app

    h = host(candidate("greet", plugin(flow_register_commands=flow_register_commands)))
    app = build_app()
    builtin = len(app.registered_commands)
    h.register_commands(app)
    h.register_commands(app)  # once per host: a second call adds nothing
    result = CliRunner().invoke(app, ["hello", "--name", "flow"])
    assert (result.exit_code, result.output) == (0, "hello flow\n"), result.output
    (info,) = [p for p in h.plugins if p.name == "greet"]
    assert info.provides == {"commands": ["hello"]}
    assert len(app.registered_commands) == builtin + 1
