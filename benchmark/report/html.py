"""The HTML report: ``index.html`` plus one self-contained page per task (inline CSS, JS and SVG)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from pathlib import Path

import jinja2
import numpy as np

from irbench import __version__
from irbench.atomic import atomic_write_text
from irbench.report import plots
from irbench.report.anchors import anchors_for
from irbench.report.collect import Leaderboard


def heat(spread) -> str:
    """Inline CSS colouring a cell by a value in [0, 1] (white to green); nothing for missing values."""
    if spread is None:
        return ""
    alpha = min(max(float(spread.mean), 0.0), 1.0) * 0.55
    return f"background: rgba(46, 160, 67, {alpha:.2f})"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("irbench.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters["heat"] = heat
    return environment


def _section(board: Leaderboard) -> dict[str, object]:
    f1 = {row.baseline: [None if row.per_class[label]["f1"] is None else row.per_class[label]["f1"].mean
                         for label in board.labels] for row in board.rows}
    section: dict[str, object] = {"board": board, "f1_plot": plots.per_class_f1(board.labels, f1),
                                  "pr_plot": None, "confusion_plots": {}}
    if board.single_label:
        for row in board.rows:
            total = sum(np.array(run.record.extra["confusion_matrix"]["rows_true"]) for run in row.runs)
            section["confusion_plots"][row.baseline] = plots.confusion(board.labels, total, row.baseline)
    else:
        curves = {row.baseline: plots.read_predictions(row.runs[0].predictions, board.labels)
                  for row in board.rows if row.runs[0].predictions.exists()}
        section["pr_plot"] = plots.precision_recall(curves) if curves else None
    return section


def render_html(boards: list[Leaderboard], n_records: int, out_dir: Path) -> Path:
    """Write ``index.html`` and ``<task>.html`` pages under ``out_dir``; returns the index path."""
    from irbench.tasks import TASKS

    environment = _environment()
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    common = {"version": __version__, "generated": generated}
    by_task: dict[str, list[Leaderboard]] = defaultdict(list)
    for board in boards:
        by_task[board.task].append(board)
    for task, task_boards in by_task.items():
        description = TASKS.get(task).metadata.description if task in TASKS else ""
        html = environment.get_template("task.html.j2").render(
            task=task, description=description, sections=[_section(b) for b in task_boards],
            anchors=anchors_for(task), **common,
        )
        atomic_write_text(Path(out_dir) / f"{task}.html", html)
    index = Path(out_dir) / "index.html"
    atomic_write_text(index, environment.get_template("index.html.j2").render(
        boards=boards, n_records=n_records, **common))
    return index
