"""A validator that checks a *plain* config model and returns plain dicts.

A Flow stores dicts, not model instances; for the usual config shape (a model
whose fields are plain values and sections of plain values) pydantic can check
the tree and build those dicts itself, about twice as fast as building the
models and converting them afterwards. The validator is the model's own core
schema with each ``model`` node turned into a ``typed-dict`` node: same fields,
field schemas, defaults, aliases and config, so values and errors are the same.
Anything else (validators, nested sections, shared definitions, default
factories…) is left to the model itself: :func:`dict_validator` returns None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

__all__ = ["dict_validator"]


def dict_validator(
    model: type[BaseModel], is_plain: Callable[[type], bool], plain_field: Callable[[Any], bool]
) -> tuple[Callable[[Any], dict[str, Any]], tuple[str, ...]] | None:
    """``(validate, sections)`` for ``model``, or None when it is not a plain config model.

    ``validate(data)`` returns the tree (a dict of values and section dicts) or raises
    ``pydantic.ValidationError``; ``sections`` names the fields that hold section dicts.
    ``is_plain(cls)`` says whether a model class has only plain fields and no hooks;
    ``plain_field(field_info)`` whether a field of the root is a plain value.
    """
    schema = getattr(model, "__pydantic_core_schema__", None)
    if not isinstance(schema, dict) or not _is_simple_model(schema):
        return None
    fields: dict[str, Any] = {}
    sections: list[str] = []
    for name, field in schema["schema"]["fields"].items():
        info = model.model_fields.get(name)
        if info is None:
            return None
        annotation = info.annotation
        inner = field["schema"]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not is_plain(annotation) or info.metadata:
                return None
            inner = _section(inner, annotation)
            if inner is None:
                return None
            sections.append(name)
        elif not plain_field(info):
            return None
        fields[name] = _field(field, inner)
    typed = _typed_dict(schema, fields)
    try:
        validator = SchemaValidator(typed)
    except Exception:  # a schema this pydantic-core builds differently: use the model
        return None
    return validator.validate_python, tuple(sections)


#: Keys of ``model-fields`` / ``model-field`` nodes whose meaning a typed dict keeps; a
#: schema with any other key (strict, from_attributes…) is left to the model.
_FIELDS_KEYS = frozenset({"type", "fields", "model_name", "computed_fields", "extra_behavior"})
_FIELD_KEYS = frozenset(
    {
        "type",
        "schema",
        "validation_alias",
        "serialization_alias",
        "serialization_exclude",
        "metadata",
        "frozen",
    }
)


def _is_simple_model(schema: dict[str, Any]) -> bool:
    inner = schema.get("schema")
    return (
        schema.get("type") == "model"
        and not schema.get("custom_init")
        and not schema.get("root_model")
        and not schema.get("post_init")
        and isinstance(inner, dict)
        and inner.get("type") == "model-fields"
        and not inner.get("computed_fields")
        and inner.keys() <= _FIELDS_KEYS
        and all(f.keys() <= _FIELD_KEYS for f in inner.get("fields", {}).values())
    )


def _section(schema: dict[str, Any], model: type[BaseModel]) -> Any:
    # (returns a core schema dict, or None)
    """A section field's schema (``model``, maybe under ``default``) as a typed dict."""
    if schema.get("type") == "default":
        if "default_factory" in schema or "default" not in schema:
            return None
        default = schema["default"]
        if type(default) is not model:
            return None
        inner = _section(schema["schema"], model)
        if inner is None:
            return None
        # A dict default is unhashable, so pydantic-core copies it for every use.
        return {**schema, "schema": inner, "default": dict(default.__dict__)}
    if schema.get("type") != "model" or schema.get("cls") is not model:
        return None
    if not _is_simple_model(schema):
        return None
    fields = {name: _field(f, f["schema"]) for name, f in schema["schema"]["fields"].items()}
    return _typed_dict(schema, fields)


def _typed_dict(model: dict[str, Any], fields: dict[str, Any]) -> Any:
    return core_schema.typed_dict_schema(
        fields,
        extra_behavior=model["schema"].get("extra_behavior"),
        config=model.get("config"),
    )


def _field(field: dict[str, Any], inner: dict[str, Any]) -> core_schema.TypedDictField:
    return core_schema.typed_dict_field(
        inner,
        required=field["schema"].get("type") != "default",
        validation_alias=field.get("validation_alias"),
    )
