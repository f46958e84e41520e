"""What the HTML page draws: bar and curve plots of the best rows and the floor (never 50 colours that
repeat), and confusion matrices as shaded HTML tables whose counts are the records' matrices summed over
seeds."""

from __future__ import annotations

import numpy as np
import pytest

from irbench.report import build_report, plots
from irbench.report.html import PLOTTED_ROWS, confusion_table, plotted_rows
from test_report_rows import boards_of
from test_report_support import config, write_run


@pytest.fixture
def many_rows(tmp_path):
    """Eleven configurations of vgg at rising quality and the constant floor, the worst of all."""
    for epochs in range(1, 12):
        write_run(tmp_path, folder=f"vgg-e{epochs}", cfg=config(max_epochs=epochs), quality=0.3 + 0.05 * epochs)
    write_run(tmp_path, baseline="constant", cfg=config("constant"), quality=0.0)
    return tmp_path


def test_plots_draw_the_best_rows_and_the_floor(many_rows, monkeypatch):
    (board,) = boards_of(many_rows)
    drawn = plotted_rows(board)
    assert len(board.rows) == 12 and len(drawn) == PLOTTED_ROWS
    assert drawn[:-1] == board.rows[:PLOTTED_ROWS - 1]  # the best, in the leaderboard's order
    assert drawn[-1].is_floor and not any(row.is_floor for row in board.rows[:PLOTTED_ROWS])

    seen = {}
    original = plots.per_class_f1
    monkeypatch.setattr(plots, "per_class_f1", lambda names, rows: seen.update(rows) or original(names, rows))
    build_report(many_rows, many_rows / "out")
    assert list(seen) == [row.label for row in drawn]
    page = (many_rows / "out/irmas.html").read_text()
    assert f"the {PLOTTED_ROWS} best of 12 rows, the floor among them" in page


def test_a_board_with_few_rows_draws_them_all(tmp_path):
    write_run(tmp_path)
    write_run(tmp_path, baseline="constant", cfg=config("constant"), quality=0.0)
    (board,) = boards_of(tmp_path)
    assert plotted_rows(board) == board.rows
    build_report(tmp_path, tmp_path / "out")
    assert "best of" not in (tmp_path / "out/irmas.html").read_text()


def test_confusion_tables_sum_seeds_and_normalise_per_true_class():
    seed_0 = np.array([[3, 1, 0], [0, 2, 2], [0, 0, 0]], dtype=float)
    seed_1 = np.array([[1, 0, 1], [0, 4, 0], [0, 0, 0]], dtype=float)
    table = confusion_table([seed_0, seed_1], 3)
    assert table["counts"] == [[4, 1, 1], [0, 6, 2], [0, 0, 0]]
    np.testing.assert_allclose(table["shares"], [[4 / 6, 1 / 6, 1 / 6], [0, 0.75, 0.25], [0, 0, 0]])
    assert confusion_table([seed_0, np.ones((2, 2))], 3) is None  # a ragged seed: no table, not a partial sum
    assert confusion_table([], 3) is None
