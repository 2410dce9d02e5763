"""The one exception hierarchy of Flow.

Everything Flow raises on purpose derives from :class:`FlowError`, so
``except flow.FlowError`` catches all of it. Providers subclass the family
that fits (a watcher's permanent failure is a :class:`SourceError`).

::

    FlowError
    ├── PluginError                 a plugin could not be found, loaded or chosen
    │   ├── PluginLoadError         import or registration failed (strict mode, lazy targets)
    │   ├── PluginConflictError     two distributions claim one name for one kind
    │   └── UnknownProviderError    no plugin provides that name for that kind
    ├── SourceError                 a watcher's source is permanently unusable
    │   ├── SourceURIError          the URI is malformed or has an unknown option
    │   ├── SourceAuthError         credentials were refused
    │   └── SourceTypeError         the key holds a value of the wrong type
    ├── CodecError                  bytes could not be decoded or a value encoded
    ├── ValidationFailed            a value did not satisfy its model
    ├── ApplyError                  an on_change callback raised
    ├── CapacitorError              a capacitor was misused or never became ready
    │   └── StartupTimeout          no first value within startup_timeout
    ├── PipelineError               a pipeline stage gave up
    │   ├── CircuitOpenError        the circuit breaker is open
    │   └── RateLimitExceeded       the rate limiter would wait longer than allowed
    ├── ConfigError                 a config path, write or source was refused
    │   ├── UnknownPathError        no value at that path (also a KeyError)
    │   ├── BoundPathError          the path is owned by a live binding (config.bind)
    │   └── ConfigSourceError       a config file or the environment could not be read
    └── StateError                  a State or a ctx scope was misused
        ├── ImmutableError          attempted mutation of an immutable value (also AttributeError)
        └── MissingStateError       ctx.state(T) found no state of type T (also LookupError)

Every message says what was wrong, where, and what to do about it; secrets
(URI passwords, tokens) are redacted before they reach a message.
"""

from __future__ import annotations

__all__ = [
    "ApplyError",
    "BoundPathError",
    "CapacitorError",
    "CircuitOpenError",
    "CodecError",
    "ConfigError",
    "ConfigSourceError",
    "FlowError",
    "ImmutableError",
    "MissingStateError",
    "PipelineError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "RateLimitExceeded",
    "SourceAuthError",
    "SourceError",
    "SourceTypeError",
    "SourceURIError",
    "StartupTimeout",
    "StateError",
    "UnknownPathError",
    "UnknownProviderError",
    "ValidationFailed",
]


class FlowError(Exception):
    """Base class of every error Flow raises on purpose."""


class PluginError(FlowError):
    """A plugin could not be found, loaded or chosen."""


class PluginLoadError(PluginError):
    """A plugin's module or a lazily registered target failed to import or register."""


class PluginConflictError(PluginError):
    """Two distributions registered the same name for the same kind."""


class UnknownProviderError(PluginError, LookupError):
    """No loaded plugin provides the requested name for that kind."""


class SourceError(FlowError):
    """A watcher's source is permanently unusable (retrying will not help)."""


class SourceURIError(SourceError, ValueError):
    """A source URI is malformed, or names an option the watcher does not know."""


class SourceAuthError(SourceError):
    """The source refused the credentials."""


class SourceTypeError(SourceError, TypeError):
    """The watched key exists but holds a value of a type the watcher cannot read."""


class CodecError(FlowError, ValueError):
    """Bytes could not be decoded, or a value could not be encoded."""


class ValidationFailed(FlowError, ValueError):
    """A decoded value did not satisfy the model it was validated against."""


class ApplyError(FlowError):
    """An ``on_change`` callback raised while applying a new value."""


class CapacitorError(FlowError):
    """A capacitor was used in a way its life cycle does not allow."""


class StartupTimeout(CapacitorError, TimeoutError):
    """No first value arrived within ``startup_timeout``."""


class PipelineError(FlowError):
    """A pipeline stage gave up on a call."""


class CircuitOpenError(PipelineError):
    """The circuit breaker is open: calls are refused until it half-opens."""


class RateLimitExceeded(PipelineError):
    """The rate limiter would have to wait longer than the call allows."""


class ConfigError(FlowError):
    """A config path, write or source was refused."""


class UnknownPathError(ConfigError, KeyError):
    """No value exists at the requested config path."""

    def __str__(self) -> str:
        # KeyError's str() shows the repr of its argument; show the message as written.
        return str(self.args[0]) if self.args else ""


class BoundPathError(ConfigError):
    """The path is owned by a live binding (``config.bind``); change it at its source."""


class ConfigSourceError(ConfigError):
    """A config file, ``.env`` file or the environment could not be read."""


class StateError(FlowError):
    """A State or a ctx scope was misused."""


class ImmutableError(StateError, AttributeError):
    """An immutable value (State, snapshot, frozen mapping) was asked to change."""


class MissingStateError(StateError, LookupError):
    """``ctx.state(T)`` found no state of type ``T`` in the current scopes."""
