"""A realistic grid of run records for the report (tasks x baselines x configurations x seeds), and the proof
that the report's paired comparisons are the paired bootstrap they claim to be, to the printed digit.

:func:`write_grid` writes what a sweep over four tasks leaves behind: for each task one test set (clips in
bootstrap units: IRMAS tracks, OpenMIC FMA tracks with partial labels, Medley-solos-DB songs with one label
per clip, MusicNet recordings), and for each baseline, configuration and seed a record whose metrics,
per-class figures, error counts, confusion matrix (single-label) and stored interval come from the
predictions file written beside it. ``tests/benchmarks/test_report_speed.py`` times the report over 1,000 of
them; the tests here check the paired intervals and p-value-free differences the report prints against an
independent computation: every resample scored by :func:`irbench.evaluation.metrics.headline_metric` on the
drawn clips repeated, not through the weighted forms the report uses.
"""

from __future__ import annotations

import csv
import functools
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import scipy.stats

from irbench.evaluation.metrics import (
    error_counts, f1_from_counts, fast_average_precision, headline_metric, macro_f1_absent_zero, macro_figures,
    top1_hit_rate,
)
from irbench.store.predictions_file import write_binary_copy
from irbench.store.records import Provenance, RunRecord, write_record
from test_report_support import config


@dataclass(frozen=True)
class GridTask:
    """One task of the grid: labels, main score, test clips and units, and how it is labelled."""

    name: str
    labels: tuple[str, ...]
    main: str
    n_clips: int
    n_units: int
    unit: str
    kind: str  # "multi" (every pair annotated), "masked" (partial labels) or "single" (one label per clip)


def grid_tasks(scale: float = 1.0) -> tuple[GridTask, ...]:
    """The grid's four tasks, test sets ``scale`` times the default sizes (at least 2 units)."""
    from irbench.tasks import get_task

    sizes = {"irmas": (440, 32, "track", "multi"), "openmic": (400, 400, "FMA track", "masked"),
             "medley-solos": (600, 40, "song", "single"), "musicnet": (360, 10, "recording", "multi")}
    tasks = []
    for name, (clips, units, unit, kind) in sizes.items():
        metadata = get_task(name).metadata
        n_clips = max(4, round(clips * scale))
        tasks.append(GridTask(name, tuple(metadata.labels), metadata.main_score, n_clips,
                              max(2, min(n_clips, round(units * scale))), unit, kind))
    return tuple(tasks)


def configurations(n_rows: int) -> list[tuple[str, dict]]:
    """``n_rows`` (baseline, training overrides) pairs: the constant floor, then the trained baselines over a
    learning rate x epochs x batch size grid, in turn."""
    grid = [{"learning_rate": lr, "max_epochs": epochs, "batch_size": batch}
            for lr, epochs, batch in itertools.product((1e-3, 3e-4, 1e-4), (20, 40), (32, 64))]
    trained = itertools.cycle(("vgg", "mlp", "cnn14", "transformer"))
    used: dict[str, int] = {}
    rows = [("constant", {})]
    while len(rows) < n_rows:
        baseline = next(trained)
        index = used.get(baseline, 0)
        used[baseline] = index + 1
        rows.append((baseline, grid[index % len(grid)] | ({"weight_decay": 1e-4 * (index // len(grid))}
                                                           if index >= len(grid) else {})))
    return rows


def _test_set(task: GridTask, rng: np.random.Generator):
    """Clip ids, units, targets and mask of ``task``'s test set (multi-hot, one-hot, or partially observed)."""
    n, k = task.n_clips, len(task.labels)
    unit_of = np.sort(rng.integers(0, task.n_units, n))
    unit_of[: task.n_units] = np.arange(task.n_units)  # every unit has a clip
    unit_of = np.sort(unit_of)
    if task.kind == "single":
        targets = np.eye(k, dtype=int)[rng.integers(0, k, task.n_units)[unit_of]]  # a song is one instrument
    else:
        prior = rng.uniform(0.05, 0.35, k)
        targets = (rng.random((n, k)) < prior).astype(int)
        targets[:, -1] = 0 if task.name == "irmas" else targets[:, -1]  # a class without support
    mask = (rng.random((n, k)) < 0.25).astype(int) | targets if task.kind == "masked" else np.ones((n, k), int)
    groups = [f"{task.unit.split()[-1]}{u:03d}" for u in unit_of]
    ids = [f"{g}-{i}.wav" for i, g in enumerate(groups)]
    return ids, groups, unit_of, targets, mask


def _scores(task: GridTask, targets, unit_of, quality: float, seed: int, constant: bool):
    """Rounded class scores in [0, 1] (6 decimals, as a file keeps them), correlated within a unit."""
    rng = np.random.default_rng(seed)
    if constant:
        return np.round(np.tile(targets.mean(axis=0), (len(targets), 1)), 6)
    unit_effect = rng.normal(0, 0.15, (unit_of.max() + 1, targets.shape[1]))[unit_of]
    raw = quality * targets + (1 - quality) * rng.random(targets.shape) + (1 - quality) * unit_effect
    return np.round(np.clip(raw, 0, 1), 6)


def _write_predictions(path: Path, labels, ids, groups, targets, predictions, mask, scores) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["clip_id", "group", "labels", "predicted", "observed", *(f"score_{x}" for x in labels)])
        for i, clip in enumerate(ids):
            joined = [";".join(x for x, v in zip(labels, row) if v) for row in (targets[i], predictions[i], mask[i])]
            writer.writerow([clip, groups[i], *joined, *(f"{s:.6f}" for s in scores[i])])


@functools.lru_cache(maxsize=None)
def _config(baseline: str, training: tuple) -> dict:
    """:func:`test_report_support.config` once per configuration (it builds the baseline to describe it)."""
    return config(baseline, **dict(training))


def _figures(truth: np.ndarray, decision: np.ndarray, score: np.ndarray) -> dict:
    """One class's figures as :func:`irbench.evaluation.metrics.multilabel_metrics` records them, computed
    with numpy (AP by :func:`~irbench.evaluation.metrics.fast_average_precision`, ROC-AUC by ranks), so a
    thousand records take seconds, not minutes."""
    support, counts = int(truth.sum()), error_counts(truth, decision)
    if support == 0:
        return {"precision": None, "recall": None, "f1": None, "ap": None, "roc_auc": None, "support": 0, **counts}
    tp, fp, fn = counts["true_positives"], counts["false_positives"], counts["false_negatives"]
    negatives = len(truth) - support
    ranks = scipy.stats.rankdata(score)
    auc = (ranks[truth > 0].sum() - support * (support + 1) / 2) / (support * negatives) if negatives else None
    return {"precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / support,
            "f1": float(f1_from_counts(np.float64(tp), np.float64(fp), np.float64(fn))),
            "ap": min(1.0, fast_average_precision(truth, score)), "roc_auc": None if auc is None else float(auc),
            "support": support, **counts}


def _metrics(task: GridTask, targets, predictions, scores, mask) -> tuple[dict, dict]:
    """Overall and per-class metrics of one run; the main score exactly as the report recomputes it."""
    observed = mask > 0
    per_class = {label: _figures(targets[observed[:, i], i], predictions[observed[:, i], i], scores[observed[:, i], i])
                 for i, label in enumerate(task.labels)}
    tp, fp, fn = (np.array([f[key] for f in per_class.values()], dtype=np.float64)
                  for key in ("true_positives", "false_positives", "false_negatives"))
    metrics = {"micro_precision": tp.sum() / max(1.0, tp.sum() + fp.sum()),
               "micro_recall": tp.sum() / max(1.0, tp.sum() + fn.sum()),
               **{key: float(value) for key, value in macro_figures(tp, fp, fn).items()},
               "macro_f1_absent_zero": macro_f1_absent_zero(tp, fp, fn)}
    decision = scores + predictions
    for name in ("micro_f1", "macro_f1", "map", "accuracy"):
        metrics[name] = headline_metric(name, targets, predictions, decision if name == "accuracy" else scores,
                                        mask, None)
    if task.kind == "single":
        recalls = [f["recall"] for f in per_class.values() if f["recall"] is not None]
        metrics["balanced_accuracy"] = float(np.mean(recalls))
        for name in ("map", "micro_precision", "micro_recall", "macro_f1_absent_zero"):
            del metrics[name]
    else:
        del metrics["accuracy"]
        metrics["hamming_loss"] = float((fp.sum() + fn.sum()) / observed.sum())
        if task.kind == "multi":
            metrics["top1_hit_rate"] = top1_hit_rate(targets, scores)
    return {key: float(value) for key, value in metrics.items()}, per_class


def _record(task: GridTask, baseline: str, training: dict, seed: int, arrays, groups) -> RunRecord:
    targets, predictions, scores, mask = arrays
    metrics, per_class = _metrics(task, targets, predictions, scores, mask)
    extra: dict = {"classes_without_support": [label for label, f in per_class.items() if f["support"] == 0]}
    if task.kind == "single":
        confusion = np.zeros((len(task.labels),) * 2, dtype=int)
        np.add.at(confusion, (targets.argmax(axis=1), scores.argmax(axis=1)), 1)
        extra["confusion_matrix"] = {"labels": list(task.labels), "rows_true": confusion.tolist()}
        threshold = {"aggregation": "s1", "value": None, "chosen_on": "arg-max"}
    else:
        threshold = {"aggregation": "s2", "value": 0.5, "chosen_on": "validation", "criterion": "micro_f1",
                     "grid": [round(0.05 * i, 2) for i in range(1, 20)]}
    main = metrics[task.main]
    interval = {"low": max(0.0, main - 0.04), "high": min(1.0, main + 0.04), "level": 0.95, "resamples": 1000,
                "method": f"percentile bootstrap over test {task.unit}s", "unit": task.unit,
                "n_units": task.n_units, "indicative": task.n_units < 30}
    cfg = _config(baseline, tuple(sorted(training.items())))
    return RunRecord(
        task=task.name, task_version="1.1", baseline=baseline, config=cfg, seed=seed, stand_in=True,
        metrics=metrics, main_score=task.main, per_class=per_class, threshold=threshold, n_test=len(targets),
        n_train=5 * len(targets), n_validation=len(targets), extra=extra,
        training={"epochs": training.get("max_epochs", 40), "best_epoch": 7, "n_parameters": 0 if baseline ==
                  "constant" else 250_000, "max_epochs": training.get("max_epochs", 40)},
        confidence_intervals={task.main: interval}, predictions_file=f"seed-{seed}.predictions.csv",
        checkpoint_file=None,
        provenance=Provenance(irbench_version="0.3.0", git_revision="abc1234", packages={"torch": "2.4"},
                              python="3.11", platform="linux", device="cpu", device_name="cpu",
                              dataset_fingerprint="f" * 16, data_home="/data", seconds={"train": 12.0, "test": 1.0},
                              torch_threads=2),
    )


def write_grid(results: Path, n_records: int = 1000, seeds: int = 5, scale: float = 1.0) -> list[Path]:
    """Write ``n_records`` records (with predictions files) under ``results`` as a sweep would: the grid's
    tasks in turn, ``n_records / (tasks x seeds)`` rows each (:func:`configurations`), ``seeds`` seeds per row.

    Parameters
    ----------
    results: the results folder (``<task>/<baseline>/<configuration>/seed-<n>.json`` under it).
    n_records: how many records; a multiple of ``4 * seeds``.
    scale: test-set size factor (see :func:`grid_tasks`).

    Returns the record paths. Raises ``ValueError`` when ``n_records`` does not divide evenly.
    """
    from irbench.run.configuration import of_record
    from irbench.store.records import record_path

    tasks = grid_tasks(scale)
    if n_records % (len(tasks) * seeds):
        raise ValueError(f"{n_records} records are not a multiple of {len(tasks)} tasks x {seeds} seeds")
    n_rows = n_records // (len(tasks) * seeds)
    paths = []
    for t, task in enumerate(tasks):
        ids, groups, unit_of, targets, mask = _test_set(task, np.random.default_rng(100 + t))
        for r, (baseline, training) in enumerate(configurations(n_rows)):
            quality = 0.15 + 0.7 * (r / max(1, n_rows - 1)) ** 0.5
            for seed in range(seeds):
                scores = _scores(task, targets, unit_of, quality, 10_000 * t + 100 * r + seed, baseline == "constant")
                if task.kind == "single":
                    predictions = np.eye(len(task.labels), dtype=int)[scores.argmax(axis=1)]
                else:
                    predictions = (scores >= 0.5).astype(int)
                record = _record(task, baseline, training, seed, (targets, predictions, scores, mask), groups)
                path = record_path(results, task.name, baseline, of_record(record).folder, seed)
                write_record(record, path, overwrite=True)
                _write_predictions(path.with_name(record.predictions_file), task.labels, ids, groups, targets,
                                   predictions, mask, scores)
                write_binary_copy(path.with_name(record.predictions_file), task.labels)  # as a run writes it
                paths.append(path)
    return paths


def independent_difference(row, best, metric: str, labels, resamples: int, seed: int) -> tuple[float, float, float]:
    """The paired difference of ``row`` to ``best`` and its 95% percentile interval, computed apart from the
    report: units drawn with ``numpy.random.default_rng(seed).integers`` (units in sorted order, one row of
    draws per resample, as :func:`irbench.evaluation.resampling.group_weights` documents), each resample's
    clips repeated and scored by :func:`~irbench.evaluation.metrics.headline_metric`, seeds averaged inside
    each resample. Returns ``(difference, low, high)``."""
    from irbench.store.predictions_file import read_clip_table

    tables = {key: [read_clip_table(run.predictions, labels) for run in r.runs] for key, r in (("row", row), ("best", best))}
    reference = tables["best"][0]
    order = {c: i for i, c in enumerate(reference.clip_ids.tolist())}
    units, unit_of = np.unique(reference.groups.astype(str), return_inverse=True)
    members = [np.flatnonzero(unit_of == u) for u in range(len(units))]
    draws = np.random.default_rng(seed).integers(0, len(units), size=(resamples, len(units)))

    def reference_ap(table) -> np.ndarray | None:
        """Whole-test-set AP per class (NaN without support): mAP's fixed class set."""
        if metric != "map":
            return None
        truth = (table.targets > 0) & (table.mask > 0)
        return np.array([np.nan if not truth[:, c].any() else headline_metric(
            "map", table.targets[:, [c]], table.predictions[:, [c]], table.scores[:, [c]], table.mask[:, [c]])
            for c in range(truth.shape[1])])

    fixed = {id(t): reference_ap(t) for ts in tables.values() for t in ts}

    def score(table, clips) -> float:
        position = np.array([order[c] for c in table.clip_ids.tolist()])
        inverse = np.empty_like(position)
        inverse[position] = np.arange(len(position))
        picked = inverse[clips]  # reference positions -> this table's rows
        scores = table.decision_scores() if metric == "accuracy" else table.scores
        return headline_metric(metric, table.targets[picked], table.predictions[picked], scores[picked],
                               table.mask[picked], fixed[id(table)])

    whole = np.arange(len(reference.clip_ids))
    resampled = {key: np.array([np.mean([score(t, np.concatenate([members[u] for u in draw])) for t in ts])
                                for draw in draws]) for key, ts in tables.items()}
    difference = np.mean([score(t, whole) for t in tables["row"]]) - np.mean([score(t, whole) for t in tables["best"]])
    low, high = np.percentile(resampled["row"] - resampled["best"], [2.5, 97.5])
    return float(difference), float(low), float(high)


@pytest.fixture(scope="module")
def small_grid(tmp_path_factory):
    """32 records (4 tasks x 4 rows x 2 seeds, small test sets) and their CSV report, written once."""
    from irbench.report import build_report

    root = tmp_path_factory.mktemp("grid")
    write_grid(root / "results", n_records=4 * 4 * 2, seeds=2, scale=0.15)
    build_report(root / "results", root / "out", "csv", warn=pytest.fail)
    return root


@pytest.mark.parametrize("task_name", ["irmas", "openmic", "medley-solos", "musicnet"])
def test_paired_intervals_match_an_independent_bootstrap(small_grid, task_name):
    """On a small grid of every kind of task (multi-label, partial labels, single-label, few units), the
    differences and intervals the report computes equal, within 1e-9, a bootstrap computed without the
    report's weighted metrics (200 resamples, two seeds), and its CSV prints the default (1000 resamples,
    seed 0) comparison to 6 decimals; the same seed and resamples give the same table twice."""
    from irbench.report import build_report
    from irbench.report.collect import leaderboards
    from irbench.report.loading import load_runs
    from irbench.report.paired import SEED, compare
    from irbench.store.records import find_records

    text = (small_grid / "out/leaderboard.csv").read_text()
    (board,) = [b for b in leaderboards(load_runs(find_records(small_grid / "results"), pytest.fail))
                if b.task == task_name]
    printed = {(line["baseline"], line["config_digest"]): line for line in csv.DictReader(text.splitlines())
               if line["task"] == task_name and line["metric"] == board.main_score}
    assert len(board.rows) == 4 and len(printed) == 4
    compare(board, pytest.fail)
    for row in board.rows[1:]:
        c, line = row.comparison, printed[(row.baseline, row.digest)]
        assert (line["difference_to_best"], line["difference_low"], line["difference_high"]) == \
            (f"{c.difference:.6f}", f"{c.low:.6f}", f"{c.high:.6f}")
    for seed in (SEED, 7):
        compare(board, pytest.fail, resamples=200, seed=seed)
        for row in board.rows[1:]:
            expected = independent_difference(row, board.best, board.main_score, board.labels, 200, seed)
            assert (row.comparison.difference, row.comparison.low, row.comparison.high) == \
                pytest.approx(expected, abs=1e-9), (row.label, seed)
    if task_name == "irmas":
        build_report(small_grid / "results", small_grid / "again", "csv", warn=pytest.fail)
        assert (small_grid / "again/leaderboard.csv").read_text() == text
