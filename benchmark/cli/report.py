"""``irbench report``: render the leaderboard from run records."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from irbench.cli.guidance import records_elsewhere
from irbench.logs import message_console


def report(
    results_dir: Path = typer.Option(Path("results"), "--results-dir", help="Folder of run records."),
    out: Path = typer.Option(Path("reports"), "--out", "-o", help="Folder for the report."),
    fmt: str = typer.Option("html", "--format", "-f", help="html (pages), markdown, latex or csv (tables)."),
    metrics: list[str] = typer.Option(
        [], "--metrics", "-m",
        help="Columns of the main table after the main score, e.g. --metrics macro_f1,lrap (repeatable). "
             "Default: HTML the main score and up to five others; Markdown and LaTeX a short per-task list; "
             "CSV every metric.",
    ),
) -> None:
    """Render the leaderboards from run records: HTML pages, or one Markdown, LaTeX or CSV file.

    OUT/index.html and one page per task (one row per baseline and configuration, mean ± std over seeds, bootstrap intervals, paired comparisons with the best row,
    published numbers, per-class tables, plots, provenance), or OUT/leaderboard.{md,tex,csv}. Stand-in
    results, and the supervised, probe-v1 and zero-shot tracks, always sit in their own labelled tables.
    HTML is self-contained: no network needed. Pages this command wrote before whose task has no records
    any more are removed (OUT/.irbench-report.json lists what it wrote; nothing else is touched). A record
    that cannot be used is named in a warning and skipped; an OUT that cannot be written is one error line
    (exit 2). RESULTS_DIR is the folder that holds <task>/<baseline>/<configuration>/seed-<n>.json; given a
    folder inside it (or above it), the error names the one to pass."""
    from irbench.report import build_report

    console = message_console(stderr=True)

    def warn(message: str) -> None:
        console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)

    chosen = [name.strip() for item in metrics for name in item.split(",") if name.strip()]
    misplaced = records_elsewhere(results_dir)  # a task or configuration folder given, or one above RESULTS_DIR
    if misplaced is not None:
        raise misplaced
    path = build_report(results_dir, out, fmt, metrics=chosen or None, warn=warn)
    console.print(f"[green]report:[/] {escape(str(path))}", highlight=False)
