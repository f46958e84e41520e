"""Leaderboards as Markdown and CSV tables, and what every paper table shares: its columns, captions,
cell texts and the best value per column.

Every table keeps stand-in and real results apart, and the tracks (supervised, probe-v1, zero-shot:
:mod:`irbench.store.tracks`) apart, and says which is which: each table is headed by its track, rows are
ranked and compared within it only, and a probe or zero-shot row names its embedder or tagger, weights
hash and protocol (zero-shot rows also the classes their label map leaves out). Values are mean ± sample
standard deviation over seeds with n. Published numbers follow a task's tables as a block of their own
(:func:`published_markdown`). The LaTeX writer is :mod:`irbench.report.latex`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from irbench.store.atomic import atomic_write_text
from irbench.evaluation.metric_registry import best_of, display_name
from irbench.report.anchors import anchors_for, beside_anchor
from irbench.report.collect import Comparison, Leaderboard, Row, Spread
from irbench.report.paired import plural
from irbench.report.safety import csv_cell
from irbench.report.task_info import task_info
from irbench.store.tracks import SUPERVISED

TRACK_WORDS = {
    "supervised": "supervised track (baselines trained on the task's training split)",
    "probe-v1": "probe-v1 track (frozen pretrained embedders; a probe trained on their pooled embeddings)",
    "zero-shot": "zero-shot track (pretrained taggers evaluated without training, through a label map)",
}
"""How a table names its track, in its heading and caption."""

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


def track_words(board: Leaderboard) -> str:
    """``probe-v1 track (frozen pretrained embedders; ...)``: the board's track in words."""
    return TRACK_WORDS.get(board.track, f"{board.track} track")


def caption(board: Leaderboard) -> str:
    """The sentence under a paper table: task, protocol version, data, track, seeds, the bold and Δ
    conventions."""
    main = display_name(board.main_score)
    apart = "" if board.track == SUPERVISED else "; ranked within this track only, never with supervised baselines"
    text = (f"{task_info(board.task).title}, protocol version {board.task_version}, {data_words(board)}, "
            f"{track_words(board)}{apart}. "
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


def by_task(boards: list[Leaderboard]) -> dict[str, list[Leaderboard]]:
    """``boards`` grouped by task, in their order (the report's order: task, data, version, track)."""
    grouped: dict[str, list[Leaderboard]] = {}
    for board in boards:
        grouped.setdefault(board.task, []).append(board)
    return grouped


def unmapped_text(row: Row) -> str:
    """``unmapped: violin, organ`` for a zero-shot row whose label map leaves classes out, else ``""``."""
    return f"unmapped: {', '.join(row.unmapped)}" if row.unmapped else ""


def markdown_table(board: Leaderboard) -> str:
    """One leaderboard as Markdown: a heading naming data and track, a ``Table:`` caption line (pandoc reads
    it as the caption), best value per column in bold, Δ to the best row; probe and zero-shot tables add a
    column naming each row's model, weights and protocol (and unmapped classes)."""
    paired = bool(board.paired and board.paired.resamples)
    labelled = board.track != SUPERVISED
    header = ["Baseline", *(["Model · weights · protocol"] if labelled else []), "n",
              *(markdown_escape(display_name(m)) for m in board.columns)]
    header += [f"Δ {markdown_escape(display_name(board.main_score))} [95% CI]"] if paired else []
    data = "offline stand-in" if board.stand_in else "real data"
    lines = [f"### {markdown_escape(task_info(board.task).title)}: {data}, {board.track} track", "",
             f"Table: {markdown_escape(caption(board))}", "",
             "| " + " | ".join(header) + " |", "|---|" + ("---|" if labelled else "") + "---:|" * (len(header) - 1 - labelled)]
    best = {m: best_rows(board, m) for m in board.columns}
    for i, row in enumerate(board.rows):
        note = "; ".join(t for t in (row.track_note, unmapped_text(row)) if t)
        cells = [markdown_escape(row_name(row)), *([markdown_escape(note)] if labelled else []), str(len(row.seeds))]
        for m in board.columns:
            text = spread_text(row.metrics.get(m))
            cells.append(f"**{text}**" if i in best[m] else text)
        cells += [difference_text(row)] if paired else []
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def published_markdown(task: str, boards: list[Leaderboard]) -> str:
    """The task's published numbers (:mod:`irbench.report.anchors`) as a Markdown block of their own, after
    its leaderboards and never ranked with them; ``""`` when the task has none."""
    anchors = anchors_for(task)
    if not anchors:
        return ""
    beside = beside_anchor(boards)
    lines = [f"#### Published numbers: {markdown_escape(task_info(task).title)}", "",
             "Not reproduced by irbench and never ranked with the rows above: protocols differ (splits, thresholds, "
             "windows, label sets); read each caveat before comparing.", "",
             "| Method | Metric, as its source defines it | Value | irbench, same quantity | Source | Caveat |",
             "|---|---|---|---|---|---|"]
    for a in anchors:
        caveat = "; ".join(t for t in (a.caveat, a.training_overlap) if t) or "–"
        lines.append("| " + " | ".join(markdown_escape(t) for t in (
            a.method, a.metric, a.value, beside(a) or "–", a.source, caveat)) + " |")
    return "\n".join(lines)


def markdown(boards: list[Leaderboard]) -> str:
    """Every leaderboard as a Markdown table (:func:`markdown_table`), each task's published numbers after
    its tables (:func:`published_markdown`)."""
    parts = []
    for task, task_boards in by_task(boards).items():
        parts += [markdown_table(board) for board in task_boards]
        parts += [text for text in (published_markdown(task, task_boards),) if text]
    return "\n\n".join(parts) + "\n"


CSV_HEADER = ["task", "task_version", "data", "track", "baseline", "configuration", "config_digest", "metric",
              "metric_name", "mean", "std", "n", "difference_to_best", "difference_low", "difference_high",
              "track_note", "unmapped_classes"]


def to_csv(boards: list[Leaderboard]) -> str:
    """Long format, one line per (row, metric) with :data:`CSV_HEADER`'s columns. ``track`` is the row's
    track (:data:`irbench.store.tracks.TRACKS`; differences are to the best row of the same track);
    ``configuration`` holds the settings in which the row differs from the baseline's defaults
    (``max_epochs=5; ...``); the difference columns (to the best row, paired bootstrap) are filled on
    main-score lines; ``track_note`` and ``unmapped_classes`` (``;``-joined) label probe and zero-shot
    rows. Every text
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
                    board.track, csv_cell(row.baseline), csv_cell(settings), row.digest, csv_cell(metric),
                    csv_cell(display_name(metric)), f"{s.mean:.6f}", "" if s.std is None else f"{s.std:.6f}", s.n,
                    *difference, csv_cell(row.track_note), csv_cell("; ".join(row.unmapped)),
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
