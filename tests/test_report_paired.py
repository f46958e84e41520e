"""Paired bootstrap comparisons with the best row: weighted scores equal repeated clips, the same resample
scores every row, seeds are averaged inside resamples, results are reproducible and fast."""

from __future__ import annotations

import time

import numpy as np
import pytest

from irbench.evaluation.metrics import headline_metric
from irbench.evaluation.resampling import group_weights, paired_difference, weighted_metric
from irbench.store.records import find_records, read_record, write_record
from irbench.report import build_report
from irbench.store.predictions_file import ClipTable, read_clip_table
from irbench.report.collect import leaderboards
from irbench.report.loading import load_runs
from irbench.report.paired import compare
from test_report_support import LABELS, config, write_run


def _table(n_clips=200, n_classes=6, seed=0, single=False):
    rng = np.random.default_rng(seed)
    if single:
        targets = np.eye(n_classes, dtype=np.int8)[rng.integers(0, n_classes, n_clips)]
        scores = np.round(rng.random((n_clips, n_classes)), 2)
        predictions = (scores == scores.max(axis=1, keepdims=True)).astype(np.int8)
    else:
        targets = (rng.random((n_clips, n_classes)) < 0.25).astype(np.int8)
        targets[:, -1] = 0  # a class without support
        scores = np.round(0.4 * targets + 0.6 * rng.random((n_clips, n_classes)), 2)  # ties, like rounded files
        predictions = (scores >= 0.5).astype(np.int8)
    mask = (rng.random((n_clips, n_classes)) < 0.9).astype(np.int8)
    ids = np.array([str(i) for i in range(n_clips)], dtype=object)
    groups = np.array([str(i // 7) for i in range(n_clips)], dtype=object)
    return ClipTable(ids, groups, True, targets, predictions, scores, mask)


@pytest.mark.parametrize("metric", ["micro_f1", "macro_f1", "map", "accuracy"])
def test_weighted_scores_equal_the_metric_on_repeated_clips(metric):
    table = _table(single=metric == "accuracy")
    assert weighted_metric(metric, np.ones((1, 200)), table)[0] == pytest.approx(table.headline(metric), abs=1e-9)
    weights = group_weights(table.groups, resamples=5, seed=3)
    for w in weights:
        idx = np.repeat(np.arange(200), w.astype(int))
        scores = table.decision_scores() if metric == "accuracy" else table.scores
        expected = headline_metric(metric, table.targets[idx], table.predictions[idx], scores[idx], table.mask[idx])
        assert weighted_metric(metric, w[None, :], table)[0] == pytest.approx(expected, abs=1e-9)


def test_group_weights_draw_whole_units_with_replacement():
    groups = np.array(["a", "a", "b", "c", "c", "c"], dtype=object)
    weights = group_weights(groups, resamples=50, seed=0)
    assert weights.shape == (50, 6)
    assert (weights[:, 0] == weights[:, 1]).all() and (weights[:, 3] == weights[:, 5]).all()
    units = weights[:, [0, 2, 3]]
    assert (units.sum(axis=1) == 3).all()  # three units drawn per resample
    assert np.array_equal(weights, group_weights(groups, resamples=50, seed=0))



def test_pairing_takes_the_difference_inside_each_resample():
    """Two rows that move together across resamples (the same draw scores both) differ within a narrow
    interval; the same scores unpaired would give a wide one. Seeds pair only where both rows ran them."""
    rng = np.random.default_rng(0)
    shared = rng.normal(0.6, 0.05, 1000)  # what the drawn test units do to both rows
    best, row = shared + rng.normal(0, 0.005, 1000), shared - 0.1 + rng.normal(0, 0.005, 1000)
    paired = paired_difference([(0, 0.50), (1, 0.45), (7, 0.9)], row, [(0, 0.60), (1, 0.60), (2, 0.6)], best)
    assert paired.low < -0.1 < paired.high and paired.high - paired.low < 0.05
    unpaired = paired_difference([(0, 0.5)], rng.permutation(row), [(0, 0.6)], best)
    assert unpaired.high - unpaired.low > 4 * (paired.high - paired.low)
    assert paired.difference == pytest.approx(np.mean([0.50, 0.45, 0.9]) - 0.6)
    assert paired.n_seed_pairs == 2 and paired.seed_std == pytest.approx(np.std([-0.10, -0.15], ddof=1))
    assert paired_difference([(3, 0.5)], row, [(0, 0.6)], best).seed_std is None
    with pytest.raises(ValueError):
        paired_difference([(0, 0.5)], row[:10], [(0, 0.6)], best)

def _board(results):
    (board,) = leaderboards(load_runs(find_records(results), warn=pytest.fail))
    return board


def test_identical_rows_differ_by_zero_and_a_worse_row_is_marked(tmp_path):
    write_run(tmp_path, quality=0.8, n_clips=120, n_groups=30)
    write_run(tmp_path, baseline="copy", quality=0.8, n_clips=120, n_groups=30, cfg=config("copy"))
    write_run(tmp_path, baseline="constant", quality=0.0, n_clips=120, n_groups=30, cfg=config("constant"))
    board = _board(tmp_path)
    compare(board, warn=pytest.fail)
    rows = {row.baseline: row for row in board.rows}
    assert board.paired.unit == "track" and board.paired.n_units == 30 and board.paired.resamples == 1000
    best, copy, floor = rows[board.best.baseline], rows["copy" if board.best.baseline == "vgg" else "vgg"], rows["constant"]
    assert best.comparison.reference
    assert (copy.comparison.difference, copy.comparison.low, copy.comparison.high) == (0.0, 0.0, 0.0)
    assert not copy.comparison.excludes_zero
    assert floor.comparison.high < 0 and floor.comparison.excludes_zero
    again = _board(tmp_path)
    compare(again, warn=pytest.fail)
    assert [r.comparison for r in again.rows] == [r.comparison for r in board.rows]  # seeded

    build_report(tmp_path, tmp_path / "out")
    html = (tmp_path / "out/irmas.html").read_text()
    paired = html.split('<table class="paired">', 1)[1].split("</table>", 1)[0]
    assert "95% CI (paired, over 30 tracks)" in paired
    constant = paired.split("constant", 1)[1].split("</tr>", 1)[0]
    assert "✱ excludes 0" in constant and "n=1: no spread" in constant


def test_seeds_are_averaged_inside_resamples_and_their_spread_is_apart(tmp_path):
    for seed in (0, 1, 2):
        write_run(tmp_path, seed=seed, quality=0.7)
        write_run(tmp_path, baseline="mlp", seed=seed, quality=0.4, cfg=config("mlp"))
    board = _board(tmp_path)
    compare(board, warn=pytest.fail)
    vgg, mlp = board.rows
    records = {(run.record.baseline, run.record.seed): run.record.metrics["micro_f1"] for row in board.rows for run in row.runs}
    per_seed = [records[("mlp", s)] - records[("vgg", s)] for s in (0, 1, 2)]
    assert mlp.comparison.difference == pytest.approx(np.mean(per_seed))
    assert mlp.comparison.seed_std == pytest.approx(np.std(per_seed, ddof=1)) and mlp.comparison.n_seed_pairs == 3

    tables = {key: read_clip_table(run.predictions, LABELS) for row in board.rows for run in row.runs
              for key in [(run.record.baseline, run.record.seed)]}
    weights = group_weights(tables[("vgg", 0)].groups)
    mean = lambda name: np.mean([weighted_metric("micro_f1", weights, tables[(name, s)]) for s in (0, 1, 2)], axis=0)  # noqa: E731
    low, high = np.percentile(mean("mlp") - mean("vgg"), [2.5, 97.5])
    assert (mlp.comparison.low, mlp.comparison.high) == pytest.approx((low, high))


def test_rows_without_usable_predictions_get_a_note(tmp_path):
    write_run(tmp_path, quality=0.8)
    gone = write_run(tmp_path, baseline="mlp", quality=0.3, cfg=config("mlp"))
    gone.with_name("seed-0.predictions.csv").unlink()
    wrong = write_run(tmp_path, baseline="cnn14", quality=0.3, cfg=config("cnn14"))
    record = read_record(wrong)
    write_record(record.model_copy(update={"metrics": {**record.metrics, "micro_f1": 0.001}}), wrong, overwrite=True)
    warnings: list[str] = []
    board = _board(tmp_path)
    compare(board, warn=warnings.append)
    notes = {row.baseline: row.comparison_note for row in board.rows if row.comparison is None}
    assert notes["mlp"].startswith("no predictions file") and "cnn14" in notes
    assert any("recomputed from the file" in w and "0.001" in w for w in warnings)


def test_old_predictions_files_without_groups_resample_clips(tmp_path):
    write_run(tmp_path, groups=False, unit=None, quality=0.8)
    write_run(tmp_path, baseline="mlp", groups=False, unit=None, cfg=config("mlp"))
    board = _board(tmp_path)
    compare(board, warn=pytest.fail)
    assert board.paired.unit == "clip" and board.paired.n_units == 60


def test_fast_enough_for_irmas_sized_boards(tmp_path):
    for index in range(6):
        write_run(tmp_path, baseline=f"model{index}", quality=0.1 * index, n_clips=2874, n_groups=208,
                  cfg=config(f"model{index}"))
    board = _board(tmp_path)
    start = time.perf_counter()
    compare(board, warn=pytest.fail)
    assert time.perf_counter() - start < 15  # typically about a second on 2 cores
    assert board.paired.n_units == 208 and all(row.comparison for row in board.rows)
