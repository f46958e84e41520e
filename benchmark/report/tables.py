"""Leaderboards as Markdown, LaTeX (booktabs) and CSV, for papers and spreadsheets.

Every table keeps stand-in and real results apart and says which is which; values are mean ± sample
standard deviation over seeds with n.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from irbench.atomic import atomic_write_text
from irbench.report.collect import Leaderboard, Spread

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
                  ">": r"\textgreater{}"}


def _value(spread: Spread | None, plus_minus: str) -> str:
    if spread is None:
        return "–"
    return f"{spread.mean:.3f}" + (f" {plus_minus} {spread.std:.3f}" if spread.std is not None else "")


def _title(board: Leaderboard) -> str:
    return f"{board.task} ({'offline stand-in, not real data' if board.stand_in else 'real data'})"


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in ``text``."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def markdown(boards: list[Leaderboard]) -> str:
    """One Markdown table per leaderboard (``|`` in names escaped)."""
    parts = []
    for board in boards:
        header = ["baseline", "n", *board.metric_names]
        lines = [f"### {_title(board)}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in board.rows:
            cells = [row.baseline.replace("|", r"\|"), str(len(row.seeds))]
            cells += [_value(row.metrics[m], "±") for m in board.metric_names]
            lines.append("| " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def latex(boards: list[Leaderboard]) -> str:
    """One ``tabular`` (booktabs) per leaderboard, main score in bold header."""
    parts = []
    for board in boards:
        columns = "l" + "r" * (1 + len(board.metric_names))
        header = " & ".join(["Baseline", "$n$", *(latex_escape(m) for m in board.metric_names)])
        body = [" & ".join([latex_escape(row.baseline), str(len(row.seeds)),
                            *(_value(row.metrics[m], r"$\pm$") for m in board.metric_names)]) + r" \\"
                for row in board.rows]
        parts.append("\n".join([
            f"% {latex_escape(_title(board))}", r"\begin{tabular}{" + columns + "}", r"\toprule",
            header + r" \\", r"\midrule", *body, r"\bottomrule", r"\end{tabular}",
        ]))
    return "\n\n".join(parts) + "\n"


def to_csv(boards: list[Leaderboard]) -> str:
    """Long format: task, data, baseline, metric, mean, std, n."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["task", "data", "baseline", "metric", "mean", "std", "n"])
    for board in boards:
        for row in board.rows:
            for metric in board.metric_names:
                s = row.metrics[metric]
                writer.writerow([board.task, "stand-in" if board.stand_in else "real", row.baseline, metric,
                                 f"{s.mean:.6f}", "" if s.std is None else f"{s.std:.6f}", s.n])
    return buffer.getvalue()


def write_table(render, suffix: str):
    """A writer that puts ``render(boards)`` into ``out_dir/leaderboard.<suffix>``."""

    def write(boards: list[Leaderboard], n_records: int, out_dir: Path) -> Path:
        path = Path(out_dir) / f"leaderboard.{suffix}"
        atomic_write_text(path, render(boards))
        return path

    return write
