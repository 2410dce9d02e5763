"""Firestore-specific paths: the emulator from the environment, databases, credentials, outages."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from flow.errors import SourceAuthError
from flow.live.watcher import open_watcher
from flow.testing import LeakCheck, TcpProxy, free_port
from flow.testing.watcher_contract import next_value
from flow_watcher_firestore._session import close_client
from flow_watcher_firestore.watcher import FirestoreWatcher

from .conftest import COLLECTION, PROJECT, Emulator, new_doc


async def test_emulator_from_the_environment_variable(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", emulator.address)
    doc = new_doc("env")
    await emulator.set(doc, {"v": "from-env"})
    watcher = open_watcher(f"firestore://{PROJECT}/{COLLECTION}/{doc}?field=v")
    try:
        await next_value(watcher.changes(), b"from-env", timeout=15.0, allowed=())
    finally:
        await watcher.aclose()


async def test_database_option_selects_a_named_database(emulator: Emulator) -> None:
    doc = new_doc("db")
    await emulator.set(doc, {"v": "in-default"})
    other = emulator.client(database="other-db")
    try:
        await asyncio.to_thread(other.collection(COLLECTION).document(doc).set, {"v": "in-other"})
        for database, expected in ((None, b"in-default"), ("other-db", b"in-other")):
            watcher = FirestoreWatcher(emulator.uri(doc, "field=v", database=database))
            try:
                await next_value(watcher.changes(), expected, timeout=15.0, allowed=())
            finally:
                await watcher.aclose()
    finally:
        close_client(other)


async def test_unchanged_rewrites_are_not_repeated(emulator: Emulator) -> None:
    doc = new_doc("same")
    await emulator.set(doc, {"v": "one", "other": 1})
    watcher = FirestoreWatcher(emulator.uri(doc, "field=v"))
    changes = watcher.changes()
    try:
        await next_value(changes, b"one", timeout=15.0, allowed=())
        await emulator.set(doc, {"v": "one", "other": 2})  # the watched field did not change
        await emulator.set(doc, {"v": "two", "other": 2})
        await next_value(changes, b"two", timeout=15.0, allowed=())
    finally:
        await watcher.aclose()


@pytest.mark.parametrize("credentials", ["missing", "malformed"])
async def test_unusable_credentials_are_an_auth_error_naming_the_fix(
    credentials: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No emulator: the client must find credentials the usual way, and these are unusable.
    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
    path = tmp_path / "key.json"
    if credentials == "malformed":
        path.write_text('{"type": "service_account", "private_key": "not-a-key"}')
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    watcher = FirestoreWatcher(f"firestore://{PROJECT}/{COLLECTION}/doc")
    try:
        with pytest.raises(SourceAuthError) as info:
            async with asyncio.timeout(15.0):
                await anext(watcher.changes())
    finally:
        await watcher.aclose()
    message = str(info.value)
    assert f"firestore://{PROJECT}/{COLLECTION}/doc" in message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message
    assert "not-a-key" not in message


async def test_unreachable_server_is_retried_with_backoff_and_closes_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="flow.watcher.firestore")
    check = LeakCheck(tasks=False)
    watcher = FirestoreWatcher(
        f"firestore://{PROJECT}/{COLLECTION}/doc?emulator=127.0.0.1:{free_port()}"
    )
    reader = asyncio.create_task(anext(watcher.changes()))
    deadline = time.monotonic() + 20.0

    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "listen stream lost" in r.getMessage()]

    try:
        while len(failures()) < 4:
            assert time.monotonic() < deadline, f"only {len(failures())} attempts in 20 s"
            assert not reader.done(), "a watcher of an unreachable server yielded or ended"
            await asyncio.sleep(0.02)  # a poll interval, bounded by the deadline
        attempts = failures()
        # Equal jitter: the waits after failures 1-3 are at least 25 + 50 + 100 ms. The client's
        # own recovery would re-open the stream thousands of times in that span.
        assert attempts[3].created - attempts[0].created >= 0.175
        assert attempts[0].levelno == logging.WARNING
        assert all(r.levelno == logging.DEBUG for r in attempts[1:])
    finally:
        await watcher.aclose()
        await asyncio.wait({reader}, timeout=5.0)
    assert reader.done()
    assert isinstance(reader.exception(), StopAsyncIteration)
    await check.assert_clean(timeout=5.0)


async def test_a_listen_that_never_answers_is_reopened(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A stream that connects but delivers nothing (an emulator still starting up did this)
    ends after ?timeout= and a new one is opened; it reads the document once answers flow."""
    caplog.set_level(logging.DEBUG, logger="flow.watcher.firestore")
    doc = new_doc("silent")
    await emulator.set(doc, {"v": 1})
    async with TcpProxy(emulator.port) as proxy:
        proxy.hold()  # the server's bytes stop at the proxy: connected, but silent
        uri = f"firestore://{PROJECT}/{COLLECTION}/{doc}?emulator=127.0.0.1:{proxy.port}"
        watcher = FirestoreWatcher(uri + "&timeout=0.5")
        changes = watcher.changes()
        first = asyncio.create_task(anext(changes))
        try:
            deadline = time.monotonic() + 20.0
            while "no snapshot within 0.5 s of subscribing" not in caplog.text:
                assert time.monotonic() < deadline, "the silent stream was never given up"
                assert not first.done(), first
                await asyncio.sleep(0.02)  # a poll interval, bounded by the deadline
            proxy.release()
            change = await asyncio.wait_for(first, 20.0)
            assert change.value == b'{"v":1}'
        finally:
            await watcher.aclose()
            first.cancel()
            await asyncio.gather(first, return_exceptions=True)


async def test_resync_replaces_a_listen_that_went_silent_without_logging(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A stream that answered once and then went silent (no error, no data) is replaced by a
    fresh subscription after ?resync=, which reads what was written meanwhile."""
    caplog.set_level(logging.DEBUG, logger="flow.watcher.firestore")
    doc = new_doc("resync")
    await emulator.set(doc, {"v": 1})
    async with TcpProxy(emulator.port) as proxy:
        uri = f"firestore://{PROJECT}/{COLLECTION}/{doc}?emulator=127.0.0.1:{proxy.port}"
        watcher = FirestoreWatcher(uri + "&resync=1")
        changes = watcher.changes()
        try:
            assert (await asyncio.wait_for(anext(changes), 20.0)).value == b'{"v":1}'
            connections = proxy.connections
            proxy.hold(existing_only=True)  # the live stream goes silent; new ones still work
            await emulator.set(doc, {"v": 2})
            change = await asyncio.wait_for(anext(changes), 20.0)
            assert change.value == b'{"v":2}'
            assert proxy.connections > connections  # read by a new subscription
            assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        finally:
            proxy.release()
            await watcher.aclose()
            await changes.aclose()  # type: ignore[attr-defined]
