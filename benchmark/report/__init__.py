"""Rendering run records into leaderboards: self-contained HTML pages, or Markdown, LaTeX and CSV tables.

The steps, one module each: :mod:`~irbench.report.loading` reads and validates records (a bad one costs a
warning, not the report); :mod:`~irbench.report.collect` groups them into leaderboards, one row per
baseline and configuration; :mod:`~irbench.report.paired` compares every row with the best one by a paired
bootstrap over the same test units; the writers (:mod:`~irbench.report.html`, :mod:`~irbench.report.tables`,
:mod:`~irbench.report.latex`) render them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from irbench.errors import ConfigError, DataNotFoundError
from irbench.store.records import find_records
from irbench.registry import Registry


class ReportWarning(UserWarning):
    """A record, or a part of one, that the report skipped or repaired (the message names the file)."""


def _imported(target: str):
    """The attribute named by ``"module:attribute"``, imported now."""
    import importlib

    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Format:
    """A report format: ``writer(boards, n_records, out_dir) -> main file`` (``"module:attribute"``,
    imported when used), which columns its main table shows (``"html"``: the main score and up to five
    others; ``"paper"``: the main score and the task's short default list; ``"all"``: every metric), and
    ``files``: ``"module:attribute"`` of ``files(boards) -> [file names]`` it writes (empty: the main file
    only), which the output folder's manifest keeps (:mod:`irbench.report.outputs`)."""

    writer: str
    columns: str
    files: str = ""

    def write(self, boards, n_records: int, out_dir: Path) -> Path:
        """Import the writer and call it."""
        return _imported(self.writer)(boards, n_records, out_dir)

    def names(self, boards, main: Path) -> list[str]:
        """The plain file names this format wrote for ``boards`` (``main``: what :meth:`write` returned)."""
        return list(_imported(self.files)(boards)) if self.files else [Path(main).name]


FORMATS: Registry[Format] = Registry("report format")
FORMATS.register("html", Format("irbench.report.html:render_html", "html", "irbench.report.html:html_files"))
FORMATS.register("markdown", Format("irbench.report.writers:write_markdown", "paper"))
FORMATS.register("latex", Format("irbench.report.writers:write_latex", "paper"))
FORMATS.register("csv", Format("irbench.report.writers:write_csv", "all"))


def _warn(message: str) -> None:
    warnings.warn(message, ReportWarning, stacklevel=3)


def choose_columns(boards, policy: str, metrics: list[str] | None) -> None:
    """Set each board's ``columns``: the main score plus ``metrics`` (those it has), else by ``policy``.

    Raises
    ------
    ConfigError: a requested metric is in no leaderboard (names the ones there are).
    """
    from irbench.report.collect import HTML_COLUMNS
    from irbench.report.task_info import paper_metrics

    if metrics:
        known = {m for board in boards for m in board.metric_names}
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise ConfigError(f"--metrics: {', '.join(unknown)} is in no leaderboard; metrics there are: "
                              f"{', '.join(sorted(known))}")
    for board in boards:
        if metrics or policy == "paper":
            board.columns = paper_metrics(board.task, board.main_score, board.metric_names, metrics)
        elif policy == "all":
            board.columns = list(board.metric_names)
        else:
            board.columns = board.metric_names[:HTML_COLUMNS]


def build_report(
    results_dir: Path, out_dir: Path, fmt: str = "html", metrics: list[str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Render every usable record under ``results_dir`` into ``out_dir`` in format ``fmt``; returns the
    main file. Files a previous run of the same format wrote there and this one does not (the page of a task
    whose records are gone) are removed; nothing else in ``out_dir`` is touched
    (:mod:`irbench.report.outputs`).

    Parameters
    ----------
    metrics: the main table's columns after the main score (metric keys, e.g. ``["macro_f1", "lrap"]``);
        ``None`` uses the format's default.
    warn: receives one line per record skipped or repaired; the default issues a :class:`ReportWarning`.

    Raises
    ------
    DataNotFoundError: no record under ``results_dir``, or none usable among several.
    DatasetLayoutError: the only record is unusable (names the file and why).
    ConfigError: a metric in ``metrics`` is in no leaderboard.
    UnknownNameError: an unknown format.
    OutputError: ``out_dir`` cannot be created or written (a regular file, a path under a file, read-only);
        one line naming the path and the system's reason.
    """
    from irbench.store.predictions_file import PredictionsError, read_clip_table
    from irbench.report.collect import leaderboards
    from irbench.report.loading import load_runs
    from irbench.report.outputs import prune_and_record, writable_out, written
    from irbench.report.paired import compare

    warn = warn or _warn
    chosen = FORMATS.get(fmt)
    paths = find_records(results_dir)
    if not paths:
        raise DataNotFoundError(
            f"no run records under {results_dir}; run e.g. `irbench run --task irmas --baseline vgg "
            f"--data-home DIR --results-dir {results_dir}` first"
        )
    runs = load_runs(paths, warn)

    def clip_counts(run, labels):
        """Per-class TP/FP/FN from the run's predictions file, or ``None`` when it cannot be read."""
        try:
            return read_clip_table(run.predictions, labels).counts() if run.predictions.exists() else None
        except (OSError, PredictionsError):
            return None

    boards = leaderboards(runs, clip_counts)
    choose_columns(boards, chosen.columns, metrics)
    for board in boards:
        compare(board, warn)
    out = writable_out(Path(out_dir))
    main = written(out, lambda: chosen.write(boards, len(runs), out))
    prune_and_record(out, fmt, chosen.names(boards, main), warn)
    return main
