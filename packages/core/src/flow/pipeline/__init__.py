"""Pipelines: composable async stages around an action.

``Pipeline(retry(3), timeout(2.0), circuit_breaker(5, 30.0))`` wraps any async
(or sync) callable; stages are listed outermost first. See ``docs/pipeline.md``.
Every time-based stage takes ``clock=`` (default the system clock) so tests
can drive it with :class:`~flow.clock.FakeClock`.
"""

from __future__ import annotations

from ._backoff import Backoff, BackoffCounter, backoff
from ._breaker import CircuitBreaker, CircuitState, circuit_breaker
from ._fallback import Fallback, fallback
from ._filter import Filter, filter
from ._pipeline import Pipeline
from ._rate_limit import RateLimit, rate_limit
from ._retry import Retry, retry
from ._stage import Call, ExceptionTypes, Stage
from ._timeout import Timeout, timeout

__all__ = [
    "Backoff",
    "BackoffCounter",
    "Call",
    "CircuitBreaker",
    "CircuitState",
    "ExceptionTypes",
    "Fallback",
    "Filter",
    "Pipeline",
    "RateLimit",
    "Retry",
    "Stage",
    "Timeout",
    "backoff",
    "circuit_breaker",
    "fallback",
    "filter",
    "rate_limit",
    "retry",
    "timeout",
]
