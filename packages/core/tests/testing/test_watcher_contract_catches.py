"""Each contract test fails, with a useful message, on a watcher that has the matching bug.

The contract's test methods are called directly on a configured subclass, so
each case shows both that the bug is caught and what the author is told.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource

MakeSource = Callable[..., Any]
CONTRACT_FAILURE = (pytest.fail.Exception, AssertionError)


class Quick(WatcherContract):
    """The contract with short deadlines, so that an expected failure is quick."""

    initial_timeout = 0.5
    change_timeout = 0.5
    burst_timeout = 0.5
    restart_timeout = 0.5
    close_timeout = 0.5
    bad_uri_timeout = 0.5


async def fails_with(check: Awaitable[None], *patterns: str) -> str:
    """Run one contract test; it must fail, and its message must match every pattern."""
    with pytest.raises(CONTRACT_FAILURE) as info:
        await check
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in:\n{message}"
    return message


async def test_a_watcher_that_waits_for_a_missing_key_fails(make_source: MakeSource) -> None:
    source = make_source("memtest-noinit")
    await Quick().test_initial_value_is_delivered_first(source)  # this part it gets right
    await fails_with(
        Quick().test_missing_key_gives_none_then_the_value(source),
        r"waiting for Change\(value=None\)",
        r"nothing matched within 0.5s; saw nothing",
    )


async def test_a_watcher_that_drops_the_end_of_a_burst_fails(make_source: MakeSource) -> None:
    source = make_source("memtest-dropping")
    await Quick().test_each_sequential_change_is_seen(source)  # one change at a time is fine
    await fails_with(
        Quick().test_burst_ends_on_the_last_value(source),
        r"nothing matched within 0.5s",
        r"b'burst-00006'",  # the failure shows what did arrive
    )


async def test_a_watcher_that_gives_up_on_restart_fails(make_source: MakeSource) -> None:
    source = make_source("memtest-noreconnect")
    await fails_with(Quick().test_restart_ends_on_the_latest_value(source), r"changes\(\) ended")
    assert source.calls == ["stop", "start"]  # the server was brought back for later tests


async def test_restart_with_writes_while_down(make_source: MakeSource) -> None:
    source = make_source(writes_while_down=True)
    await Quick().test_restart_ends_on_the_latest_value(source)
    assert source.calls == ["stop", "start"]


async def test_restart_is_skipped_for_a_source_that_cannot_restart(make_source: MakeSource) -> None:
    source = make_source()
    source.restartable = False
    with pytest.raises(pytest.skip.Exception, match="cannot be restarted"):
        await Quick().test_restart_ends_on_the_latest_value(source)
    assert source.calls == []


async def test_a_watcher_that_leaks_a_thread_and_a_task_fails(
    make_source: MakeSource, leftovers: Any
) -> None:
    try:
        await fails_with(
            Quick().test_close_before_first_value_is_clean(make_source("memtest-leaky")),
            r"thread 'leaky-heartbeat'",
            r"task 'leaky-heartbeat-task'",
        )
    finally:
        await leftovers.release()


async def test_a_watcher_whose_close_does_not_wake_the_consumer_fails(
    make_source: MakeSource,
) -> None:
    await fails_with(
        Quick().test_close_while_waiting_ends_iterator_and_leaks_nothing(
            make_source("memtest-hanging")
        ),
        r"changes\(\) did not end within 0.5s of aclose\(\)",
    )


class WithBadUris(Quick):
    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        name = source.uri("k").split("/")[2]
        scheme = source.uri("k").split(":")[0]
        return [f"{scheme}://user:hunter2-secret@{name}/key?bogus=1"]


async def test_a_password_in_an_error_fails_without_being_shown(make_source: MakeSource) -> None:
    message = await fails_with(
        WithBadUris().test_bad_uris_raise_source_error_without_secrets(
            make_source("memtest-secret")
        ),
        r"credentials appear in the error chain \(SourceURIError\)",
        r"user:\*\*\*@",
    )
    assert "hunter2" not in message


async def test_an_error_outside_the_source_error_family_fails(make_source: MakeSource) -> None:
    await fails_with(
        WithBadUris().test_bad_uris_raise_source_error_without_secrets(
            make_source("memtest-wrongerror")
        ),
        r"raised ValueError: bad option — not a flow.SourceError subclass",
    )


async def test_a_bad_uri_that_is_accepted_fails(make_source: MakeSource) -> None:
    class AcceptsGoodUri(Quick):
        def bad_uris(self, source: WatcherSource) -> Sequence[str]:
            return [source.uri("fine-key")]

    await fails_with(
        AcceptsGoodUri().test_bad_uris_raise_source_error_without_secrets(make_source()),
        r"accepted: open_watcher\(\) succeeded",
    )


async def test_no_bad_uris_skips_with_a_reason(make_source: MakeSource) -> None:
    with pytest.raises(pytest.skip.Exception, match=r"override bad_uris\(\)"):
        await Quick().test_bad_uris_raise_source_error_without_secrets(make_source())


async def test_a_watcher_that_blocks_the_loop_fails(make_source: MakeSource) -> None:
    class Strict(Quick):
        max_loop_block = 0.1

    await fails_with(
        Strict().test_initial_value_is_delivered_first(make_source("memtest-blocking")),
        r"event loop was blocked for 0\.[2-9]\d?s",
        r"call_soon_threadsafe",
    )


async def test_a_write_that_hangs_fails_with_its_name(make_source: MakeSource) -> None:
    import asyncio

    class HangingWrites(Quick):
        source_timeout = 0.2

    source = make_source()

    async def hang(key: str, value: bytes) -> None:
        await asyncio.Event().wait()

    source.write = hang
    await fails_with(
        HangingWrites().test_initial_value_is_delivered_first(source),
        r"watcher_source.write\(\) did not finish within 0.2s",
    )
