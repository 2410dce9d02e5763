"""``AssetContext``: what an asset function gets in its ``context`` parameter."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ResourceError
from .partitions import PartitionKey

if TYPE_CHECKING:
    from ..store import Approval

__all__ = ["AssetContext"]

T = TypeVar("T")


class AssetContext:
    """The running materialization: key, partition, run id, approval, log and resources."""

    __slots__ = ("_resources", "approval", "key", "log", "partition", "partition_text", "run_id")

    def __init__(
        self,
        key: str,
        partition: PartitionKey | None,
        partition_text: str | None,
        run_id: str,
        log: logging.Logger,
        resources: dict[type, Any],
        approval: Approval | None = None,
    ) -> None:
        #: The asset key.
        self.key = key
        #: The partition key object (a date, a tuple, ...) or None when unpartitioned.
        self.partition = partition
        #: The partition's tagged text as stored in the metadata store.
        self.partition_text = partition_text
        #: The id of the run this materialization belongs to.
        self.run_id = run_id
        #: A logger named ``flow.assets.<key>``.
        self.log = log
        #: The approval decision when the materialization was resumed after approval.
        self.approval = approval
        self._resources = resources

    def resource(self, kind: type[T]) -> T:
        """The resource of type ``kind`` this asset declared in ``resources=[...]``."""
        try:
            return self._resources[kind]  # type: ignore[no-any-return]
        except KeyError:
            pass
        for value in self._resources.values():
            if isinstance(value, kind):
                return value
        declared = ", ".join(t.__name__ for t in self._resources) or "none"
        raise ResourceError(
            f"asset {self.key!r} asked for resource {kind.__name__}, which it did not declare "
            f"(declared: {declared}); add it to @asset(resources=[{kind.__name__}])"
        )

    def __repr__(self) -> str:
        return (
            f"AssetContext(key={self.key!r}, partition={self.partition!r}, run_id={self.run_id!r})"
        )
