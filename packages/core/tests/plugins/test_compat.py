"""The compatibility check between a plugin's flow-core requirement and the installed core."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
from flow._version import __version__
from flow.plugins import PLUGIN_API_VERSION, PluginCandidate, PluginHost, PluginStatus, Register
from flow.plugins._compat import _simple_check, incompatibility
from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

Plugin = Callable[..., ModuleType]
Candidate = Callable[..., PluginCandidate]
Host = Callable[..., PluginHost]


def test_plugin_api_version_is_a_positive_int() -> None:
    assert isinstance(PLUGIN_API_VERSION, int)
    assert PLUGIN_API_VERSION >= 1


@pytest.mark.parametrize(
    "requires",
    [
        (),
        ("pydantic>=2",),  # does not name flow-core
        ("flow-core>=0.1,<0.2",),
        ("flow_core >= 0.1",),
        ("Flow.Core (>=0.1, <1)",),
        ("flow-core",),  # no specifier at all
        ("flow-core>=99; extra == 'test'",),  # only for an extra
        ("flow-core>=99; python_version < '3'",),  # marker excludes this environment
        ("flow-core~=0.1.0",),  # goes through packaging
        ("flow-core==0.1.*",),
        ("flow-core-extras>=99",),  # another distribution
        ("not a requirement ((",),
    ],
)
def test_compatible(requires: tuple[str, ...]) -> None:
    assert incompatibility(requires, "0.1.0") is None


@pytest.mark.parametrize(
    ("requires", "spec"),
    [
        (("flow-core>=0.2",), ">=0.2"),
        (("pydantic", "flow-core>=0.1,<0.1.0"), "<0.1.0,>=0.1"),
        (("flow_core (<0.1)",), "<0.1"),
        (("flow-core==1.0",), "==1.0"),
        (("flow-core!=0.1",), "!=0.1"),
        (("flow-core~=0.2.0",), "~=0.2.0"),
        (("flow-core>=0.2; python_version >= '3'",), ">=0.2"),
    ],
)
def test_incompatible(requires: tuple[str, ...], spec: str) -> None:
    message = incompatibility(requires, "0.1.0")
    assert message is not None
    assert f"requires flow-core{spec} but flow-core 0.1.0 is installed" in message
    assert "install a plugin release made for this core" in message


def test_prerelease_core_is_judged_by_packaging() -> None:
    assert incompatibility(["flow-core>=0.1"], "0.2.0rc1") is None
    # PEP 440: `<0.2` excludes the pre-releases of 0.2 itself.
    assert incompatibility(["flow-core<0.2"], "0.2.0rc1") is not None
    assert incompatibility(["flow-core<0.3"], "0.2.0rc1") is None
    assert incompatibility(["flow-core>=0.2"], "0.2.0rc1") is not None


versions = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)
clauses = st.lists(
    st.tuples(st.sampled_from([">=", "<=", "<", ">", "==", "!="]), versions), min_size=1, max_size=3
)


@given(core=versions, spec=clauses)
def test_simple_check_agrees_with_packaging(core: str, spec: list[tuple[str, str]]) -> None:
    text = ",".join(op + v for op, v in spec)
    verdict = _simple_check(f"flow-core{text}", core)
    assert verdict is not None  # plain release numbers are always decided by hand
    admitted = SpecifierSet(text).contains(core, prereleases=True)
    assert (verdict == "") is admitted


def test_incompatible_plugin_is_shown_and_not_loaded(host: Host, candidate: Candidate) -> None:
    def never() -> object:
        raise AssertionError("an incompatible plugin must not be imported")

    h = host(candidate("old", never, requires=("flow-core>=0.0.1,<0.1",)))
    (old,) = [p for p in h.plugins if p.name == "old"]
    assert old.status is PluginStatus.INCOMPATIBLE
    assert old.status_text.startswith(
        f"incompatible: requires flow-core<0.1,>=0.0.1 but flow-core {__version__} is installed"
    )


def test_plugin_made_for_this_core_loads(host: Host, candidate: Candidate, plugin: Plugin) -> None:
    def flow_register_codecs(register: Register) -> None:
        register("ok", "ok_module:Codec")

    major, minor = __version__.split(".")[:2]
    requires = (f"flow-core>={major}.{minor},<{major}.{int(minor) + 1}",)
    h = host(candidate("ok", plugin(flow_register_codecs=flow_register_codecs), requires=requires))
    assert [p.status for p in h.plugins if p.name == "ok"] == [PluginStatus.LOADED]
