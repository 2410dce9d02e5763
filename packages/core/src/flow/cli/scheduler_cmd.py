"""``flow scheduler``: run schedules and sensors in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import FlowError

if TYPE_CHECKING:
    from ..assets.scheduler import Scheduler, TickRecord

__all__ = ["scheduler"]

#: Printed (to stderr) once every loop is running; scripts and tests wait for it.
READY_LINE = "flow scheduler: running"


def scheduler(
    module: str | None = typer.Option(
        None, "--module", "-m", help="The module defining assets, schedules and sensors."
    ),
    once: bool = typer.Option(
        False, "--once", help="Fire what is due, evaluate each sensor once, then exit."
    ),
    as_json: bool = typer.Option(False, "--json", help="With --once: print the runs as JSON."),
    project_dir: Path | None = typer.Option(
        None, "--project-dir", help="The project directory (its .flow/flow.db is the store)."
    ),
    grace: float = typer.Option(
        30.0, "--grace", min=0.0, help="Seconds in-flight runs get to finish on shutdown."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Log only warnings and errors."),
) -> None:
    """Run cron schedules, polling sensors and source sensors in the foreground.

    Stops cleanly on Ctrl-C or SIGTERM: watchers are closed, in-flight runs get
    --grace seconds to finish (a second signal stops at once) and what is left
    is marked failed.
    """
    _logging(quiet)
    try:
        code = asyncio.run(_main(module, once, as_json, project_dir, grace))
    except FlowError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed
        raise typer.Exit(130) from None
    raise typer.Exit(code)


async def _main(
    module: str | None, once: bool, as_json: bool, project_dir: Path | None, grace: float
) -> int:
    from ..assets.project import load_definitions
    from ..assets.scheduler import Scheduler
    from ..store import MetadataStore, Status

    defs = await asyncio.to_thread(load_definitions, module, project_dir)
    store = await asyncio.to_thread(MetadataStore.open, project_dir=project_dir)
    try:
        runner = Scheduler(defs, store=store, shutdown_grace=grace)
        _describe(runner, store.url)
        if once:
            records = await runner.run_once()
            _report(records, as_json)
            return 0 if all(r.status is Status.SUCCESS for r in records) else 1
        task = asyncio.ensure_future(runner.serve())
        await asyncio.sleep(0)  # let serve() install its signal handlers before saying so
        typer.echo(READY_LINE, err=True)
        await task
        typer.echo("flow scheduler: stopped", err=True)
        return 0
    finally:
        store.close()


def _describe(runner: Scheduler, url: str) -> None:
    logger = logging.getLogger("flow.scheduler")
    logger.info("store %s", url)
    for item in runner.schedules:
        logger.info(
            "schedule %s: %r in %s -> %s",
            item.name,
            item.cron,
            item.timezone,
            ",".join(item.targets),
        )
    for probe in runner.sensors:
        logger.info(
            "sensor %s: every %gs -> %s", probe.name, probe.interval, ",".join(probe.targets)
        )
    for source in runner.sources:
        logger.info("%s -> %s", source.name, ",".join(source.targets))
    if not (runner.schedules or runner.sensors or runner.sources):
        logger.warning(
            "nothing to run: no schedules, sensors or assets with sources found "
            "(pass --module or set the project's assets module)"
        )


def _report(rows: list[TickRecord], as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "trigger": r.trigger,
                        "name": r.name,
                        "run_id": r.run_id,
                        "targets": list(r.targets),
                        "partition": r.partition,
                        "status": r.status.value,
                        "error": r.error,
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    if not rows:
        typer.echo("nothing was due")
    for r in rows:
        part = f" [{r.partition}]" if r.partition else ""
        tail = f": {r.error}" if r.error else ""
        typer.echo(f"{r.trigger} {r.name}: {','.join(r.targets)}{part} {r.status.value}{tail}")


def _logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("flow.scheduler", "flow.assets"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING if quiet else logging.INFO)
        logger.addHandler(handler)
