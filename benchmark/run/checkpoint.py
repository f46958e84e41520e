"""The checkpoint written beside a run record (``seed-<n>.ckpt``): best weights and what rebuilds the model."""

from __future__ import annotations

import torch

from irbench.store.atomic import atomic_path
from irbench.store.records import RunRecord


def write_checkpoint(path, model: torch.nn.Module, record: RunRecord, spec=None) -> None:
    """``torch.save`` of the model's ``state_dict`` with the record's task, baseline and config, and (``spec``,
    a ``ModelSpec``) everything needed to rebuild the model exactly: input shape, class priors and feature
    statistics, as plain lists (loadable with ``weights_only=True``)."""
    payload = {
        "state_dict": model.state_dict(), "task": record.task, "task_version": record.task_version,
        "baseline": record.baseline, "config": record.config.model_dump(),
        "irbench_version": record.provenance.irbench_version,
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
