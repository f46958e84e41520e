"""Files written beside a run record: per-clip predictions (CSV) and the best checkpoint."""

from __future__ import annotations

import csv

import torch

from irbench.atomic import atomic_path
from irbench.records import RunRecord
from irbench.task import ClipScores, Evaluation


def write_predictions(path, labels: tuple[str, ...], test: ClipScores, evaluation: Evaluation,
                      groups: dict[str, str] | None = None) -> None:
    """One row per test clip: ``clip_id``, ``group`` (the clip's independent unit for bootstrap intervals:
    its track, recording or song; the clip itself when it has none), true, predicted and annotated labels
    (``;``-joined; ``observed`` differs from all labels only with partial labels), then one aggregated score
    column per class (``score_<label>``, in [0, 1]). Written atomically."""
    groups = groups or {}
    with atomic_path(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["clip_id", "group", "labels", "predicted", "observed",
                         *(f"score_{label}" for label in labels)])
        for row, clip_id in enumerate(test.clip_ids):
            truth = ";".join(label for label, t in zip(labels, test.targets[row]) if t)
            predicted = ";".join(label for label, p in zip(labels, evaluation.clip_predictions[row]) if p)
            observed = ";".join(label for label, m in zip(labels, test.mask[row]) if m)
            writer.writerow([clip_id, groups.get(clip_id, clip_id), truth, predicted, observed,
                             *(f"{s:.6f}" for s in evaluation.clip_scores[row])])


def write_checkpoint(path, model: torch.nn.Module, record: RunRecord, spec=None) -> None:
    """``torch.save`` of the model's ``state_dict`` with the record's task, baseline and config, and (``spec``,
    a ``ModelSpec``) everything needed to rebuild the model exactly: input shape, class priors and feature
    statistics, as plain lists (loadable with ``weights_only=True``)."""
    payload = {
        "state_dict": model.state_dict(), "task": record.task, "task_version": record.task_version,
        "baseline": record.baseline, "config": record.config, "irbench_version": record.provenance.irbench_version,
    }
    if spec is not None:
        payload["spec"] = {
            "input_shape": [int(n) for n in spec.input_shape],
            "class_priors": [float(v) for v in spec.class_priors],
            "feature_mean": [float(v) for v in spec.feature_mean],
            "feature_std": [float(v) for v in spec.feature_std],
        }
    with atomic_path(path) as temporary:
        torch.save(payload, temporary)
