"""The event bus: exact, prefix and catch-all subscriptions; failing handlers are contained."""

from __future__ import annotations

import logging
import threading

import pytest
from flow.events import Event, EventBus


def test_exact_prefix_and_star_subscriptions() -> None:
    events = EventBus()
    seen: dict[str, list[str]] = {"exact": [], "prefix": [], "star": [], "all": []}
    events.subscribe("capacitor.applied", lambda e: seen["exact"].append(e.name))
    events.subscribe("capacitor.", lambda e: seen["prefix"].append(e.name))
    events.subscribe("capacitor.*", lambda e: seen["star"].append(e.name))
    events.subscribe("*", lambda e: seen["all"].append(e.name))
    events.emit("capacitor.applied", "src", revision="1")
    events.emit("capacitor.stopped", "src")
    events.emit("pipeline.circuit_open", "b")
    assert seen["exact"] == ["capacitor.applied"]
    assert seen["prefix"] == seen["star"] == ["capacitor.applied", "capacitor.stopped"]
    assert seen["all"] == ["capacitor.applied", "capacitor.stopped", "pipeline.circuit_open"]


def test_event_carries_name_source_data_and_time() -> None:
    events = EventBus()
    got: list[Event] = []
    events.subscribe("x", got.append)
    events.emit("x", "me", a=1)
    assert got[0].name == "x"
    assert got[0].source == "me"
    assert got[0].data == {"a": 1}
    assert got[0].time > 0
    with pytest.raises(TypeError):
        got[0].data["a"] = 2  # type: ignore[index]


def test_unsubscribe_stops_delivery_and_is_idempotent() -> None:
    events = EventBus()
    got: list[str] = []
    off = events.subscribe("x", lambda e: got.append("exact"))
    off_prefix = events.subscribe("x.", lambda e: got.append("prefix"))
    events.emit("x")
    off()
    off()
    off_prefix()
    events.emit("x")
    events.emit("x.y")
    assert got == ["exact"]
    assert not events.has_subscribers("x")


def test_a_failing_handler_is_logged_and_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    events = EventBus()
    got: list[str] = []

    def broken(event: Event) -> None:
        raise ValueError("boom")

    events.subscribe("x", broken)
    events.subscribe("x", lambda e: got.append("after"))
    with caplog.at_level(logging.ERROR, logger="flow.events"):
        events.emit("x")
    assert got == ["after"]
    assert "boom" in caplog.text


def test_has_subscribers_follows_subscriptions() -> None:
    events = EventBus()
    assert not events.has_subscribers("a.b")
    off = events.subscribe("a.", lambda e: None)
    assert events.has_subscribers("a.b")
    assert not events.has_subscribers("b")
    off()
    assert not events.has_subscribers("a.b")


def test_subscribing_from_many_threads_loses_nothing() -> None:
    events = EventBus()
    counts = [0] * 8

    def subscribe(index: int) -> None:
        def handler(event: Event) -> None:
            counts[index] += 1

        for _ in range(50):
            events.subscribe(f"t{index}", handler)

    threads = [threading.Thread(target=subscribe, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(8):
        events.emit(f"t{index}")
    assert counts == [50] * 8
