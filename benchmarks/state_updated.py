"""``State.updated()`` against ``dataclasses.replace`` and pydantic copy-with-validation.

Run: ``uv run python -m benchmarks.state_updated``
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from flow.state import State
from pydantic import BaseModel, ConfigDict

from benchmarks.harness import Row, report, time_per_call


class Order(State):
    id: int
    customer: str
    items: Sequence[str] = ()
    total: float = 0.0
    paid: bool = False


@dataclasses.dataclass(frozen=True)
class OrderDC:
    id: int
    customer: str
    items: tuple[str, ...] = ()
    total: float = 0.0
    paid: bool = False


class OrderModel(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    customer: str
    items: tuple[str, ...] = ()
    total: float = 0.0
    paid: bool = False


def main() -> None:
    args = {"id": 1, "customer": "ada", "items": ("a", "b"), "total": 9.5}
    state, dc, model = Order(**args), OrderDC(**args), OrderModel(**args)
    counter = {"n": 0}

    def next_total() -> float:
        counter["n"] += 1
        return float(counter["n"])

    number = 20_000
    samples: dict[str, list[float]] = {"state": [], "same": [], "dc": [], "copy": [], "val": []}
    for _ in range(5):
        samples["state"].append(
            time_per_call(lambda: state.updated(total=next_total()), number=number, repeat=1)
        )
        samples["same"].append(
            time_per_call(lambda: state.updated(total=9.5), number=number, repeat=1)
        )
        samples["dc"].append(
            time_per_call(
                lambda: dataclasses.replace(dc, total=next_total()), number=number, repeat=1
            )
        )
        samples["copy"].append(
            time_per_call(
                lambda: model.model_copy(update={"total": next_total()}), number=number, repeat=1
            )
        )
        samples["val"].append(
            time_per_call(
                lambda: OrderModel.model_validate(
                    model.model_copy(update={"total": next_total()}).__dict__
                ),
                number=number,
                repeat=1,
            )
        )
    best = {k: min(v) * 1e6 for k, v in samples.items()}
    assert state.updated(total=9.5) is state
    rows = [
        Row("State.updated(total=…)", best["state"], best["dc"], "dataclasses.replace", "µs"),
        Row(
            "State.updated(total=…)",
            best["state"],
            best["val"],
            "pydantic model_copy(update) + model_validate",
            "µs",
        ),
        Row(
            "State.updated(total=…)",
            best["state"],
            best["copy"],
            "pydantic model_copy(update) (no validation)",
            "µs",
        ),
        Row(
            "State.updated(no change) → same instance",
            best["same"],
            best["dc"],
            "dataclasses.replace",
            "µs",
        ),
    ]
    report(
        "State.updated()",
        rows,
        notes=[
            "State.updated validates the changed copy (abstract collections frozen), "
            "dataclasses.replace and model_copy do not validate."
        ],
    )


if __name__ == "__main__":
    main()
