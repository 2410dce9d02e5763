"""Loading flows: the three levels, defaults, interpolation, types, validation errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flow.dataflows import FlowDefinition, load_flows
from flow.dataflows.config import check_name, discover_flows
from flow.errors import FlowDefinitionError
from flow.plugins import Registry

Write = Callable[[dict[str, str]], Path]

LEVEL1 = """
    description: inline entities
    parallel: 2
    entities:
      orders:
        home: {type: jsonl, path: data/orders.json}
        store: {type: jsonl, path: out/orders.json}
        key: id
        timestamp: updated_at
      customers:
        home: {type: jsonl, path: data/customers.json}
        store: {type: jsonl, path: out/customers.json}
        key: [region, id]
        batch_size: 100
        enabled: false
"""


def load(root: Path, registry: Registry, env: dict[str, str] | None = None) -> list[FlowDefinition]:
    return load_flows(project_dir=root, registry=registry, env=env or {})


def test_level1_inline_entities(write_files: Write, registry: Registry) -> None:
    root = write_files({"flows/shop/flow.yml": LEVEL1})
    [flow] = load(root, registry)
    assert (flow.name, flow.level, flow.parallel, flow.description) == (
        "shop",
        1,
        2,
        "inline entities",
    )
    orders, customers = flow.entities
    assert orders.asset_key == "shop/orders"
    assert orders.spec.key == ("id",)
    assert orders.spec.timestamp == "updated_at"
    assert orders.spec.batch_size == 65_536
    assert orders.spec.project_dir == root
    assert orders.spec.home.path == "data/orders.json"  # type: ignore[attr-defined]
    assert orders.home_class.__name__ == "JsonHome"
    assert customers.spec.key == ("region", "id")
    assert customers.spec.batch_size == 100
    assert customers.enabled is False


def test_level2_entities_yml_with_defaults(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/shop/flow.yml": "description: listed\n",
            "flows/shop/entities.yml": """
                defaults:
                  home: {type: jsonl, path: data/default.json}
                  store: {type: jsonl, path: out/default.json, probe: shared}
                  batch_size: 10
                entities:
                  - plain
                  - name: special
                    home: {path: data/special.json}
                    batch_size: 20
            """,
        }
    )
    [flow] = load(root, registry)
    assert flow.level == 2
    plain, special = flow.entities
    assert plain.name == "plain"
    assert plain.spec.home.path == "data/default.json"  # type: ignore[attr-defined]
    assert plain.spec.batch_size == 10
    # Nested home is merged deeply: the entity's path wins, the default type stays.
    assert special.spec.home.type == "jsonl"
    assert special.spec.home.path == "data/special.json"  # type: ignore[attr-defined]
    assert special.spec.store.probe == "shared"  # type: ignore[attr-defined]
    assert special.spec.batch_size == 20


def test_level3_one_file_per_entity(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "configs/flows/sync/flow.yml": """
                defaults:
                  store: {type: jsonl, path: out/x.json}
            """,
            "configs/flows/sync/entities/orders.yml": "home: {type: jsonl, path: a.json}\n",
            "configs/flows/sync/entities/b.yml": "name: renamed\nhome: {type: jsonl, path: b}\n",
        }
    )
    [flow] = load(root, registry)
    assert flow.level == 3
    assert [e.name for e in flow.entities] == ["renamed", "orders"]
    assert all(e.spec.store.path == "out/x.json" for e in flow.entities)  # type: ignore[attr-defined]


def test_two_levels_at_once_name_both_files(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {"flows/shop/flow.yml": LEVEL1, "flows/shop/entities.yml": "entities: [a]\n"}
    )
    with pytest.raises(FlowDefinitionError) as info:
        load(root, registry)
    text = str(info.value)
    assert "flows/shop/flow.yml" in text
    assert "flows/shop/entities.yml" in text
    assert "exactly one level" in text


def test_entities_dir_and_entities_yml_conflict(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": "description: x\n",
            "flows/f/entities.yml": "entities: [a]\n",
            "flows/f/entities/a.yml": "home: {type: jsonl, path: a}\n",
        }
    )
    with pytest.raises(FlowDefinitionError, match=r"entities\.yml and flows/f/entities/"):
        load(root, registry)


def test_no_entities_says_how_to_add_them(write_files: Write, registry: Registry) -> None:
    root = write_files({"flows/f/flow.yml": "description: nothing yet\n"})
    with pytest.raises(FlowDefinitionError, match="has no entities: add `entities:`"):
        load(root, registry)


def test_no_flows_says_how_to_create_one(tmp_path: Path, registry: Registry) -> None:
    with pytest.raises(FlowDefinitionError, match=r"create flows/<name>/flow\.yml"):
        load(tmp_path, registry)


def test_unknown_flow_name_lists_known(write_files: Write, registry: Registry) -> None:
    root = write_files({"flows/shop/flow.yml": LEVEL1})
    with pytest.raises(FlowDefinitionError, match=r"no flow named 'nope'.*flows found: shop"):
        load_flows(["nope"], project_dir=root, registry=registry, env={})


def test_same_flow_in_both_roots_is_an_error(write_files: Write) -> None:
    root = write_files({"flows/a/flow.yml": LEVEL1, "configs/flows/a/flow.yml": LEVEL1})
    with pytest.raises(FlowDefinitionError, match="two flows are named 'a'"):
        discover_flows(root)


def test_interpolation_with_defaults_and_escape(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  e:
                    home: {type: jsonl, path: "${DATA_DIR}/in.json"}
                    store: {type: jsonl, path: "${OUT_DIR:-out}/$${literal}.json"}
                    batch_size: "${BATCH:-42}"
            """
        }
    )
    [flow] = load(root, registry, env={"DATA_DIR": "/srv/data"})
    spec = flow.entities[0].spec
    assert spec.home.path == "/srv/data/in.json"  # type: ignore[attr-defined]
    assert spec.store.path == "out/${literal}.json"  # type: ignore[attr-defined]
    assert spec.batch_size == 42


def test_missing_variable_names_file_key_and_line(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  e:
                    home: {type: jsonl, path: in.json}
                    store:
                      type: jsonl
                      path: "${NOT_SET_ANYWHERE}/x"
            """
        }
    )
    with pytest.raises(FlowDefinitionError) as info:
        load(root, registry)
    error = info.value
    assert (error.file, error.line, error.key) == ("flows/f/flow.yml", 6, "entities.e.store.path")
    assert "NOT_SET_ANYWHERE is not set" in str(error)
    assert str(error).startswith("flows/f/flow.yml:6: entities.e.store.path:")


def test_bad_reference_syntax(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {"flows/f/flow.yml": "entities:\n  e:\n    home: {type: jsonl, path: '${a b}'}\n"}
    )
    with pytest.raises(FlowDefinitionError, match="not a variable reference"):
        load(root, registry)


def test_unknown_type_lists_known_and_names_distribution(
    write_files: Write, registry: Registry
) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  e:
                    home: {type: parquet, path: in.parquet}
                    store: {type: jsonl, path: out.json}
            """
        }
    )
    with pytest.raises(FlowDefinitionError) as info:
        load(root, registry)
    text = str(info.value)
    assert text.startswith("flows/f/flow.yml:3: entities.e.home.type:")
    assert "known: jsonl" in text
    assert "flow-io-parquet" in text


def test_missing_type_is_an_error(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {"flows/f/flow.yml": "entities:\n  e:\n    home: {path: x}\n    store: {type: jsonl}\n"}
    )
    with pytest.raises(
        FlowDefinitionError, match=r"`home` needs an explicit `type:` \(known home types: jsonl\)"
    ):
        load(root, registry)


def test_provider_config_errors_have_lines(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  e:
                    home:
                      type: jsonl
                      path: in.json
                      compression: zstd
                    store:
                      type: jsonl
            """
        }
    )
    with pytest.raises(FlowDefinitionError) as info:
        load(root, registry)
    text = str(info.value)
    assert (
        "flows/f/flow.yml:6: entities.e.home.compression: unknown field; "
        "the known fields are: path, probe, type" in text
    )


def test_missing_provider_field_points_at_its_mapping(
    write_files: Write, registry: Registry
) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  e:
                    home: {type: jsonl, path: in.json}
                    store:
                      type: jsonl
            """
        }
    )
    with pytest.raises(FlowDefinitionError) as info:
        load(root, registry)
    assert str(info.value).startswith("flows/f/flow.yml:4: entities.e.store.path: required field")


def test_error_in_a_default_points_at_the_defaults(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": "description: d\n",
            "flows/f/entities.yml": """
                defaults:
                  home: {type: jsonl, path: in.json, bogus: 1}
                  store: {type: jsonl, path: out.json}
                entities: [a]
            """,
        }
    )
    with pytest.raises(FlowDefinitionError) as info:
        load(root, registry)
    error = info.value
    assert error.file == "flows/f/entities.yml"
    assert error.line == 2
    assert error.key == "defaults.home.bogus"


def test_entity_field_errors_and_several_problems(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  e:
                    home: {type: jsonl, path: in.json}
                    store: {type: jsonl, path: out.json}
                    batch_size: -5
                    colour: red
            """
        }
    )
    with pytest.raises(FlowDefinitionError) as info:
        load(root, registry)
    text = str(info.value)
    assert "2 problems in entity 'e'" in text
    assert "flows/f/flow.yml:5: entities.e.batch_size: Input should be greater than 0" in text
    assert "flows/f/flow.yml:6: entities.e.colour: unknown field" in text


def test_flow_level_field_errors(write_files: Write, registry: Registry) -> None:
    root = write_files({"flows/f/flow.yml": "parallel: 0\nentities: {}\n"})
    with pytest.raises(
        FlowDefinitionError, match=r"flow\.yml:1: parallel: Input should be greater than 0"
    ):
        load(root, registry)


def test_timestamp_without_key_is_refused(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  e:
                    home: {type: jsonl, path: in.json}
                    store: {type: jsonl, path: out.json}
                    timestamp: updated_at
            """
        }
    )
    with pytest.raises(FlowDefinitionError, match=r"timestamp.*also needs `key:`"):
        load(root, registry)


def test_duplicate_names_in_a_mapping_are_caught(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  a: {home: {type: jsonl, path: x}, store: {type: jsonl, path: y}}
                  a: {home: {type: jsonl, path: x}, store: {type: jsonl, path: y}}
            """
        }
    )
    with pytest.raises(FlowDefinitionError, match=r"flow\.yml:3: entities\.a: duplicate key"):
        load(root, registry)


def test_duplicate_names_in_a_list(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": "description: d\n",
            "flows/f/entities.yml": """
                defaults:
                  home: {type: jsonl, path: x}
                  store: {type: jsonl, path: y}
                entities: [a, b, a]
            """,
        }
    )
    with pytest.raises(
        FlowDefinitionError,
        match=r"duplicate entity name 'a' \(first defined at flows/f/entities\.yml:4\)",
    ):
        load(root, registry)


def test_duplicate_names_across_entity_files(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": "defaults: {home: {type: jsonl, path: x}, store: {type: jsonl}}\n",
            "flows/f/entities/a.yml": "{}\n",
            "flows/f/entities/b.yml": "name: a\n",
        }
    )
    with pytest.raises(FlowDefinitionError, match=r"entities/b\.yml.*duplicate entity name 'a'"):
        load(root, registry)


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "-x", "a..b", "has space", "é"])
def test_unsafe_entity_names(write_files: Write, registry: Registry, name: str) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": f"""
                defaults: {{home: {{type: jsonl, path: x}}, store: {{type: jsonl, path: y}}}}
                entities:
                  - "{name}"
            """
        }
    )
    with pytest.raises(FlowDefinitionError, match="is not a safe file name"):
        load(root, registry)


def test_check_name_accepts_safe_names() -> None:
    for name in ("orders", "orders_2024", "v1.2", "a-b", "_x"):
        assert check_name(name) == name


def test_unsafe_flow_name(write_files: Write, registry: Registry) -> None:
    text = LEVEL1.replace("    description:", "    name: ../up\n    description:")
    root = write_files({"flows/f/flow.yml": text})
    with pytest.raises(
        FlowDefinitionError, match=r"flow\.yml:1: name: flow name '\.\./up' is not a safe"
    ):
        load(root, registry)


def test_yaml_syntax_error_has_file_and_line(write_files: Write, registry: Registry) -> None:
    root = write_files({"flows/f/flow.yml": "entities:\n  a:\n    home: [unclosed\n    store: x\n"})
    with pytest.raises(FlowDefinitionError) as info:
        load(root, registry)
    assert info.value.file == "flows/f/flow.yml"
    assert info.value.line is not None
    assert info.value.line >= 3
    assert "invalid YAML" in str(info.value)


def test_yaml_is_safe_loaded(write_files: Write, registry: Registry) -> None:
    for text in (
        "entities: !!python/object/apply:os.system ['true']\n",
        "entities: !!python/name:os.system\n",
        "entities: !!python/object:os.Foo {a: 1}\n",
    ):
        root = write_files({"flows/f/flow.yml": text})
        with pytest.raises(
            FlowDefinitionError, match=r"flow\.yml:1: .*(invalid YAML|unsupported YAML tag)"
        ):
            load(root, registry)


def test_merge_keys_work_and_explicit_keys_win(write_files: Write, registry: Registry) -> None:
    root = write_files(
        {
            "flows/f/flow.yml": """
                entities:
                  a: &base
                    home: {type: jsonl, path: common.json}
                    store: {type: jsonl, path: out.json}
                    batch_size: 5
                  b:
                    <<: *base
                    batch_size: 3
            """
        }
    )
    [flow] = load(root, registry)
    a, b = flow.entities
    assert (a.spec.batch_size, b.spec.batch_size) == (5, 3)
    assert b.spec.home.path == "common.json"  # type: ignore[attr-defined]


def test_unknown_flow_level_key(write_files: Write, registry: Registry) -> None:
    root = write_files({"flows/f/flow.yml": "x-common: 1\nentities: {}\n"})
    with pytest.raises(FlowDefinitionError, match=r"flow\.yml:1: x-common: unknown field"):
        load(root, registry)
