"""Assets: ``@asset``, the DAG, partitions, IO managers and materialization.

See ``docs/assets.md``. Names are imported on first use so that importing
``flow.assets`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .approvals import approve as approve
    from .approvals import approve_async as approve_async
    from .approvals import expire_due as expire_due
    from .approvals import reject as reject
    from .context import AssetContext as AssetContext
    from .dag import AssetGraph as AssetGraph
    from .definition import Asset as Asset
    from .definition import asset as asset
    from .execution import backfill as backfill
    from .execution import backfill_async as backfill_async
    from .execution import materialize as materialize
    from .execution import materialize_all as materialize_all
    from .execution import materialize_all_async as materialize_all_async
    from .execution import materialize_async as materialize_async
    from .execution import resume as resume
    from .execution import resume_async as resume_async
    from .io_managers import FsIOManager as FsIOManager
    from .io_managers import IOContext as IOContext
    from .io_managers import IOManager as IOManager
    from .io_managers import MemoryIOManager as MemoryIOManager
    from .io_managers import resolve_io_manager as resolve_io_manager
    from .keys import check_key as check_key
    from .partitions import DailyPartitions as DailyPartitions
    from .partitions import HourlyPartitions as HourlyPartitions
    from .partitions import MonthlyPartitions as MonthlyPartitions
    from .partitions import MultiPartitions as MultiPartitions
    from .partitions import PartitionsDefinition as PartitionsDefinition
    from .partitions import StaticPartitions as StaticPartitions
    from .partitions import TimeWindowPartitions as TimeWindowPartitions
    from .partitions import parse_partition as parse_partition
    from .partitions import serialize_partition as serialize_partition
    from .project import load_definitions as load_definitions
    from .registry import AssetRegistry as AssetRegistry
    from .registry import Definitions as Definitions
    from .registry import default_registry as default_registry
    from .registry import use_registry as use_registry
    from .results import MaterializationResult as MaterializationResult
    from .results import RunResult as RunResult
    from .scheduler import Scheduler as Scheduler
    from .scheduler import TickRecord as TickRecord
    from .schedules import Schedule as Schedule
    from .schedules import register_schedule as register_schedule
    from .schedules import schedule as schedule
    from .sensors import RunRequest as RunRequest
    from .sensors import Sensor as Sensor
    from .sensors import SensorContext as SensorContext
    from .sensors import SourceSensor as SourceSensor
    from .sensors import register_sensor as register_sensor
    from .sensors import sensor as sensor
    from .values import load_value as load_value
    from .values import load_value_async as load_value_async
    from .waiting import WaitForApproval as WaitForApproval

_LAZY: dict[str, str] = {
    "load_value": ".values",
    "load_value_async": ".values",
    "approve": ".approvals",
    "approve_async": ".approvals",
    "reject": ".approvals",
    "expire_due": ".approvals",
    "Schedule": ".schedules",
    "schedule": ".schedules",
    "register_schedule": ".schedules",
    "Sensor": ".sensors",
    "sensor": ".sensors",
    "SensorContext": ".sensors",
    "RunRequest": ".sensors",
    "SourceSensor": ".sensors",
    "register_sensor": ".sensors",
    "Scheduler": ".scheduler",
    "TickRecord": ".scheduler",
    "AssetContext": ".context",
    "AssetGraph": ".dag",
    "Asset": ".definition",
    "asset": ".definition",
    "FsIOManager": ".io_managers",
    "IOContext": ".io_managers",
    "IOManager": ".io_managers",
    "MemoryIOManager": ".io_managers",
    "resolve_io_manager": ".io_managers",
    "check_key": ".keys",
    "backfill": ".execution",
    "backfill_async": ".execution",
    "materialize": ".execution",
    "materialize_all": ".execution",
    "materialize_all_async": ".execution",
    "materialize_async": ".execution",
    "resume": ".execution",
    "resume_async": ".execution",
    "DailyPartitions": ".partitions",
    "HourlyPartitions": ".partitions",
    "MonthlyPartitions": ".partitions",
    "MultiPartitions": ".partitions",
    "PartitionsDefinition": ".partitions",
    "StaticPartitions": ".partitions",
    "TimeWindowPartitions": ".partitions",
    "parse_partition": ".partitions",
    "serialize_partition": ".partitions",
    "load_definitions": ".project",
    "AssetRegistry": ".registry",
    "Definitions": ".registry",
    "default_registry": ".registry",
    "use_registry": ".registry",
    "MaterializationResult": ".results",
    "RunResult": ".results",
    "WaitForApproval": ".waiting",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
