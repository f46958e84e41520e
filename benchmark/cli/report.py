"""``irbench report``: render the leaderboard from run records."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape


def report(
    results_dir: Path = typer.Option(Path("results"), "--results-dir", help="Folder of run records."),
    out: Path = typer.Option(Path("reports"), "--out", "-o", help="Folder for the report."),
    fmt: str = typer.Option("html", "--format", "-f", help="html (pages), markdown, latex or csv (tables)."),
) -> None:
    """Render the leaderboards: OUT/index.html and one page per task (mean ± std over seeds, bootstrap
    intervals, published numbers, per-class tables, plots, provenance), or OUT/leaderboard.{md,tex,csv}.
    Stand-in results always sit in their own labelled tables. HTML is self-contained: no network needed."""
    from irbench.report import build_report

    path = build_report(results_dir, out, fmt)
    Console(stderr=True).print(f"[green]report:[/] {escape(str(path))}", highlight=False)
