"""The watcher contract against a real Firestore emulator, one field of a document per key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource

from .conftest import Emulator

#: The field the contract's values live in (a bytes field: its value is yielded as it is).
FIELD = "value"


class FirestoreSource:
    """The contract's keys are document ids; values are stored as a bytes field."""

    restartable = True
    writes_while_down = False  # the emulator is the server: nothing takes writes while it is down

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def uri(self, key: str) -> str:
        # resync=5: an emulator restarted under its listeners sometimes answers a new listen
        # once and then never again (see test_faults.py); the default, 300 s, would outlast
        # the restart test's wait.
        return self.emulator.uri(key, f"field={FIELD}&resync=5")

    async def write(self, key: str, value: bytes) -> None:
        await self.emulator.set(key, {FIELD: value})

    async def delete(self, key: str) -> None:
        await self.emulator.delete(key)

    async def stop(self) -> None:
        await self.emulator.stop()

    async def start(self) -> None:
        await self.emulator.start()


class TestContract(WatcherContract):
    # Firestore limits a document to 1 MiB in all, so no field can hold 1 << 20 bytes; the
    # emulator's measured limit for one bytes field here is 1,048,487. This is the largest
    # round number below it (test_encode.py checks a whole-document value above 1 MiB).
    large_value_size: ClassVar[int] = 1_048_000
    # The emulator takes 1.5–2.5 s to start when idle and the first write after a start
    # warms up its JIT (~1 s); a loaded CI machine is slower still.
    restart_timeout: ClassVar[float] = 60.0
    source_timeout: ClassVar[float] = 90.0
    initial_timeout: ClassVar[float] = 15.0
    change_timeout: ClassVar[float] = 15.0
    # The burst test writes sequentially through the emulator (~2–5 ms each).
    burst_size: ClassVar[int] = 300

    @pytest.fixture
    def watcher_source(self, emulator: Emulator) -> WatcherSource:
        return FirestoreSource(emulator)

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        assert isinstance(source, FirestoreSource)
        at = source.emulator.address
        return [
            f"firestore://flow-test/flow/doc?emulator={at}&bogus=1",  # unknown option
            f"firestore:///flow/doc?emulator={at}",  # no project
            f"firestore://flow-test/flow?emulator={at}",  # a collection, not a document
            f"firestore://flow-test/flow/doc/sub?emulator={at}",  # odd number of segments
            f"firestore://flow-test/flow//doc?emulator={at}",  # empty segment
            f"firestore://flow-test:8080/flow/doc?emulator={at}",  # a port where the project is
            f"firestore://someone:hunter2-secret@flow-test/flow/doc?emulator={at}",  # credentials
            "firestore://flow-test/flow/doc?emulator=nowhere",  # emulator without a port
            f"firestore://flow-test/flow/doc?emulator={at}&field=a..b",  # bad field path
            f"firestore://flow-test/flow/doc?emulator={at}&database=Bad_Name",  # bad database id
            f"firestore://flow-test/flow/__reserved__?emulator={at}",  # refused by the server
        ]
