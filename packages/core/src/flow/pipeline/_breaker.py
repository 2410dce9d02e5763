"""``circuit_breaker``: stop calling a dependency that keeps failing, then probe it.

Hand-written: pybreaker measures time with ``datetime.now`` and its async
support targets Tornado, and aiobreaker likewise reads the wall clock; neither
takes an injectable clock, which deterministic tests need. The state machine
is small: closed → open → half_open → closed | open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import CircuitOpenError
from ..events import emit
from ._stage import ExceptionTypes, exception_types

__all__ = ["CircuitBreaker", "CircuitState", "circuit_breaker"]

T = TypeVar("T")

CircuitState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """The stage built by :func:`circuit_breaker`; one instance is one circuit."""

    __slots__ = (
        "_failures",
        "_opened_at",
        "_state",
        "_trial",
        "clock",
        "name",
        "on",
        "reset_after",
        "threshold",
    )

    def __init__(
        self,
        failures: int,
        reset_after: float,
        on: tuple[type[BaseException], ...],
        clock: Clock,
        name: str,
    ) -> None:
        self.threshold = failures
        self.reset_after = reset_after
        self.on = on
        self.clock = clock
        self.name = name
        self._state: CircuitState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial = False  # a half-open trial call is in flight

    @property
    def state(self) -> CircuitState:
        """``"closed"`` (calls pass), ``"open"`` (calls refused) or ``"half_open"`` (one trial)."""
        if self._state == "open" and self._remaining() <= 0:
            self._move("half_open")
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted since the circuit last closed."""
        return self._failures

    def reset(self) -> None:
        """Close the circuit by hand and forget the failures."""
        self._failures = 0
        self._trial = False
        if self._state != "closed":
            self._move("closed")

    async def __call__(self, call: Callable[[], Awaitable[T]], /) -> T:
        state = self.state
        if state == "open" or (state == "half_open" and self._trial):
            raise self._refusal()
        trial = state == "half_open"
        if trial:
            self._trial = True
        try:
            result = await call()
        except asyncio.CancelledError:
            if trial:
                self._trial = False  # no verdict: the next call may be the trial
            raise
        except self.on:
            self._failed(trial)
            raise
        except BaseException:
            # Not a listed failure: the dependency answered, so it counts as a success.
            self._succeeded(trial)
            raise
        self._succeeded(trial)
        return result

    def _failed(self, trial: bool) -> None:
        if trial:
            self._trial = False
        self._failures += 1
        # Only the trial, or the threshold while closed, opens the circuit: a call
        # that started before it opened and fails late changes nothing more.
        if trial or (self._state == "closed" and self._failures >= self.threshold):
            self._opened_at = self.clock.monotonic()
            self._move("open")

    def _succeeded(self, trial: bool) -> None:
        if trial:
            self._trial = False
        self._failures = 0
        if self._state != "closed":
            self._move("closed")

    def _remaining(self) -> float:
        return self._opened_at + self.reset_after - self.clock.monotonic()

    def _move(self, state: CircuitState) -> None:
        previous, self._state = self._state, state
        self._trial = False
        emit(
            f"pipeline.circuit_{state}",
            self.name,
            previous=previous,
            failures=self._failures,
            reset_after=self.reset_after,
        )

    def _refusal(self) -> CircuitOpenError:
        if self._state == "half_open":
            when = "a trial call is in flight; retry after it has finished"
        else:
            when = f"it half-opens in {max(0.0, self._remaining()):.3g} s"
        return CircuitOpenError(
            f"circuit breaker {self.name!r} is {self._state.replace('_', '-')} after "
            f"{self._failures} consecutive failures, so the call was not made; {when}"
        )

    def __repr__(self) -> str:
        return f"circuit_breaker({self.threshold}, {self.reset_after}, name={self.name!r})"


def circuit_breaker(
    failures: int,
    reset_after: float,
    *,
    on: ExceptionTypes = (Exception,),
    clock: Clock = SYSTEM_CLOCK,
    name: str = "circuit_breaker",
) -> CircuitBreaker:
    """Open the circuit after ``failures`` consecutive listed exceptions.

    While open, calls raise :class:`~flow.errors.CircuitOpenError` without
    running. ``reset_after`` seconds (on ``clock``) after opening it half-opens:
    one trial call runs (others are refused meanwhile); success closes the
    circuit, failure opens it again for another ``reset_after``. Exceptions not
    in ``on`` count as successes (the dependency answered). Every transition
    emits ``pipeline.circuit_<state>`` on :mod:`flow.events` with ``source=name``.
    """
    if isinstance(failures, bool) or not isinstance(failures, int) or failures < 1:
        raise ValueError(f"circuit_breaker(): failures must be an int >= 1, got {failures!r}")
    if not reset_after >= 0:
        raise ValueError(f"circuit_breaker(): reset_after must be >= 0 seconds, got {reset_after}")
    return CircuitBreaker(
        failures, float(reset_after), exception_types(on, "circuit_breaker()"), clock, name
    )
