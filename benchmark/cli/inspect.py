"""``irbench list`` and ``irbench validate``: what is registered, and whether a baseline keeps the contract."""

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
    baseline: str = typer.Argument(..., help="Registered baseline name."),
) -> None:
    """Check BASELINE against the contract: builds for every prediction type, forward pass shapes, one
    training step, same seed same output. Exit 1 listing what failed."""
    from irbench.validate import validate_baseline

    checks = validate_baseline(baseline)
    table = Table(title=f"irbench validate {escape(baseline)}")
    for column in ("check", "result", "found"):
        table.add_column(column)
    for check in checks:
        table.add_row(escape(check.name), "[green]pass[/]" if check.passed else "[red]FAIL[/]", escape(check.detail))
    Console().print(table)
    if not all(check.passed for check in checks):
        raise typer.Exit(1)
