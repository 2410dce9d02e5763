"""``flow config show|get``: merged values, provenance, masking, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from flow.cli import build_app
from typer.testing import CliRunner

runner = CliRunner()
SECRET = "hunter2-very-secret"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yml").write_text(
        f"database:\n  host: filehost\n  port: 5432\n  password: {SECRET}\napi_token: {SECRET}\n"
    )
    return tmp_path


def test_show_default_file_masks_secrets_and_shows_provenance(project: Path) -> None:
    result = runner.invoke(build_app(), ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "database.host" in result.output
    assert "filehost" in result.output
    assert "yaml:config.yml" in result.output
    assert SECRET not in result.output


def test_show_json_with_env_layer(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DATABASE__HOST", "envhost")
    monkeypatch.setenv("APP_DATABASE__PASSWORD", SECRET)
    result = runner.invoke(
        build_app(), ["config", "show", "--source", "config.yml", "--source", "env:APP_", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    data = json.loads(result.output)
    assert data["config"]["database"]["host"] == "envhost"
    assert data["config"]["database"]["password"] == "***"
    assert data["origins"]["database.host"] == "env:APP_DATABASE__HOST"
    assert data["origins"]["database.port"] == "yaml:config.yml"


def test_show_with_schema_masks_secretstr_and_coerces(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "appschema.py").write_text(
        "from pydantic import BaseModel, SecretStr\n"
        "class DB(BaseModel):\n    host: str\n    port: int\n    password: SecretStr\n"
        "class App(BaseModel):\n    database: DB\n    api_token: SecretStr\n"
        "    debug: bool = False\n"
    )
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.setenv("APP_DATABASE__PORT", "6000")
    result = runner.invoke(
        build_app(),
        [
            "config",
            "show",
            "-s",
            "config.yml",
            "-s",
            "env:APP_",
            "--schema",
            "appschema:App",
            "--json",
        ],
    )
    sys.modules.pop("appschema", None)
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    data = json.loads(result.output)
    assert data["config"]["database"]["port"] == 6000
    assert data["config"]["debug"] is False
    assert data["origins"]["debug"] == "default"


def test_get_prints_one_value_masked_when_secret(project: Path) -> None:
    app = build_app()
    host = runner.invoke(app, ["config", "get", "database.host"])
    assert host.exit_code == 0
    assert host.output.strip() == "filehost"
    secret = runner.invoke(app, ["config", "get", "database.password"])
    assert secret.exit_code == 0
    assert secret.output.strip() == "***"
    subtree = runner.invoke(app, ["config", "get", "database"])
    assert subtree.exit_code == 0
    assert json.loads(subtree.output) == {"host": "filehost", "port": 5432, "password": "***"}


def test_get_missing_path_fails_clearly(project: Path) -> None:
    result = runner.invoke(build_app(), ["config", "get", "database.nope"])
    assert result.exit_code == 1
    assert "database.nope" in result.output


def test_bad_yaml_names_file_and_line(project: Path) -> None:
    (project / "bad.yml").write_text("a: 1\nb: [oops\n")
    result = runner.invoke(build_app(), ["config", "show", "-s", "yaml:bad.yml"])
    assert result.exit_code == 1
    assert "bad.yml" in result.output
    assert "line" in result.output


def test_no_config_found_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(build_app(), ["config", "show"])
    assert result.exit_code == 1
    assert "--source" in result.output


def test_unknown_source_kind_and_bad_schema_spec(project: Path) -> None:
    app = build_app()
    assert "cannot tell" in runner.invoke(app, ["config", "show", "-s", "weird"]).output
    result = runner.invoke(app, ["config", "show", "--schema", "nocolon"])
    assert result.exit_code == 1
    assert "module:Class" in result.output
