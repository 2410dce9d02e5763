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
    ├── StateError                  a State or a ctx scope was misused
    │   ├── ImmutableError          attempted mutation of an immutable value (also AttributeError)
    │   └── MissingStateError       ctx.state(T) found no state of type T (also LookupError)
    ├── StoreError                  the metadata store could not be opened or used
    │   ├── StoreURLError           the database URL is malformed or unsupported (also ValueError)
    │   ├── SchemaVersionError      the database schema is newer than this Flow
    │   ├── StoreBusyError          the database stayed locked/busy past the retry deadline
    │   └── UnknownRecordError      no run, materialization or schedule by that id (LookupError)
    ├── ApprovalError               an approval is unknown, already decided or expired
    ├── AssetError                  an asset, its DAG or a materialization was refused or failed
    │   ├── AssetDefinitionError    bad key, duplicate, cycle, unknown dependency (ValueError)
    │   ├── PartitionError          a partition key is malformed or not the asset's (ValueError)
    │   ├── IOManagerError          an IO manager could not store or load a value
    │   ├── ResourceError           a resource an asset needs failed to set up
    │   └── DependencyNotReady      an upstream has no successful materialization to read
    └── DataFlowError               a data flow could not be loaded or an entity not moved
        └── FlowDefinitionError     flow.yml / entity files are invalid (file, key path, line)

Every message says what was wrong, where, and what to do about it; secrets
(URI passwords, tokens) are redacted before they reach a message.
"""

from __future__ import annotations

__all__ = [
    "ApplyError",
    "ApprovalError",
    "AssetDefinitionError",
    "AssetError",
    "BoundPathError",
    "CapacitorError",
    "CircuitOpenError",
    "CodecError",
    "ConfigError",
    "ConfigSourceError",
    "DataFlowError",
    "DependencyNotReady",
    "FlowDefinitionError",
    "FlowError",
    "IOManagerError",
    "ImmutableError",
    "MissingStateError",
    "PartitionError",
    "PipelineError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "RateLimitExceeded",
    "ResourceError",
    "SchemaVersionError",
    "SourceAuthError",
    "SourceError",
    "SourceTypeError",
    "SourceURIError",
    "StartupTimeout",
    "StateError",
    "StoreBusyError",
    "StoreError",
    "StoreURLError",
    "UnknownPathError",
    "UnknownProviderError",
    "UnknownRecordError",
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


class StoreError(FlowError):
    """The metadata store could not be opened or used (the message names the redacted URL)."""


class StoreURLError(StoreError, ValueError):
    """The metadata store URL is malformed or names an unsupported database."""


class SchemaVersionError(StoreError):
    """The database's schema version is newer than this version of Flow understands."""


class StoreBusyError(StoreError):
    """The database stayed locked or busy past the retry deadline."""


class UnknownRecordError(StoreError, LookupError):
    """No run, materialization or schedule exists with the given id or name."""


class ApprovalError(FlowError):
    """An approval is unknown, was already decided, or has expired."""


class AssetError(FlowError):
    """An asset, its DAG or one of its materializations was refused or failed."""


class AssetDefinitionError(AssetError, ValueError):
    """An asset definition is invalid: bad key, duplicate key, cycle or unknown dependency."""


class PartitionError(AssetError, ValueError):
    """A partition key is malformed, or is not one of the asset's partitions."""


class IOManagerError(AssetError):
    """An IO manager could not store or load an asset's value (names asset, partition, manager)."""


class ResourceError(AssetError):
    """A resource an asset declares could not be set up (names the resource)."""


class DependencyNotReady(AssetError):
    """Upstream assets have no successful materialization for the partition being computed."""


class DataFlowError(FlowError):
    """A data flow could not be loaded, or one of its entities could not be moved."""


class FlowDefinitionError(DataFlowError, ValueError):
    """A ``flow.yml`` or one of its entity files is invalid.

    The message starts with ``file:line:`` and the key path (``entities.orders.home.path``);
    ``file``, ``line`` and ``key`` carry the same for programs (None when unknown).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.key = key
