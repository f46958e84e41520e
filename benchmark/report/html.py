"""The HTML report: ``index.html`` plus one self-contained page per task (inline CSS, JS and SVG).

Jinja autoescaping escapes every string from a record; file names and links are built only from task names
validated by :mod:`irbench.report.loading` (see :mod:`irbench.report.safety`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from pathlib import Path

import jinja2
import numpy as np

from irbench import __version__
from irbench.store.atomic import atomic_write_text
from irbench.evaluation import metric_registry
from irbench.evaluation.bootstrap import INDICATIVE_BELOW
from irbench.store.predictions_file import PredictionsError, read_clip_table
from irbench.report import plots
from irbench.report.anchors import anchors_for, beside_anchor
from irbench.report.collect import Leaderboard, Row, Spread
from irbench.report.paired import plural
from irbench.report.safety import inside
from irbench.report.tables import difference_text, spread_text, track_words
from irbench.report.task_info import TaskInfo, task_info

MICRO_MACRO = ("micro: pooled over every (clip, class) decision, so every false positive counts, also for "
               "classes absent from the test set; macro: mean over every class, where a class absent from the "
               "test set counts 1 when it is never predicted and 0 once it is predicted (so predicting every "
               "instrument never pays); mAP: mean over the classes with a positive test clip (AP needs one).")


def heat(spread: Spread | None) -> str:
    """Inline CSS colouring a cell by a value in [0, 1] (white to green); nothing for missing values."""
    if spread is None:
        return ""
    alpha = min(max(float(spread.mean), 0.0), 1.0) * 0.55
    return f"background: rgba(46, 160, 67, {alpha:.2f})"


def count_text(spread: Spread | None) -> str:
    """A test-clip count over seeds: ``37`` (one seed, or equal on all), ``36.7`` (mean), ``–`` unknown."""
    if spread is None:
        return "–"
    if spread.std in (None, 0.0) and float(spread.mean).is_integer():
        return str(int(spread.mean))
    return f"{spread.mean:.1f}"


def no_support_text(row: Row, label: str) -> str:
    """``no support · 37 false positives`` (the class has no positive test clip, yet the row predicted it
    37 times, which micro averages count); ``no support in the test set`` when counts are unknown."""
    fp = row.per_class.get(label, {}).get("false_positives")
    if fp is None:
        return "no support in the test set"
    count = count_text(fp)
    seeds = f" (mean over {fp.n} seeds)" if fp.n > 1 and fp.std else ""
    if fp.mean == 0:
        return "no support · never predicted: counts 1 in macro averages"
    counts = "counts 0 in macro averages" if fp.std in (None, 0.0) else "counts 0 in macro averages where predicted"
    return f"no support · {count} false positive{'' if count == '1' else 's'}{seeds}: {counts}"


def intervals(row: Row, main: str) -> tuple[list[str], str]:
    """Each run's 95% bootstrap interval of ``main``, one labelled line per seed (``seed 0: [0.201, 0.312]``,
    ``seed 1: –`` when its record has none), and the words for its unit (``95% CI over 208 tracks``; joined
    over runs when they differ). Records without ``unit`` resampled test clips.

    Why per seed and labelled: each interval is one run's percentile bootstrap over the test set's
    independent units (:mod:`irbench.evaluation.bootstrap`), so it says how much that run's score depends
    on the test material drawn. Stacking several without their seeds made them read as one row-level
    interval; an interval of the seed mean would need every seed's predictions resampled together, which
    the paired comparison below the leaderboard already does (seeds averaged inside each resample)."""
    texts, units = [], []
    for run in row.runs:
        ci = run.record.confidence_intervals.get(main)
        if not ci or "low" not in ci or "high" not in ci:
            texts.append(f"seed {run.record.seed}: –")
            continue
        texts.append(f"seed {run.record.seed}: [{ci['low']:.3f}, {ci['high']:.3f}]")
        level = ci.get("level", 0.95)
        n_units = ci.get("n_units", run.record.n_test)
        indicative = ci.get("indicative", int(n_units) < INDICATIVE_BELOW)
        units.append(f"{level:.0%} CI over {plural(str(ci.get('unit') or 'clip'), int(n_units))}"
                     + (f" (indicative only: fewer than {INDICATIVE_BELOW} units)" if indicative else ""))
    return texts, "; ".join(dict.fromkeys(units))


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("irbench.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters.update(heat=heat, count=count_text, spread_text=spread_text)
    environment.globals.update(
        display_name=metric_registry.display_name, definition=metric_registry.definition, no_support=no_support_text,
        intervals=intervals, difference=difference_text, plural=plural, MICRO_MACRO=MICRO_MACRO,
        track_words=track_words,
    )
    return environment


def _curve(row: Row, labels: list[str]):
    run = row.runs[0]
    try:
        table = read_clip_table(run.predictions, labels) if run.predictions.exists() else None
    except (OSError, PredictionsError):
        table = None
    return None if table is None else (table.targets, table.predictions, table.scores, table.mask)


PLOTTED_ROWS = 8
"""Rows drawn in a board's bar and curve plots: the best ones, plus the floor when it is not among them.
More bars per class than this cannot be told apart (colours repeat after 10) and cost about 0.15 CPU-s a
row to draw; the tables above the plots list every row."""


def plotted_rows(board: Leaderboard, limit: int = PLOTTED_ROWS) -> list[Row]:
    """The rows a board's plots draw: the ``limit`` best (``board.rows`` is sorted best first), the last
    of them replaced by the floor when the floor is not among them."""
    rows = list(board.rows[:limit])
    floor = next((row for row in board.rows if row.is_floor), None)
    if floor is not None and floor not in rows and rows:
        rows[-1] = floor
    return rows


def confusion_table(confusion_rows: list[np.ndarray], n_classes: int) -> dict[str, object] | None:
    """A row's confusion matrix for the page, summed over its seeds' records: ``counts`` ``(n_classes,
    n_classes)`` int (true classes as rows) and ``shares`` the same normalised per true class (0 where a
    class has no test clip); ``None`` when a record lacks the matrix or its shape is not square in the
    board's classes. Drawn as an HTML table shaded by share, so every count stays readable and
    selectable."""
    if not confusion_rows or any(m.shape != (n_classes, n_classes) for m in confusion_rows):
        return None
    counts = np.sum(confusion_rows, axis=0)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts, dtype=float), where=totals > 0)
    return {"counts": counts.astype(int).tolist(), "shares": shares.tolist()}


def _matrix(confusion) -> np.ndarray | None:
    """A record's ``confusion_matrix.rows_true`` as a number array ``(n_classes, n_classes)`` (square by
    validation), ``None`` when absent."""
    return None if confusion is None else np.asarray(confusion.rows_true, dtype=float)


def _section(board: Leaderboard, info: TaskInfo) -> dict[str, object]:
    names = [info.instrument(label) for label in board.labels]
    drawn = plotted_rows(board)
    f1 = {row.label: [None if row.per_class[label]["f1"] is None else row.per_class[label]["f1"].mean
                      for label in board.labels] for row in drawn}
    section: dict[str, object] = {"board": board, "f1_plot": plots.per_class_f1(names, f1), "pr_plot": None,
                                  "errors_plot": None, "confusion_tables": {}, "n_plotted": len(drawn),
                                  "names": names}
    if board.single_label:
        for row in board.rows:
            matrices = [m for run in row.runs if (m := _matrix(run.record.extra.confusion_matrix)) is not None]
            if len(matrices) == len(row.runs) and (table := confusion_table(matrices, len(names))) is not None:
                section["confusion_tables"][row.label] = table
        return section
    curves = {row.label: curve for row in drawn if (curve := _curve(row, board.labels)) is not None}
    section["pr_plot"] = plots.precision_recall(curves) if curves else None

    def mean(row: Row, label: str, field: str) -> float | None:
        """Mean over seeds of a per-class count, ``None`` when unknown."""
        spread = row.per_class[label].get(field)
        return None if spread is None else spread.mean

    errors = {row.label: ([mean(row, label, "false_positives") for label in board.labels],
                          [mean(row, label, "false_negatives") for label in board.labels]) for row in drawn}
    if any(v is not None for fp, fn in errors.values() for v in (*fp, *fn)):
        section["errors_plot"] = plots.class_errors(names, errors)
    return section


def html_files(boards: list[Leaderboard]) -> list[str]:
    """The file names :func:`render_html` writes for ``boards``: ``index.html`` and one ``<task>.html`` per
    task (task names are validated when records are read)."""
    return ["index.html", *dict.fromkeys(f"{board.task}.html" for board in boards)]


def render_html(boards: list[Leaderboard], n_records: int, out_dir: Path) -> Path:
    """Write ``index.html`` and ``<task>.html`` pages under ``out_dir``; returns the index path.

    Raises ``ValueError`` when a task name is unsafe as a file name (records are validated before this).
    """
    environment = _environment()
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    common = {"version": __version__, "generated": generated}
    by_task: dict[str, list[Leaderboard]] = defaultdict(list)
    for board in boards:
        by_task[board.task].append(board)
    infos = {task: task_info(task) for task in by_task}
    for task, task_boards in by_task.items():
        html = environment.get_template("task.html.j2").render(
            task=task, info=infos[task], sections=[_section(b, infos[task]) for b in task_boards],
            anchors=anchors_for(task), beside=beside_anchor(task_boards), **common,
        )
        atomic_write_text(inside(out_dir, task, ".html"), html)
    index = Path(out_dir) / "index.html"
    atomic_write_text(index, environment.get_template("index.html.j2").render(
        boards=boards, infos=infos, n_records=n_records, **common))
    return index
