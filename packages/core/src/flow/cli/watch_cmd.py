"""``flow watch`` and ``flow check``: a live source through a Capacitor, from the shell."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import typer

from ..errors import FlowError

__all__ = ["check", "watch"]


def _load_model(spec: str | None) -> Any:
    if spec is None:
        return None
    from ..plugins._registry import import_target

    if ":" not in spec:
        raise typer.BadParameter(f"--model must look like 'module:Class', not {spec!r}")
    sys.path.insert(0, os.getcwd())  # models usually live in the user's project
    try:
        return import_target(spec)
    except (ImportError, AttributeError) as exc:
        raise typer.BadParameter(f"cannot import model {spec!r}: {exc}") from exc


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")  # SecretStr fields come out masked
    return value


def watch(
    uri: str = typer.Argument(
        ..., help="Source URI, e.g. file:config.yaml or redis://host/0?key=app"
    ),
    model: str | None = typer.Option(None, "--model", help="Validate against module:Class."),
    codec: str | None = typer.Option(None, "--codec", help="Codec name (json, yaml, toml, text…)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
    count: int = typer.Option(0, "--count", help="Exit after this many applied values (0: run)."),
    debounce: float = typer.Option(
        0.0, "--debounce", help="Seconds to wait for a burst to settle."
    ),
) -> None:
    """Print each applied value, each rejected change and each health change until interrupted."""
    printer = _JsonPrinter() if as_json else _RichPrinter()
    try:
        asyncio.run(_watch(uri, _load_model(model), codec, printer, count, debounce))
    except KeyboardInterrupt:
        pass
    except FlowError as exc:
        printer.fatal(exc)
        raise typer.Exit(1) from None


async def _watch(
    uri: str, model: Any, codec: str | None, printer: _Printer, count: int, debounce: float
) -> None:
    from ..events import EventBus
    from ..live.capacitor import Capacitor

    events = EventBus()
    done = asyncio.Event()
    applied = 0

    def on_change(previous: Any, current: Any) -> None:
        nonlocal applied
        applied += 1
        printer.applied(current)
        if count and applied >= count:
            done.set()

    events.subscribe("capacitor.health_changed", lambda e: printer.health(e.data["health"], cap))
    for failure in _FAILURES:  # every one, also while health stays degraded
        events.subscribe(failure, lambda e: printer.failed(e.data["stage"], e.data["message"]))
    cap: Capacitor[Any] = Capacitor(
        uri,
        model=model,
        codec=codec,
        on_change=on_change,
        events=events,
        debounce=debounce,
        startup_timeout=None,
    )
    async with cap:
        await done.wait()


_FAILURES = (
    "capacitor.decode_failed",
    "capacitor.validation_failed",
    "capacitor.apply_failed",
    "capacitor.watch_failed",
)


class _Printer:
    def applied(self, value: Any) -> None: ...
    def failed(self, stage: str, message: str) -> None: ...
    def health(self, health: str, cap: Any) -> None: ...
    def fatal(self, exc: BaseException) -> None: ...


class _JsonPrinter(_Printer):
    def _line(self, **fields: Any) -> None:
        sys.stdout.write(json.dumps(fields, default=str) + "\n")
        sys.stdout.flush()

    def applied(self, value: Any) -> None:
        self._line(event="applied", value=_plain(value))

    def failed(self, stage: str, message: str) -> None:
        self._line(event="failed", stage=stage, message=message)

    def health(self, health: str, cap: Any) -> None:
        error = cap.errors[-1] if cap.errors and health != "healthy" else None
        self._line(
            event="health",
            health=health,
            error=None if error is None else {"stage": error.stage, "message": error.message},
        )

    def fatal(self, exc: BaseException) -> None:
        self._line(event="error", error=str(exc))


class _RichPrinter(_Printer):
    def __init__(self) -> None:
        from rich.console import Console

        self.out = Console(highlight=False)
        self.err = Console(stderr=True, highlight=False)
        self.last_failure: str | None = None

    def applied(self, value: Any) -> None:
        from rich.pretty import Pretty

        self.out.print("[green]applied[/]", Pretty(_plain(value)))

    def failed(self, stage: str, message: str) -> None:
        from rich.markup import escape

        verb = "source failed" if stage == "watch" else f"rejected ({stage})"
        self.err.print(f"[yellow]{verb}:[/] {escape(message)}")
        self.last_failure = message

    def health(self, health: str, cap: Any) -> None:
        # The failure that changed it was printed just before, by failed().
        style = {"healthy": "green", "degraded": "yellow", "empty": "red"}.get(health, "white")
        self.err.print(f"[{style}]health {health}[/]")

    def fatal(self, exc: BaseException) -> None:
        from rich.markup import escape

        if str(exc) != self.last_failure:  # a source that failed at start was just printed
            self.err.print(f"[red]error:[/] {escape(str(exc))}")


def check(
    uri: str = typer.Argument(..., help="Source URI to validate once."),
    model: str | None = typer.Option(None, "--model", help="Validate against module:Class."),
    codec: str | None = typer.Option(None, "--codec", help="Codec name."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds to wait for the source."),
) -> None:
    """Validate the source's current value once; exit 1 with the error when it is not valid."""
    from rich.console import Console
    from rich.markup import escape

    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    try:
        ok, detail = asyncio.run(_check(uri, _load_model(model), codec, timeout))
    except FlowError as exc:
        err.print(f"[red]invalid:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    if not ok:
        err.print(f"[red]invalid:[/] {escape(detail)}")
        raise typer.Exit(1)
    out.print(f"[green]valid[/] {escape(detail)}")


async def _check(uri: str, model: Any, codec: str | None, timeout: float) -> tuple[bool, str]:
    from ..live.capacitor import Capacitor
    from ..live.health import Health

    cap: Capacitor[Any] = Capacitor(uri, model=model, codec=codec, startup_timeout=timeout)
    async with cap:
        if cap.health is Health.HEALTHY:
            return True, cap.name
        error = cap.errors[-1]
        return False, f"{error.stage}: {error.message} ({error.source})"
