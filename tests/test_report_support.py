"""Hand-built run records and predictions files for the report's tests (no training, milliseconds each).

``write_run`` writes a record whose metrics are computed from the predictions file it writes beside it, so
the report's recomputation can be checked against them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from irbench.evaluation.metrics import multilabel_metrics
from irbench.store.records import Provenance, RunRecord, legacy_record_path, write_record

LABELS = ("cel", "cla", "flu", "gac", "org")


def clips(n_clips: int = 60, n_groups: int = 12, quality: float = 0.5, seed: int = 0, labels=LABELS,
          absent: tuple[str, ...] = (), data_seed: int = 1234):
    """``(clip_ids, groups, targets, scores, predictions)`` of a multi-label test set. The test set (ids,
    groups, targets) depends only on ``data_seed``; the scores on ``quality`` (0: noise, 1: the truth) and
    ``seed``. Classes in ``absent`` have no positive clip."""
    data = np.random.default_rng(data_seed)
    targets = (data.random((n_clips, len(labels))) < 0.3).astype(int)
    for label in absent:
        targets[:, labels.index(label)] = 0
    noise = np.random.default_rng(seed).random(targets.shape)
    scores = np.round(quality * targets + (1 - quality) * noise, 6)
    predictions = (scores >= 0.5).astype(int)
    ids = [f"track{i % n_groups:02d}-{i}.wav" for i in range(n_clips)]
    groups = [f"track{i % n_groups:02d}" for i in range(n_clips)]
    return ids, groups, targets, scores, predictions


def write_predictions(path: Path, ids, groups, targets, scores, predictions, labels=LABELS) -> None:
    """A predictions CSV in irbench's layout (with a ``group`` column unless ``groups`` is ``None``)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        group_column = [] if groups is None else ["group"]
        writer.writerow(["clip_id", *group_column, "labels", "predicted", "observed", *(f"score_{x}" for x in labels)])
        for i, clip in enumerate(ids):
            joined = [";".join(x for x, v in zip(labels, row) if v) for row in (targets[i], predictions[i])]
            writer.writerow([clip, *([] if groups is None else [groups[i]]), *joined, ";".join(labels),
                             *(f"{s:.6f}" for s in scores[i])])


def config(baseline: str = "vgg", device: str = "cpu", **training) -> dict:
    """A record's ``config`` as a run of the registered ``baseline`` writes it (vgg's, renamed, for a name that
    is not registered): its description, its default training settings with ``training`` laid over them, and
    the device it ran on."""
    from irbench.baselines import BASELINES, get_baseline

    model = get_baseline(baseline if baseline in BASELINES else "vgg")
    return {"baseline": {**model.describe(), "name": baseline},
            "training": {**model.training.model_dump(), **training}, "device": device}


def make_record(task: str = "irmas", baseline: str = "vgg", seed: int = 0, labels=LABELS, arrays=None,
                cfg: dict | None = None, unit: str | None = "track", stand_in: bool = True, **updates) -> RunRecord:
    """A valid record whose metrics and per-class figures come from ``arrays`` (see :func:`clips`)."""
    ids, groups, targets, scores, predictions = arrays or clips(seed=seed, labels=labels)
    metrics, per_class = multilabel_metrics(targets, predictions, scores, tuple(labels))
    absent = [label for label, figures in per_class.items() if figures["support"] == 0]
    interval = {"low": metrics["micro_f1"] - 0.05, "high": metrics["micro_f1"] + 0.05, "level": 0.95,
                "resamples": 1000, "method": "percentile bootstrap"}
    if unit:
        interval.update(unit=unit, n_units=len(set(groups)))
    fields = dict(
        task=task, task_version="1.0", baseline=baseline, config=cfg or config(baseline), seed=seed,
        stand_in=stand_in, metrics=metrics, main_score="micro_f1", per_class=per_class,
        threshold={"aggregation": "s2", "value": 0.5, "chosen_on": "validation"}, n_test=len(ids), n_train=100,
        n_validation=20, training={"epochs": 3, "best_epoch": 2, "n_parameters": 1000},
        extra={"classes_without_support": absent}, confidence_intervals={"micro_f1": interval},
        predictions_file=f"seed-{seed}.predictions.csv", checkpoint_file=None,
        provenance=Provenance(irbench_version="0.1.0", git_revision=None, packages={"torch": "2"}, python="3.11",
                              platform="linux", device=(cfg or config(baseline))["device"], device_name="cpu",
                              dataset_fingerprint="abc", data_home="/data", seconds={"train": 1.0}),
    )
    fields.update(updates)
    return RunRecord(**fields)


def write_run(results: Path, task: str = "irmas", baseline: str = "vgg", seed: int = 0, quality: float = 0.5,
              folder: str | None = None, labels=LABELS, absent=(), groups: bool = True, n_clips: int = 60,
              n_groups: int = 12, **record_fields) -> Path:
    """Write a record and its predictions file under ``results/<task>/<folder or baseline>/``; returns the
    record's path."""
    ids, group_ids, targets, scores, predictions = clips(n_clips, n_groups, quality, seed, labels, absent)
    record = make_record(task, baseline, seed, labels, (ids, group_ids, targets, scores, predictions), **record_fields)
    path = legacy_record_path(results, task, folder or baseline, seed)
    write_record(record, path, overwrite=True)
    write_predictions(path.with_name(record.predictions_file), ids, group_ids if groups else None, targets, scores,
                      predictions, labels)
    return path


def edit_json(path: Path, **changes) -> None:
    """Rewrite a record file with top-level ``changes`` (bypassing validation, as a foreign tool might)."""
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_a_hand_built_run_is_consistent(tmp_path):
    from irbench.store.predictions_file import read_clip_table
    from irbench.store.records import read_record

    path = write_run(tmp_path, absent=("org",))
    record = read_record(path)
    table = read_clip_table(path.with_name(record.predictions_file), LABELS)
    assert table.has_groups and len(set(table.groups.tolist())) == 12
    assert table.headline("micro_f1") == record.metrics["micro_f1"]
    assert record.per_class["org"].support == 0 and record.extra.classes_without_support == ["org"]
