"""``Flow.update()`` of a 50-key nested mapping with a schema, against ``model_validate``.

Run: ``uv run python -m benchmarks.config_update``
"""

from __future__ import annotations

from typing import Any

from flow.state import Flow
from pydantic import BaseModel, create_model

from benchmarks.harness import Row, report, time_per_call

SECTIONS, FIELDS = 5, 10


def _schema() -> type[BaseModel]:
    sections: dict[str, Any] = {}
    for s in range(SECTIONS):
        fields: dict[str, Any] = {}
        for f in range(FIELDS):
            kind = (int, str, bool, float)[f % 4]
            fields[f"f{f}"] = (kind, kind())
        model = create_model(f"Section{s}", **fields)
        sections[f"s{s}"] = (model, model())
    return create_model("AppSettings", **sections)


def _mapping(seed: int) -> dict[str, dict[str, Any]]:
    def value(f: int) -> Any:
        return (seed + f, f"v{seed}-{f}", bool((seed + f) % 2), seed + f / 10)[f % 4]

    return {f"s{s}": {f"f{f}": value(f) for f in range(FIELDS)} for s in range(SECTIONS)}


def main() -> None:
    schema = _schema()
    one, two = _mapping(1), _mapping(2)
    assert sum(len(v) for v in one.values()) == SECTIONS * FIELDS
    flow = Flow(schema=schema)
    listened = Flow(schema=schema)
    listened.on_change("", lambda event: None)
    state = {"flip": False}

    def flow_update(target: Flow = flow) -> None:
        state["flip"] = not state["flip"]
        target.update(one if state["flip"] else two)

    def validate() -> None:
        state["flip"] = not state["flip"]
        schema.model_validate(one if state["flip"] else two)

    flow_update()
    assert flow.s0.f0 in (1, 2)
    number = 2_000
    results = {"flow": [], "listened": [], "validate": []}  # type: dict[str, list[float]]
    for _ in range(5):  # interleaved so both see the same machine noise
        results["validate"].append(time_per_call(validate, number=number, repeat=1))
        results["flow"].append(time_per_call(flow_update, number=number, repeat=1))
        results["listened"].append(
            time_per_call(lambda: flow_update(listened), number=number, repeat=1)
        )
    best = {k: min(v) * 1e6 for k, v in results.items()}
    rows = [
        Row(
            "update(50 changed keys), schema, no listener",
            best["flow"],
            best["validate"],
            "AppSettings.model_validate",
            "µs",
            goal=2.0,
        ),
        Row(
            "same, with a listener on every path",
            best["listened"],
            best["validate"],
            "AppSettings.model_validate",
            "µs",
        ),
    ]
    report(
        "config update: 50-key nested mapping with a schema",
        rows,
        notes=[
            "Every update changes all 50 values (two mappings alternate). Flow's update = deep "
            "merge + full validation + tree conversion + diff + publish (+ 50 ChangeEvents "
            "in the second row)."
        ],
    )


if __name__ == "__main__":
    main()
