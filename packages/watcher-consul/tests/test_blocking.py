"""Blocking-query behaviour: the index rules, waits that end without a change, missing keys."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from flow.live.change import Change
from flow.live.watcher import Watcher, open_watcher
from flow.testing.watcher_contract import next_value
from flow_watcher_consul._index import next_index

from .conftest import Agent, in_repo_server, new_key

DEADLINE = 10.0


# -- the rules themselves ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "returned", "elapsed", "expected"),
    [
        (0, 7, 0.001, (7, True)),  # a plain read gives the index to block on
        (7, 9, 0.001, (9, True)),  # moved forwards: block on the new index
        (9, 9, 60.0, (9, True)),  # the wait ended with no change: normal
        (9, 9, 0.001, (9, False)),  # same index at once: the server did not block; slow down
        (900, 51, 1.0, (0, True)),  # went backwards: reset to 0, a plain read comes next
        (9, 0, 0.001, (0, False)),  # zero: reset, and slow down (it would never block)
        (9, -3, 0.001, (0, False)),
    ],
)
def test_next_index(
    previous: int, returned: int, elapsed: float, expected: tuple[int, bool]
) -> None:
    assert next_index(previous, returned, elapsed=elapsed, wait=60.0) == expected


# -- against an agent --------------------------------------------------------------------------


async def _pump(changes: AsyncIterator[Change], queue: asyncio.Queue[Change]) -> None:
    async for change in changes:
        queue.put_nowait(change)


async def _drain(queue: asyncio.Queue[Change]) -> AsyncIterator[Change]:
    while True:
        yield await queue.get()


@pytest.fixture
async def watch() -> AsyncIterator[Callable[[str], AsyncIterator[Change]]]:
    """``watch(uri)``: a watcher's changes, read without pause by a task (closed after the test).

    The watcher only queries while its iterator is being read, and these tests
    observe the queries made between the changes they wait for.
    """
    watchers: list[Watcher] = []
    pumps: list[asyncio.Task[None]] = []

    def opener(uri: str) -> AsyncIterator[Change]:
        watcher = open_watcher(uri)
        watchers.append(watcher)
        queue: asyncio.Queue[Change] = asyncio.Queue()
        pumps.append(asyncio.create_task(_pump(watcher.changes(), queue)))
        return _drain(queue)

    yield opener
    for watcher in watchers:
        await watcher.aclose()
    for pump in pumps:
        await asyncio.wait_for(pump, DEADLINE)  # ends by itself once the watcher is closed


def only_in_repo(agent: Agent) -> None:
    if not agent.controllable:
        pytest.skip("needs the in-repo server's request log and index controls")


async def poll(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``condition`` with a deadline (a poll interval, not synchronisation by sleep)."""
    deadline = time.monotonic() + DEADLINE
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_index_going_backwards_restarts_the_loop_from_zero(
    agent: Agent, watch: Callable[[str], AsyncIterator[Change]]
) -> None:
    only_in_repo(agent)
    key = new_key("backwards")
    await agent.force_index(100_000)
    await agent.put(key, b"v1")  # ModifyIndex 100001
    # A short wait: after the jump, the pending query only returns when its wait ends.
    changes = watch(agent.uri(key, wait="300ms"))
    first = await next_value(changes, b"v1", timeout=DEADLINE, allowed=())
    assert first.revision == "100001"
    await agent.force_index(50)  # backwards, as after a snapshot restore
    await agent.put(key, b"v2")  # ModifyIndex 51 < 100001
    second = await next_value(changes, b"v2", timeout=DEADLINE, allowed=())
    assert second.revision == "51"

    async def blocking_again() -> bool:
        return any(index for index in [i for _, i in await agent.requests(key)][2:])

    await poll(blocking_again, "a blocking query after the reset")
    asked = [index for _, index in await agent.requests(key)]
    # Consul's rule: after the lower index, a plain read (index 0), then block on the new one.
    assert asked[:3] == [None, 100001, None], f"no reset to 0 after going backwards: {asked}"
    assert all(index is None or index < 100 for index in asked[2:]), asked
    await agent.put(key, b"v3")
    await next_value(changes, b"v3", timeout=DEADLINE, allowed=())


async def test_a_zero_index_is_not_polled_in_a_tight_loop(
    agent: Agent, watch: Callable[[str], AsyncIterator[Change]]
) -> None:
    only_in_repo(agent)
    key = new_key("zero")
    await agent.put(key, b"v1")
    await agent.zero_index(key)
    changes = watch(agent.uri(key))
    await next_value(changes, b"v1", timeout=DEADLINE, allowed=())

    async def five_requests() -> bool:
        return len(await agent.requests(key)) >= 5

    await poll(five_requests, "five requests for the key")
    times = [t for t, _ in await agent.requests(key)][:5]
    # Backoff from 50 ms (jittered to at least 25, 50, 100, 200 ms): a tight loop takes ~5 ms.
    assert times[4] - times[0] >= 0.2, f"requests not slowed down: {times}"
    await agent.put(key, b"v2")  # still delivered, at the pace of the backoff
    await next_value(changes, b"v2", timeout=DEADLINE, allowed=())
    await agent.zero_index(key, on=False)

    async def blocking_again() -> bool:
        return any(index for _, index in (await agent.requests(key))[5:])

    await poll(blocking_again, "a blocking query once the index is sane again")
    await agent.put(key, b"v3")
    await next_value(changes, b"v3", timeout=DEADLINE, allowed=())


async def test_waits_that_end_without_a_change_yield_nothing(
    agent: Agent, watch: Callable[[str], AsyncIterator[Change]]
) -> None:
    only_in_repo(agent)
    key = new_key("timeouts")
    await agent.put(key, b"steady")
    changes = watch(agent.uri(key, wait="100ms"))
    await next_value(changes, b"steady", timeout=DEADLINE, allowed=())

    async def four_waits_ended() -> bool:
        # A fifth blocking query means four waits have ended with nothing new.
        return sum(1 for _, index in await agent.requests(key) if index) >= 5

    await poll(four_waits_ended, "four blocking queries to time out")
    await agent.put(key, b"changed")
    # The very next Change is the new value: nothing was yielded for the timeouts.
    await next_value(changes, b"changed", timeout=DEADLINE, allowed=())


async def test_missing_key_wakes_on_other_writes_without_a_change_then_sees_the_create(
    agent: Agent, watch: Callable[[str], AsyncIterator[Change]]
) -> None:
    key = new_key("missing")
    changes = watch(agent.uri(key))
    absent = await next_value(changes, None, timeout=DEADLINE, allowed=())
    assert absent.revision is not None  # the 404 still carries the index to block on
    # Writes to other keys move the KV table's index, which is what a missing key's query
    # returns: it wakes up with nothing new, and must not yield anything for it.
    for i in range(3):
        await agent.put(new_key("other"), b"x%d" % i)
    if agent.controllable:

        async def woke_up() -> bool:
            return len(await agent.requests(key)) >= 4

        await poll(woke_up, "the missing key's query to wake up on the other writes")
    await agent.put(key, b"created")
    await next_value(changes, b"created", timeout=DEADLINE, allowed=())
    await agent.delete(key)
    await next_value(changes, None, timeout=DEADLINE, allowed=())
    await agent.put(key, b"again")
    await next_value(changes, b"again", timeout=DEADLINE, allowed=())


async def test_an_agent_that_comes_back_empty_is_followed(
    tmp_path: Path, watch: Callable[[str], AsyncIterator[Change]]
) -> None:
    """Like ``consul agent -dev``: a restart loses the data and the index starts over."""
    process, port = in_repo_server(tmp_path)
    process.argv = [a for a in process.argv if a != "--data-file" and "kv.jsonl" not in a]
    with process:
        agent = Agent("in-repo", process, port)
        key = new_key("dev-restart")
        await agent.force_index(5_000)
        await agent.put(key, b"before")
        changes = watch(agent.uri(key))
        await next_value(changes, b"before", timeout=DEADLINE, allowed=())
        await agent.stop()
        await agent.start()
        await next_value(changes, None, timeout=DEADLINE, allowed=())  # it came back empty
        await agent.put(key, b"after")  # index 2, far below 5001
        after = await next_value(changes, b"after", timeout=DEADLINE, allowed=())
        assert after.revision == "2"
