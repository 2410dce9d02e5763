"""``flow plugins list|new``, ``flow --version`` and plugin-added commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer
from flow._version import __version__
from flow.cli import build_app, main
from flow.cli.plugins_view import fast_list
from flow.plugins import PluginCandidate, PluginHost, Register, hookimpl, reset_host
from typer.testing import CliRunner

FLOW = Path(sys.executable).parent / "flow"


def module(**hooks: Callable[..., Any]) -> ModuleType:
    mod = ModuleType("fake_cli_plugin")
    for name, fn in hooks.items():
        setattr(mod, name, hookimpl(fn))
    return mod


def codecs(*names: str) -> Callable[[Register], None]:
    def flow_register_codecs(register: Register) -> None:
        for name in names:
            register(name, f"{name}_mod:Codec")

    return flow_register_codecs


def watchers(*names: str) -> Callable[[Register], None]:
    def flow_register_watchers(register: Register) -> None:
        for name in names:
            register(name, f"{name}_mod:Watcher")

    return flow_register_watchers


def broken() -> object:
    raise ImportError("cannot import name 'Client' from 'acme_sdk'")


def hello_commands(cli: typer.Typer) -> None:
    @cli.command("hello")
    def hello(name: str = "world") -> None:
        """Say hello."""
        typer.echo(f"hello {name}")


def raising_commands(cli: typer.Typer) -> None:
    @cli.command("half")
    def half() -> None:
        """Never reachable: the hook raises after adding it."""

    raise RuntimeError("no commands today")


CANDIDATES = [
    PluginCandidate(
        "acme", "flow-acme", "1.2.3", lambda: module(flow_register_codecs=codecs("acme"))
    ),
    PluginCandidate("bad", "flow-bad", "0.1", broken),
    PluginCandidate(
        "chan", "flow-chan", "2.0", lambda: module(flow_register_watchers=watchers("chan"))
    ),
]


@pytest.fixture
def install() -> Iterator[Callable[..., PluginHost]]:
    def make(*candidates: PluginCandidate, **environ: str) -> PluginHost:
        host = PluginHost(candidates or CANDIDATES, environ=environ)
        reset_host(host)
        return host

    yield make
    reset_host()


def invoke(app: typer.Typer, *args: str) -> Any:
    # A wide terminal keeps rich from folding words across table rows.
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def flat(text: str) -> str:
    """Output without rich's box drawing and with whitespace collapsed."""
    return " ".join(re.sub(r"[│┃╭╮╰╯─━┏┓┗┛┡┩└┘┳┻╇╈┼┴┬]", " ", text).split())


def test_list_table_shows_every_plugin_and_status(install: Callable[..., PluginHost]) -> None:
    install()
    result = invoke(build_app(), "plugins", "list")
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    for text in (
        "core",
        "flow-core",
        "acme",
        "flow-acme",
        "1.2.3",
        "codecs: acme",
        "loaded",
        "chan",
    ):
        assert text in out
    assert "failed: ImportError: cannot import name 'Client' from 'acme_sdk'" in out


def test_list_json_is_the_same_data(install: Callable[..., PluginHost]) -> None:
    host = install()
    result = invoke(build_app(), "plugins", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed == [p.to_json() for p in host.plugins]
    by_name = {p["name"]: p for p in listed}
    assert by_name["bad"]["status"] == "failed"
    assert by_name["bad"]["error"] == "ImportError: cannot import name 'Client' from 'acme_sdk'"
    assert by_name["bad"]["provides"] == {}
    assert by_name["acme"] == {
        "name": "acme",
        "distribution": "flow-acme",
        "version": "1.2.3",
        "status": "loaded",
        "error": None,
        "provides": {"codecs": ["acme"]},
    }


@pytest.mark.parametrize(
    ("kind", "names"), [("watchers", ["chan"]), ("codecs", ["core", "acme"]), ("homes", [])]
)
def test_list_kind_filters(install: Callable[..., PluginHost], kind: str, names: list[str]) -> None:
    install()
    result = invoke(build_app(), "plugins", "list", "--json", "--kind", kind)
    assert result.exit_code == 0, result.output
    assert [p["name"] for p in json.loads(result.output)] == names
    table = invoke(build_app(), "plugins", "list", "--kind", kind)
    assert table.exit_code == 0
    if kind == "watchers":
        assert "chan" in table.output
        assert "codecs:" not in table.output


def test_list_bad_kind_is_a_usage_error(install: Callable[..., PluginHost]) -> None:
    install()
    result = invoke(build_app(), "plugins", "list", "--kind", "widgets")
    assert result.exit_code == 2
    assert "unknown kind 'widgets'" in result.output
    assert "watchers, codecs, homes, stores, io_managers, commands" in flat(result.output)


def test_version() -> None:
    result = invoke(build_app(), "--version")
    assert (result.exit_code, result.output) == (0, f"flow {__version__}\n")


def test_plugin_command_runs_and_a_raising_command_hook_is_isolated(
    install: Callable[..., PluginHost],
) -> None:
    host = install(
        PluginCandidate(
            "greet", "flow-greet", "1.0", lambda: module(flow_register_commands=hello_commands)
        ),
        PluginCandidate(
            "oops", "flow-oops", "1.0", lambda: module(flow_register_commands=raising_commands)
        ),
    )
    app = build_app()
    host.register_commands(app)
    hello = invoke(app, "hello", "--name", "flow")
    assert (hello.exit_code, hello.output) == (0, "hello flow\n")
    half = invoke(app, "half")
    assert half.exit_code == 2  # removed again: "No such command"
    listed = {p["name"]: p for p in json.loads(invoke(app, "plugins", "list", "--json").output)}
    assert listed["greet"]["status"] == "loaded"
    assert listed["greet"]["provides"] == {"commands": ["hello"]}
    assert listed["oops"]["status"] == "failed"
    assert (
        listed["oops"]["error"] == "flow_register_commands raised RuntimeError: no commands today"
    )
    commands = invoke(app, "plugins", "list", "--json", "--kind", "commands")
    assert [p["name"] for p in json.loads(commands.output)] == ["greet"]
    assert invoke(app, "--help").exit_code == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["plugins", "list"],
        ["plugins", "list", "--json"],
        ["plugins", "list", "--kind", "codecs", "--json"],
        ["plugins", "list", "--kind=watchers"],
    ],
)
def test_fast_path_prints_what_typer_prints(
    install: Callable[..., PluginHost],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    install()
    expected = invoke(build_app(), *argv)
    monkeypatch.setattr(sys, "argv", ["flow", *argv])
    monkeypatch.setenv("COLUMNS", "200")
    main()
    out = capsys.readouterr().out
    if "--json" in argv:
        assert json.loads(out) == json.loads(expected.output)
    else:
        assert flat(out) == flat(expected.output)


@pytest.mark.parametrize(
    "argv",
    [
        ["plugins", "list", "--help"],
        ["plugins", "list", "--kind", "bogus"],
        ["plugins", "list", "--kind"],
        ["plugins", "list", "--json", "--json"],
        ["plugins", "list", "extra"],
        ["plugins"],
        ["--version"],
    ],
)
def test_fast_path_leaves_everything_else_to_typer(
    install: Callable[..., PluginHost], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    install()
    assert fast_list(argv) is False
    assert capsys.readouterr().out == ""


def test_new_creates_a_project(tmp_path: Path) -> None:
    result = invoke(build_app(), "plugins", "new", "acme", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"created {tmp_path / 'flow-acme'}" in result.output
    assert (tmp_path / "flow-acme" / "src" / "flow_acme" / "plugin.py").is_file()
    again = invoke(build_app(), "plugins", "new", "acme", "--dir", str(tmp_path))
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_new_rejects_a_bad_name(tmp_path: Path) -> None:
    result = invoke(build_app(), "plugins", "new", "Bad Name", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "invalid plugin name 'Bad Name'" in result.output
    assert list(tmp_path.iterdir()) == []


# -- the installed console script, as users run it --------------------------------------------


def run_flow(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FLOW_")} | env
    return subprocess.run(
        [str(FLOW), *args], capture_output=True, text=True, env=environ, timeout=60
    )


def test_console_script_load_nothing_lists_only_core() -> None:
    done = run_flow("plugins", "list", "--json", FLOW_LOAD_PLUGINS="")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [p["name"] for p in listed if p["status"] != "blocked"] == ["core"]


def test_console_script_disable_drops_exactly_one_distribution() -> None:
    every = {
        p["distribution"]: p["status"]
        for p in json.loads(run_flow("plugins", "list", "--json").stdout)
    }
    victim = next((d for d in every if d != "flow-core"), None)
    if victim is None:
        pytest.skip("no plugin distribution installed next to flow-core (run `uv sync`)")
    done = run_flow("plugins", "list", "--json", FLOW_DISABLE_PLUGINS=victim)
    after = {p["distribution"]: p["status"] for p in json.loads(done.stdout)}
    assert after == every | {victim: "blocked"}


CHECK = """
import io, json, sys, contextlib
sys.argv = ["flow", *sys.argv[1:]]
from flow.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy})))
"""
CLIENT_LIBRARIES = {
    "redis",
    "pyarrow",
    "nats",
    "kazoo",
    "aetcd",
    "consul",
    "google",
    "watchdog",
    "grpc",
}


@pytest.mark.parametrize("args", [["plugins", "list", "--json"], ["plugins", "list"]])
def test_listing_imports_no_client_library(args: list[str]) -> None:
    code = CHECK.format(heavy=sorted(CLIENT_LIBRARIES | {"pydantic"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOW_")}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert [m for m in imported if m.split(".")[0] in CLIENT_LIBRARIES] == []
    # pydantic costs ~150 ms of start-up: `flow plugins list` must not need it (benchmarks/).
    assert [m for m in imported if m.startswith("pydantic")] == []
