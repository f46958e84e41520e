"""``irbench list`` and ``irbench validate``: what is registered, and whether a baseline or task keeps its
contract."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table


def list_entries(
    what: str = typer.Argument(..., help="baselines or tasks"),
) -> None:
    """List registered baselines or tasks: name, source package and a one-line description."""
    import warnings

    from irbench.baselines import BASELINES
    from irbench.errors import ConfigError
    from irbench.tasks import TASKS

    registries = {"baselines": BASELINES, "tasks": TASKS}
    if what not in registries:
        raise ConfigError(f"irbench list takes 'baselines' or 'tasks', not {what!r}")
    registry = registries[what]
    console = Console()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = registry.names()
    table = Table(title=f"irbench {what}")
    for column in ("name", "package", "description"):
        table.add_column(column)
    for name in names:
        entry = registry.get(name)
        description = getattr(entry, "description", None) or entry.metadata.description
        table.add_row(escape(name), escape(registry.source(name)), escape(str(description).splitlines()[0]))
    console.print(table)
    for warning in caught:
        Console(stderr=True).print(f"[yellow]warning:[/] {escape(str(warning.message))}", highlight=False)


def validate(
    name: str = typer.Argument(..., help="Registered baseline or task name."),
) -> None:
    """Check a baseline or a task against its contract. A baseline: builds for every prediction type,
    forward pass shapes, one training step, same seed same output. A task: consistent metadata, and its
    protocol emits the main score, per-class metrics and a rescore for bootstrap intervals on a synthetic
    set. Exit 1 listing what failed."""
    from irbench.baselines import BASELINES
    from irbench.tasks import TASKS
    from irbench.validate import validate_baseline, validate_task

    checks = validate_task(name) if name in TASKS and name not in BASELINES else validate_baseline(name)
    table = Table(title=f"irbench validate {escape(name)}")
    for column in ("check", "result", "found"):
        table.add_column(column)
    for check in checks:
        table.add_row(escape(check.name), "[green]pass[/]" if check.passed else "[red]FAIL[/]", escape(check.detail))
    Console().print(table)
    if not all(check.passed for check in checks):
        raise typer.Exit(1)
