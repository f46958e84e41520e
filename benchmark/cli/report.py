"""``irbench report``: render the leaderboard from run records."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape


def report(
    results_dir: Path = typer.Option(Path("results"), "--results-dir", help="Folder of run records."),
    out: Path = typer.Option(Path("reports"), "--out", "-o", help="Folder for index.html."),
) -> None:
    """Render OUT/index.html: one leaderboard per task (mean ± std over seeds), per-class tables,
    stand-in results in their own labelled tables. Self-contained: no network needed to view it."""
    from irbench.report import build_report

    path = build_report(results_dir, out)
    Console(stderr=True).print(f"[green]report:[/] {escape(str(path))}", highlight=False)
