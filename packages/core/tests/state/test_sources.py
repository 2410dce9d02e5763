"""Config sources: env (with coercion), dotenv, YAML, JSON, TOML; errors name where."""

from __future__ import annotations

from pathlib import Path

import pytest
from flow.errors import CodecError, ConfigSourceError, ValidationFailed
from flow.state import Flow, from_dotenv, from_env, from_json, from_toml, from_yaml
from pydantic import BaseModel


class Database(BaseModel):
    host: str = "localhost"
    port: int = 5432


class Settings(BaseModel):
    debug: bool = False
    database: Database = Database()
    hosts: list[str] = []


def test_env_nested_paths_without_schema_stay_strings() -> None:
    flow = Flow()
    env = {"APP_DATABASE__HOST": "db", "APP_DEBUG": "1", "OTHER": "x"}
    flow.update(from_env("APP_", environ=env))
    assert flow.to_dict() == {"database": {"host": "db"}, "debug": "1"}
    assert flow.origin("database.host") == "env:APP_DATABASE__HOST"


def test_env_is_coerced_through_the_schema() -> None:
    flow = Flow(schema=Settings)
    env = {"APP_DATABASE__PORT": "6543", "APP_DEBUG": "true", "APP_HOSTS": '["a", "b"]'}
    flow.update(from_env("APP_", environ=env))
    assert flow.database.port == 6543
    assert flow.debug is True
    assert flow.hosts == ("a", "b")


def test_env_coercion_error_names_the_variable_and_changes_nothing() -> None:
    flow = Flow(schema=Settings)
    env = {"APP_DATABASE__PORT": "not-a-port", "APP_DEBUG": "true"}
    with pytest.raises(ValidationFailed, match="APP_DATABASE__PORT"):
        flow.update(from_env("APP_", environ=env))
    assert flow.debug is False
    assert flow.database.port == 5432


def test_env_bad_json_for_structured_field_names_the_variable() -> None:
    flow = Flow(schema=Settings)
    with pytest.raises(ConfigSourceError, match="APP_HOSTS"):
        flow.update(from_env("APP_", environ={"APP_HOSTS": "[oops"}))


def test_env_conflicting_variables_are_refused() -> None:
    env = {"APP_DB": "x", "APP_DB__HOST": "y"}
    with pytest.raises(ConfigSourceError, match="APP_DB"):
        Flow().update(from_env("APP_", environ=env))


def test_env_empty_segment_is_refused() -> None:
    with pytest.raises(ConfigSourceError, match="APP_A____B"):
        Flow().update(from_env("APP_", environ={"APP_A____B": "1"}))


def test_env_matches_schema_fields_case_insensitively() -> None:
    class Camel(BaseModel):
        apiUrl: str = ""

    flow = Flow(schema=Camel)
    flow.update(from_env("APP_", environ={"APP_APIURL": "http://x"}))
    assert flow.apiUrl == "http://x"


def test_yaml_file(tmp_path: Path) -> None:
    file = tmp_path / "config.yml"
    file.write_text("database:\n  host: db\n  port: 1\n")
    flow = Flow(schema=Settings)
    flow.update(from_yaml(file))
    assert (flow.database.host, flow.database.port) == ("db", 1)
    assert flow.origin("database.host") == f"yaml:{file}"
    assert flow.origin("debug") == "default"


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.yml"
    file.write_text("a: 1\nb: [unclosed\nc: 3\n")
    flow = Flow({"keep": 1})
    with pytest.raises(CodecError) as info:
        flow.update(from_yaml(file))
    assert str(file) in str(info.value)
    assert "line" in str(info.value)
    assert flow.to_dict() == {"keep": 1}


def test_yaml_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    file = tmp_path / "list.yml"
    file.write_text("- a\n- b\n")
    with pytest.raises(ConfigSourceError, match="top level must be a mapping"):
        Flow().update(from_yaml(file))


def test_missing_file_is_an_error_unless_optional(tmp_path: Path) -> None:
    with pytest.raises(ConfigSourceError, match="not found"):
        Flow().update(from_yaml(tmp_path / "nope.yml"))
    flow = Flow({"a": 1})
    flow.update(from_yaml(tmp_path / "nope.yml", required=False))
    assert flow.to_dict() == {"a": 1}


def test_json_and_toml_files(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"database": {"host": "j"}}')
    (tmp_path / "c.toml").write_text("[database]\nport = 7\n")
    flow = Flow(schema=Settings)
    flow.update(from_json(tmp_path / "c.json"), from_toml(tmp_path / "c.toml"))
    assert (flow.database.host, flow.database.port) == ("j", 7)
    assert flow.origin("database.port") == f"toml:{tmp_path / 'c.toml'}"


def test_json_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text('{\n  "a": 1,\n  oops\n}')
    with pytest.raises(CodecError, match=r"bad.json.*line 3"):
        Flow().update(from_json(file))


def test_dotenv(tmp_path: Path) -> None:
    file = tmp_path / ".env"
    file.write_text(
        '# comment\nAPP_DATABASE__HOST="quoted host"\nexport APP_DEBUG=true\nIGNORED=1\n'
    )
    flow = Flow(schema=Settings)
    flow.update(from_dotenv(str(file), prefix="APP_"))
    assert flow.database.host == "quoted host"
    assert flow.debug is True
    assert flow.origin("database.host") == "dotenv:APP_DATABASE__HOST"


def test_dotenv_parse_error_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / ".env"
    file.write_text("GOOD=1\nthis is not valid\n")
    flow = Flow({"keep": 1})
    with pytest.raises(ConfigSourceError, match="line 2"):
        flow.update(from_dotenv(str(file)))
    assert flow.to_dict() == {"keep": 1}


def test_later_layers_win_and_update_is_atomic(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("database:\n  host: file\n  port: 1\n")
    flow = Flow(schema=Settings)
    flow.update(
        from_yaml(tmp_path / "a.yml"), from_env("APP_", environ={"APP_DATABASE__HOST": "env"})
    )
    assert (flow.database.host, flow.database.port) == ("env", 1)
    with pytest.raises(ValidationFailed):
        flow.update({"debug": True}, from_env("APP_", environ={"APP_DATABASE__PORT": "x"}))
    assert flow.debug is False
