"""Runs the real ``flow`` command line in a subprocess with the jsonl test provider installed.

Usage: ``python cli_bootstrap.py run ...``. The provider is registered through a
``PluginHost`` with an injected candidate, since tests cannot install entry points.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from flow.cli import main
from flow.plugins import PluginCandidate, PluginHost, reset_host

spec = importlib.util.spec_from_file_location(
    "flow_tests_jsonl_provider", Path(__file__).with_name("jsonl_provider.py")
)
assert spec is not None
assert spec.loader is not None
provider = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = provider
spec.loader.exec_module(provider)
reset_host(PluginHost([PluginCandidate("jsonl", "flow-test-jsonl", "0.1", lambda: provider)]))
sys.argv = ["flow", *sys.argv[1:]]
main()
