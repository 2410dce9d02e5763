"""``flow.config``: the process-wide :class:`~flow.Flow` instance."""

from __future__ import annotations

from .container import Flow

__all__ = ["config"]

#: The process's configuration. Attach a schema with ``config.use_schema(AppSettings)``.
config = Flow()
