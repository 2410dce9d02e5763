"""Moving batches from a home's iterator into a store: a bounded producer/consumer.

The producer (the home's reads) runs at most ``maxsize`` batches ahead of the
consumer (the store's writes): ``asyncio.Queue(maxsize)`` blocks it, so memory
is bounded by the batch size, not the dataset size. Per batch the core does a
queue put/get and one integer addition; it never looks inside a batch.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .protocols import Batch

__all__ = ["Counter", "open_batches", "pump"]

_END = object()  # put by the producer after the last batch


class Counter:
    """Rows and batches written so far (read by progress displays, written only here)."""

    __slots__ = ("batches", "rows")

    def __init__(self) -> None:
        self.rows = 0
        self.batches = 0


async def open_batches(read: Any) -> AsyncIterator[Batch]:
    """The async iterator a home's ``read(...)`` returned (awaited first if it is a coroutine)."""
    # The protocol asks for an async generator; a coroutine returning an iterator
    # is the easy slip when writing a provider, and costs nothing to accept.
    if inspect.isawaitable(read):
        read = await read
    if not hasattr(read, "__anext__"):
        raise TypeError(
            f"a home's read() must return an async iterator of batches, got {type(read).__name__}"
        )
    return read  # type: ignore[no-any-return]


async def pump(
    batches: AsyncIterator[Batch],
    write: Callable[[Batch], Awaitable[None]],
    counter: Counter,
    *,
    maxsize: int,
) -> None:
    """Write every batch of ``batches`` with ``write``, the reader at most ``maxsize`` ahead.

    The first failure on either side cancels the other and is raised as is;
    the home's generator is closed (``aclose``) whatever happens.
    """
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)

    async def produce() -> None:
        try:
            async for batch in batches:
                await queue.put(batch)
        finally:
            aclose = getattr(batches, "aclose", None)
            if aclose is not None:
                await aclose()  # runs the home's cleanup even when stopped mid-read
        await queue.put(_END)

    async def consume() -> None:
        get = queue.get
        while (batch := await get()) is not _END:
            await write(batch)
            counter.rows += batch.num_rows
            counter.batches += 1

    producer = asyncio.create_task(produce(), name="flow-home-read")
    consumer = asyncio.create_task(consume(), name="flow-store-write")
    try:
        await asyncio.wait((producer, consumer), return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:  # we were cancelled: stop both at once (a write may hang)
        producer.cancel()
        consumer.cancel()
        await asyncio.gather(producer, consumer, return_exceptions=True)
        raise
    await _stop(producer, consumer, queue)
    for task in (consumer, producer):
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error


async def _stop(producer: asyncio.Task[None], consumer: asyncio.Task[None], queue: Any) -> None:
    """After one side failed: the consumer finishes the write in hand rather than being cancelled.

    Why: a store writes in a thread, and cancelling the awaiting task does not
    stop the thread; the ``abort()`` that follows must not race a write still running.
    """
    producer.cancel()
    if not consumer.done():
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(_END)
    try:
        await asyncio.gather(producer, consumer, return_exceptions=True)
    finally:
        consumer.cancel()  # only matters when we are cancelled while waiting
