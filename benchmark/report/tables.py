"""Leaderboards as Markdown and CSV tables, and what every paper table shares: its columns, captions,
cell texts and the best value per column.

Every table keeps stand-in and real results apart and says which is which; values are mean ± sample
standard deviation over seeds with n. The LaTeX writer is :mod:`irbench.report.latex`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from irbench.store.atomic import atomic_write_text
from irbench.evaluation.metric_registry import best_of, display_name
from irbench.report.collect import Comparison, Leaderboard, Row, Spread
from irbench.report.paired import plural
from irbench.report.safety import csv_cell
from irbench.report.task_info import task_info

_MARKDOWN_SPECIAL = {"|": r"\|", "*": r"\*", "_": r"\_", "`": r"\`", "[": r"\[", "]": r"\]", "\\": "\\\\",
                     "<": "&lt;", ">": "&gt;", "&": "&amp;", "\n": " ", "\r": " "}


def markdown_escape(text: str) -> str:
    """``text`` safe in a Markdown table cell (no markup, no HTML, no cell break)."""
    return "".join(_MARKDOWN_SPECIAL.get(ch, ch) for ch in str(text))


def spread_text(spread: Spread | None, plus_minus: str = "±") -> str:
    """``0.512 ± 0.010`` (``0.512`` for one seed, ``–`` when missing)."""
    if spread is None:
        return "–"
    return f"{spread.mean:.3f}" + (f" {plus_minus} {spread.std:.3f}" if spread.std is not None else "")


def best_rows(board: Leaderboard, metric: str) -> set[int]:
    """Indices of the rows with the best value of ``metric`` at the 3 decimals shown (ties all win)."""
    values = {i: round(row.metrics[metric].mean, 3) for i, row in enumerate(board.rows) if row.metrics.get(metric)}
    if not values:
        return set()
    best = best_of(metric, list(values.values()))
    return {i for i, v in values.items() if v == best}


def data_words(board: Leaderboard) -> str:
    """``offline stand-in (synthesised audio; not comparable with published numbers)`` or ``real data``."""
    return ("offline stand-in (synthesised audio; not comparable with published numbers)" if board.stand_in
            else "real data")


def seeds_words(board: Leaderboard) -> str:
    """``3 seeds per row`` or ``1–3 seeds per row``."""
    counts = sorted({len(row.seeds) for row in board.rows})
    span = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"{span} seed{'s' if counts[-1] > 1 else ''} per row"


def caption(board: Leaderboard) -> str:
    """The sentence under a paper table: task, protocol version, data, seeds, the bold and Δ conventions."""
    main = display_name(board.main_score)
    text = (f"{task_info(board.task).title}, protocol version {board.task_version}, {data_words(board)}. "
            f"Mean ± sample standard deviation over seeds ({seeds_words(board)}); best value per column in bold.")
    if board.paired and board.paired.resamples:
        text += (f" Δ: {main} minus the best row's, with its 95% paired bootstrap interval over "
                 f"{plural(board.paired.unit, board.paired.n_units)} ({board.paired.resamples} resamples); "
                 f"† the interval excludes 0.")
    return text


def difference_text(row: Row, minus: str = "−", mark: str = "†") -> str:
    """``−0.052 [−0.081, −0.020] †`` against the best row; ``best`` for it; ``–`` when not computed."""
    c: Comparison | None = row.comparison
    if c is None:
        return "–"
    if c.reference:
        return "best"

    def signed(value: float) -> str:
        """``+0.012`` / ``−0.052`` with the chosen minus sign."""
        return f"{value:+.3f}".replace("-", minus)

    return f"{signed(c.difference)} [{signed(c.low)}, {signed(c.high)}]" + (f" {mark}" if c.excludes_zero else "")


def row_name(row: Row) -> str:
    """The row's label, with ``(floor)`` for the constant predictor."""
    return row.label + (" (floor)" if row.is_floor else "")


def markdown(boards: list[Leaderboard]) -> str:
    """One Markdown table per leaderboard, a ``Table:`` caption line above it (pandoc reads it as the
    caption), best value per column in bold, and Δ to the best row."""
    parts = []
    for board in boards:
        paired = bool(board.paired and board.paired.resamples)
        header = ["Baseline", "n", *(markdown_escape(display_name(m)) for m in board.columns)]
        header += [f"Δ {markdown_escape(display_name(board.main_score))} [95% CI]"] if paired else []
        lines = [f"### {markdown_escape(task_info(board.task).title)}: {'offline stand-in' if board.stand_in else 'real data'}",
                 "", f"Table: {markdown_escape(caption(board))}", "",
                 "| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
        best = {m: best_rows(board, m) for m in board.columns}
        for i, row in enumerate(board.rows):
            cells = [markdown_escape(row_name(row)), str(len(row.seeds))]
            for m in board.columns:
                text = spread_text(row.metrics.get(m))
                cells.append(f"**{text}**" if i in best[m] else text)
            cells += [difference_text(row)] if paired else []
            lines.append("| " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


CSV_HEADER = ["task", "task_version", "data", "baseline", "configuration", "config_digest", "metric", "metric_name",
              "mean", "std", "n", "difference_to_best", "difference_low", "difference_high"]


def to_csv(boards: list[Leaderboard]) -> str:
    """Long format, one line per (row, metric) with :data:`CSV_HEADER`'s columns. ``configuration`` holds
    the settings in which the row differs from the baseline's defaults (``max_epochs=5; ...``); the
    difference columns (to the best row, paired bootstrap) are filled on main-score lines. Every text
    cell is neutralised against formula injection (:func:`irbench.report.safety.csv_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for board in boards:
        for row in board.rows:
            settings = "; ".join(f"{k}={v}" for k, v in row.configuration.items())
            for metric in board.columns:
                s = row.metrics[metric]
                c = row.comparison if metric == board.main_score and row.comparison else None
                difference = ["", "", ""] if c is None else [f"{c.difference:.6f}", f"{c.low:.6f}", f"{c.high:.6f}"]
                writer.writerow([
                    csv_cell(board.task), csv_cell(board.task_version), "stand-in" if board.stand_in else "real",
                    csv_cell(row.baseline), csv_cell(settings), row.digest, csv_cell(metric),
                    csv_cell(display_name(metric)), f"{s.mean:.6f}", "" if s.std is None else f"{s.std:.6f}", s.n,
                    *difference,
                ])
    return buffer.getvalue()


def write_table(render, suffix: str):
    """A writer that puts ``render(boards)`` into ``out_dir/leaderboard.<suffix>``."""

    def write(boards: list[Leaderboard], n_records: int, out_dir: Path) -> Path:
        """Write the table; returns its path."""
        path = Path(out_dir) / f"leaderboard.{suffix}"
        atomic_write_text(path, render(boards))
        return path

    return write
