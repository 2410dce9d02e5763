"""`flow approvals` and `flow lineage` as real subprocesses over a project's SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flow.assets import load_definitions, materialize, materialize_all
from flow.store import MetadataStore, Status

MODULE = """
from flow.assets import StaticPartitions, WaitForApproval, asset

REGIONS = StaticPartitions(["eu", "us"])


@asset
def gate(context):
    if context.approval is None:
        raise WaitForApproval("ship the numbers?", timeout=3600)
    with open("decision.txt", "w") as out:
        out.write(f"{context.approval.actor}:{context.approval.decision_reason}")
    return 1


@asset(partitions=REGIONS, io_manager="fs")
def raw(context):
    return [context.partition]


@asset(deps=["raw"], partitions=REGIONS, io_manager="fs")
def clean(raw):
    return raw


@asset(deps=["clean"], partitions=REGIONS, io_manager="fs")
def report(clean):
    return len(clean)


@asset(deps=["report"], partitions=REGIONS, io_manager="fs")
def dashboard(report):
    if report > 100:
        raise ValueError("too big")
    return report
"""


@pytest.fixture
def module(project: Path) -> str:
    """A uniquely named assets module in the project directory."""
    name = f"cli_assets_{uuid.uuid4().hex[:8]}"
    (project / f"{name}.py").write_text(textwrap.dedent(MODULE), encoding="utf-8")
    return name


@pytest.fixture
def db(project: Path) -> Iterator[MetadataStore]:
    with MetadataStore.open(project_dir=project) as opened:
        yield opened


def flow(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flow", *args],
        cwd=project,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _waiting(module: str, project: Path, db: MetadataStore) -> int:
    result = materialize("gate", definitions=load_definitions(module, project), store=db)
    assert result.status is Status.WAITING_APPROVAL
    assert result.approval_id is not None
    return result.approval_id


# -- approvals ---------------------------------------------------------------------------------


def test_list_approve_and_the_asset_sees_the_decision(
    project: Path, module: str, db: MetadataStore
) -> None:
    approval_id = _waiting(module, project, db)

    listed = flow(project, "approvals", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (item,) = json.loads(listed.stdout)
    assert item["id"] == approval_id
    assert item["asset"] == "gate"
    assert item["reason"] == "ship the numbers?"
    assert item["status"] == "pending"
    table = flow(project, "approvals", "list")
    assert "ship the numbers?" in table.stdout

    done = flow(
        project, "approvals", "approve", str(approval_id), "--module", module,
        "--actor", "alice", "--reason", "checked",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"approval {approval_id} approved; gate: success" in done.stdout
    assert (project / "decision.txt").read_text() == "alice:checked"
    assert json.loads(flow(project, "approvals", "list", "--json").stdout) == []
    (everything,) = json.loads(flow(project, "approvals", "list", "--all", "--json").stdout)
    assert everything["status"] == "approved"
    assert everything["actor"] == "alice"

    again = flow(project, "approvals", "approve", str(approval_id), "--module", module)
    assert again.returncode == 1
    assert "already approved by alice" in again.stderr
    assert "Traceback" not in again.stderr


def test_reject_fails_the_materialization(project: Path, module: str, db: MetadataStore) -> None:
    approval_id = _waiting(module, project, db)

    done = flow(
        project, "approvals", "reject", str(approval_id), "--actor", "bob", "--reason", "wrong"
    )
    assert done.returncode == 0, done.stderr
    assert "rejected by bob" in done.stdout
    latest = db.latest_materialization("gate")
    assert latest is not None
    assert latest.status is Status.FAILED
    assert latest.error == "rejected by bob: wrong"
    assert not (project / "decision.txt").exists()
    (event,) = db.audit_events(action="reject")
    assert event.actor == "bob"


def test_bad_approval_commands_fail_clearly(project: Path, module: str, db: MetadataStore) -> None:
    unknown = flow(project, "approvals", "approve", "999", "--module", module)
    assert unknown.returncode == 1
    assert "no approval with id 999" in unknown.stderr
    not_a_number = flow(project, "approvals", "reject", "abc")
    assert not_a_number.returncode == 2
    approval_id = _waiting(module, project, db)
    missing = flow(project, "approvals", "approve", str(approval_id), "--module", "nope_mod")
    assert missing.returncode == 1
    assert "nope_mod" in missing.stderr
    pending = db.get_approval(approval_id)
    assert pending is not None
    assert pending.status.value == "pending"  # nothing decided when the asset cannot be found


def test_the_default_actor_is_the_os_user(project: Path, module: str, db: MetadataStore) -> None:
    import getpass

    approval_id = _waiting(module, project, db)
    done = flow(project, "approvals", "reject", str(approval_id))
    assert done.returncode == 0, done.stderr
    decided = db.get_approval(approval_id)
    assert decided is not None
    assert decided.actor == getpass.getuser()


# -- lineage -----------------------------------------------------------------------------------


@pytest.fixture
def lineage(project: Path, module: str, db: MetadataStore) -> str:
    defs = load_definitions(module, project)
    for region in ("eu", "us"):
        run = materialize_all(["dashboard"], partition=region, definitions=defs, store=db)
        assert run.ok, run
    return module


def _json(project: Path, *args: str) -> list[dict[str, Any]]:
    done = flow(project, "lineage", *args, "--json")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def test_upstream_and_downstream_with_depth_and_partition(project: Path, lineage: str) -> None:
    up = _json(project, "upstream", "dashboard", "--partition", "s:eu")
    assert [(r["asset"], r["partition"], r["depth"]) for r in up] == [
        ("report", "s:eu", 1),
        ("clean", "s:eu", 2),
        ("raw", "s:eu", 3),
    ]
    shallow = _json(project, "upstream", "dashboard", "--partition", "eu", "--depth", "1")
    assert [r["asset"] for r in shallow] == ["report"]
    down = _json(project, "downstream", "raw", "--partition", "us", "--module", lineage)
    assert [(r["asset"], r["partition_display"]) for r in down] == [
        ("clean", "us"),
        ("report", "us"),
        ("dashboard", "us"),
    ]
    both = _json(project, "downstream", "raw", "--depth", "1")
    assert sorted(r["partition"] for r in both) == ["s:eu", "s:us"]


def test_impact_shows_the_latest_status_downstream(
    project: Path, lineage: str, db: MetadataStore
) -> None:
    # dashboard[eu] fails on a later run: impact must show that latest status.
    from flow.assets import Definitions, asset

    defs = load_definitions(lineage, project)
    broken = asset(
        name="dashboard",
        deps=["report"],
        partitions=defs.assets["dashboard"].partitions,
        io_manager="fs",
        register=False,
    )(_explode)
    others = [a for k, a in defs.assets.items() if k != "dashboard"]
    run = materialize_all(
        ["dashboard"], partition="eu", definitions=Definitions([*others, broken]), store=db
    )
    assert run.status is Status.FAILED

    rows = _json(project, "impact", "raw", "--partition", "eu")
    assert [(r["asset"], r["depth"], r["status"]) for r in rows] == [
        ("clean", 1, "success"),
        ("report", 2, "success"),
        ("dashboard", 3, "failed"),
    ]
    table = flow(project, "lineage", "impact", "raw", "--partition", "eu")
    assert table.returncode == 0, table.stderr
    assert "failed" in table.stdout
    assert "dashboard" in table.stdout


def _explode(report: int) -> int:
    raise ValueError("dashboard service down")


def test_lineage_errors_are_clear(project: Path, lineage: str) -> None:
    bad_key = flow(project, "lineage", "upstream", "../etc/passwd")
    assert bad_key.returncode == 1
    assert "path traversal" in bad_key.stderr
    unknown_partition = flow(project, "lineage", "upstream", "dashboard", "--partition", "mars")
    assert unknown_partition.returncode == 1
    assert "--module" in unknown_partition.stderr
    bad_depth = flow(project, "lineage", "upstream", "dashboard", "--depth", "0")
    assert bad_depth.returncode == 2
    nothing = flow(project, "lineage", "downstream", "dashboard")
    assert nothing.returncode == 0
    assert "no downstream lineage recorded for dashboard" in nothing.stdout


def test_lineage_cli_on_both_databases(project: Path, module: str, store_url: str) -> None:
    defs = load_definitions(module, project)
    with MetadataStore.open(store_url) as store:
        assert materialize_all(["dashboard"], partition="us", definitions=defs, store=store).ok
    env = {**os.environ, "COLUMNS": "200", "FLOW_DATABASE_URL": store_url}
    done = subprocess.run(
        [sys.executable, "-m", "flow", "lineage", "impact", "raw", "-p", "us", "--json"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["asset"], r["partition"], r["status"]) for r in rows] == [
        ("clean", "s:us", "success"),
        ("report", "s:us", "success"),
        ("dashboard", "s:us", "success"),
    ]
