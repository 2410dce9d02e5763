"""@asset, keys, registries, Definitions, the DAG, and finding a project's assets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from flow.assets import AssetRegistry, Definitions, asset, load_definitions
from flow.assets.keys import check_key, param_name
from flow.errors import AssetDefinitionError


@pytest.mark.parametrize(
    "key", ["../x", "/abs", "a/../b", "a\\b", "..", ".", "", "a//b", "a/", "1abc", "a b", "a.b"]
)
def test_bad_keys_are_refused_at_decoration(key: str) -> None:
    with pytest.raises(AssetDefinitionError, match="asset key"):

        @asset(name=key)
        def fn() -> int:
            return 1


def test_traversal_message_says_so() -> None:
    with pytest.raises(AssetDefinitionError, match="path traversal"):
        check_key("../../etc/passwd")
    with pytest.raises(AssetDefinitionError, match="at most"):
        check_key("a" * 300)
    assert check_key("sales/daily_report") == "sales/daily_report"
    assert param_name("sales/raw") == "sales__raw"


def test_asset_registers_and_stays_callable(registry: AssetRegistry) -> None:
    @asset
    def raw() -> list[int]:
        return [1, 2]

    @asset(deps=["raw"], description="doubled")
    async def doubled(context: object, raw: list[int]) -> list[int]:
        return [x * 2 for x in raw]

    assert "raw" in registry
    assert "doubled" in registry
    assert raw() == [1, 2]
    assert doubled.is_async
    assert doubled.wants_context
    assert doubled.inputs == {"raw": "raw"}
    assert doubled.description == "doubled"
    assert raw.deps == ()


def test_namespaced_dep_maps_to_double_underscore() -> None:
    @asset(name="sales/raw")
    def raw() -> int:
        return 1

    @asset(deps=["sales/raw"])
    def report(sales__raw: int) -> int:
        return sales__raw

    assert report.inputs == {"sales/raw": "sales__raw"}


def test_parameter_that_is_not_a_dep_is_an_error() -> None:
    with pytest.raises(AssetDefinitionError, match=r"parameter 'raw'.*deps=\['raw'\]"):

        @asset
        def report(raw: int) -> int:
            return raw


def test_dep_listed_twice_or_self_dep() -> None:
    with pytest.raises(AssetDefinitionError, match="deps and optional_deps"):

        @asset(deps=["a"], optional_deps=["a"])
        def b(a: int) -> int:
            return a

    with pytest.raises(AssetDefinitionError, match="itself"):

        @asset(deps=["c"])
        def c() -> int:
            return 1


def test_duplicate_key_names_both_modules() -> None:
    def make() -> None:
        @asset(name="dupe")
        def one() -> int:
            return 1

    make()
    make()  # the same function again (a re-import) replaces silently
    with pytest.raises(AssetDefinitionError) as info:

        @asset(name="dupe")
        def two() -> int:
            return 2

    message = str(info.value)
    assert "make.<locals>.one" in message
    assert "two" in message
    assert __name__ in message


def test_bad_source_uri_is_refused() -> None:
    with pytest.raises(AssetDefinitionError, match="source"):

        @asset(sources=["redis://host:notaport/0"])
        def fn() -> int:
            return 1


def _defs(
    *specs: tuple[str, list[str]], optional: dict[str, list[str]] | None = None
) -> Definitions:
    made = []
    for key, deps in specs:
        opt = (optional or {}).get(key, [])

        def fn(**kwargs: object) -> int:
            return 1

        made.append(asset(name=key, deps=deps, optional_deps=opt, register=False)(fn))
    return Definitions(made)


def test_cycle_error_names_the_path() -> None:
    with pytest.raises(AssetDefinitionError) as info:
        _defs(("a", ["c"]), ("b", ["a"]), ("c", ["b"]), ("d", []))
    message = str(info.value)
    assert "dependency cycle" in message
    path = message.split("dependency cycle: ")[1].split(" (")[0].split(" -> ")
    assert path[0] == path[-1]
    assert sorted(path[:-1]) == ["a", "b", "c"]


def test_unknown_dep_is_named_with_a_suggestion() -> None:
    with pytest.raises(AssetDefinitionError) as info:
        _defs(("raw_events", []), ("report", ["raw_event"]))
    message = str(info.value)
    assert "'report'" in message
    assert "'raw_event'" in message
    assert "did you mean 'raw_events'" in message


def test_missing_optional_dep_is_fine_and_order_is_topological() -> None:
    defs = _defs(("c", ["b"]), ("b", ["a"]), ("a", []), optional={"a": ["nope"]})
    assert defs.graph.order == ["a", "b", "c"]
    assert defs.graph.closure(["b"]) == ["a", "b"]
    assert defs.graph.downstream("a") == ["b", "c"]
    with pytest.raises(AssetDefinitionError, match="did you mean 'c'"):
        defs.get("cc")


def test_load_definitions_from_module_with_defs(project: Path) -> None:
    pkg = project / "myassets_defs.py"
    pkg.write_text(
        "from flow.assets import asset, Definitions\n"
        "@asset(register=False)\ndef one():\n    return 1\n"
        "defs = Definitions([one])\n"
    )
    try:
        defs = load_definitions("myassets_defs", project_dir=project)
        assert list(defs.assets) == ["one"]
        assert defs.project_dir == project
    finally:
        sys.modules.pop("myassets_defs", None)


def test_load_definitions_from_project_settings(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "proj_assets.py").write_text(
        "from flow.assets import asset\n@asset\ndef alpha():\n    return 1\n"
        "@asset(deps=['alpha'])\ndef beta(alpha):\n    return alpha\n"
    )
    (project / "pyproject.toml").write_text('[tool.flow]\nassets = "proj_assets"\n')
    try:
        defs = load_definitions(project_dir=project)
        assert set(defs.assets) == {"alpha", "beta"}
        sys.modules.pop("proj_assets", None)
        (project / "flow.toml").write_text('assets = ["nope_module"]\n')
        with pytest.raises(AssetDefinitionError, match="nope_module"):
            load_definitions(project_dir=project)
        monkeypatch.setenv("FLOW_ASSETS_MODULE", "proj_assets")
        assert "alpha" in load_definitions(project_dir=project).assets
    finally:
        sys.modules.pop("proj_assets", None)


def test_load_definitions_reports_import_errors(project: Path) -> None:
    (project / "broken_assets.py").write_text("raise RuntimeError('kaput')\n")
    (project / "flow.toml").write_text("assets = 3\n")
    try:
        with pytest.raises(AssetDefinitionError, match="RuntimeError: kaput"):
            load_definitions("broken_assets", project_dir=project)
        with pytest.raises(AssetDefinitionError, match="must be a module name"):
            load_definitions(project_dir=project)
    finally:
        sys.modules.pop("broken_assets", None)
