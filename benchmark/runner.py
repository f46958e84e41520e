"""One benchmark run: load the task, extract features, train, evaluate, write the record.

Stages and their outputs: features go to the cache (reused when their key matches); training checkpoints
to a work folder keyed by everything that shapes the run (an interrupted run resumes from it); the record,
predictions and best checkpoint beside each other in the results folder, each written atomically.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from irbench.baselines import get_baseline
from irbench.baselines.base import ModelSpec
from irbench.errors import DataNotFoundError
from irbench.evaluation.bootstrap import bootstrap_interval
from irbench.evaluation.windows import non_overlapping_windows
from irbench.features import FRONTENDS
from irbench.features.extract import extract_features
from irbench.overrides import apply_overrides
from irbench.parallel import default_workers
from irbench.predictions import write_checkpoint, write_predictions
from irbench.provenance import base_provenance, dataset_fingerprint, device_name
from irbench.records import Provenance, RunRecord, check_writable, record_path, write_record
from irbench.task import ClipScores
from irbench.tasks import get_task
from irbench.training import fit, predict, resolve_device


@dataclass
class RunOptions:
    """Everything ``irbench run`` takes; paths are the only places a run writes to."""

    task: str
    baseline: str
    data_home: Path
    results_dir: Path = Path("results")
    cache_dir: Path = Path(".cache/irbench")
    seed: int = 0
    device: str = "auto"
    max_epochs: int | None = None
    config: list[str] = field(default_factory=list)
    workers: int = field(default_factory=default_workers)
    overwrite: bool = False
    skip_bad: bool = False
    show_progress: bool = True
    frontend: str | None = None


class _Stages:
    """Seconds spent per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)


def run_benchmark(options: RunOptions) -> tuple[RunRecord, Path]:
    """Run one task x baseline x seed and write its record; returns the record and its path.

    Raises
    ------
    RecordExistsError: the record exists and ``overwrite`` is false (checked before any work).
    DataNotFoundError, DatasetLayoutError, AudioDecodeError, ConfigError: bad input, named in the message.
    """
    stages = _Stages()
    task = get_task(options.task)
    baseline = get_baseline(options.baseline)
    if options.frontend:
        baseline.use_frontend(options.frontend)
    config = apply_overrides(baseline.training, options.config, options.max_epochs)
    device = resolve_device(options.device)
    path = record_path(options.results_dir, options.task, options.baseline, options.seed)
    check_writable(path, options.overwrite)

    with stages("load"):
        data = task.load(options.data_home, allow_missing=options.skip_bad)
    frontend = FRONTENDS.get(baseline.frontend_name)(baseline.frontend_config)
    with stages("features"):
        files = sorted({clip.path for split in data.splits.values() for clip in split})
        extracted = extract_features(
            files, baseline.frontend_name, baseline.frontend_config.model_dump(), options.cache_dir,
            options.workers, options.skip_bad or task.metadata.skips_corrupt_audio, options.show_progress,
        )
    splits = {name: [c for c in split if c.path in extracted.features] for name, split in data.splits.items()}
    if not splits["train"] or not splits["test"]:
        raise DataNotFoundError(f"no readable training or test clip left under {data.data_home}")
    windows = _Windows(extracted.features, frontend, baseline.input_frames)

    def training_set(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All non-overlapping windows of the split's clips, each with its clip's targets and mask."""
        clips = splits[name]
        per_clip = [windows.of(c) for c in clips]
        counts = [len(w) for w in per_clip]
        if not per_clip:
            shape = (0, next(iter(extracted.features.values())).shape[0], baseline.input_frames)
            return np.zeros(shape, np.float32), task.targets([]), task.mask([])
        return (np.concatenate(per_clip), np.repeat(task.targets(clips), counts, axis=0),
                np.repeat(task.mask(clips), counts, axis=0))

    train, validation = training_set("train"), training_set("validation")
    observed = train[2].sum(axis=0)
    spec = ModelSpec(
        n_classes=len(task.metadata.labels), prediction_type=task.metadata.train_prediction_type,
        input_shape=train[0].shape[1:],
        class_priors=np.divide(train[1].sum(axis=0), observed, out=np.zeros_like(observed), where=observed > 0),
        feature_mean=train[0].mean(axis=(0, 2)), feature_std=train[0].std(axis=(0, 2)),
    )
    fingerprint = dataset_fingerprint(
        {c.clip_id: extracted.audio_sha256[c.path] for split in splits.values() for c in split}
    )
    identity = {
        "task": task.metadata.name, "task_version": task.metadata.version, "baseline": baseline.describe(),
        "training": config.model_dump(), "seed": options.seed, "device": device, "data": fingerprint,
    }
    work_dir = path.parent / f".seed-{options.seed}.work-{_digest(identity)}"
    with stages("train"):
        import torch

        torch.manual_seed(options.seed)
        model = baseline.build(spec, config)
        result = fit(model, spec.prediction_type, train, validation, config, options.seed, device, work_dir,
                     options.show_progress, callbacks=tuple(baseline.callbacks(config)))
    with stages("evaluate"):
        scores = {name: _clip_scores(task, model, splits[name], windows, device, config.batch_size)
                  for name in ("validation", "test")}
        evaluation = task.evaluate(scores["validation"], scores["test"])
        main = task.metadata.main_score
        interval = bootstrap_interval(lambda i: evaluation.rescore(main, i), len(splits["test"]), seed=options.seed)

    predictions_path = path.with_name(f"seed-{options.seed}.predictions.csv")
    checkpoint_path = path.with_name(f"seed-{options.seed}.ckpt")
    record = RunRecord(
        task=task.metadata.name, task_version=task.metadata.version, baseline=baseline.name,
        config={"baseline": baseline.describe(), "training": config.model_dump(), "device": device},  # after build
        seed=options.seed, stand_in=data.stand_in, stand_in_info=dict(data.stand_in_info or {}) or None,
        metrics=evaluation.metrics, main_score=task.metadata.main_score, per_class=evaluation.per_class,
        threshold=evaluation.threshold, n_test=len(splits["test"]), n_train=len(splits["train"]),
        n_validation=len(splits["validation"]),
        training={
            "epochs": result.epochs, "best_epoch": result.best_epoch,
            "best_validation_loss": result.best_validation_loss, "stopped_early": result.stopped_early,
            "resumed": result.resumed, "n_parameters": sum(p.numel() for p in model.parameters()),
        },
        extra=evaluation.extra, confidence_intervals={main: interval},
        skipped_files=[{"file": str(f), "reason": r} for f, r in extracted.skipped]
        + [{"file": f, "reason": "missing"} for f in data.missing],
        predictions_file=predictions_path.name, checkpoint_file=checkpoint_path.name,
        provenance=Provenance(
            **base_provenance(), device=device, device_name=device_name(device), dataset_fingerprint=fingerprint,
            data_home=str(data.data_home), seconds=stages.seconds, command=" ".join(sys.argv),
        ),
    )
    write_predictions(predictions_path, task.metadata.labels, scores["test"], evaluation)
    write_checkpoint(checkpoint_path, model, record)
    write_record(record, path, overwrite=options.overwrite)
    shutil.rmtree(work_dir, ignore_errors=True)
    return record, path


class _Windows:
    """Non-overlapping model-input windows of a clip, or of its segment, from its file's features."""

    def __init__(self, features: dict[Path, np.ndarray], frontend, window_frames: int):
        self.features, self.window_frames = features, window_frames
        self.pad_value = frontend.pad_value
        self.frames_per_second = frontend.frames_per_second

    def of(self, clip) -> np.ndarray:
        """``(n_windows >= 1, n_features, window_frames)`` float32."""
        features = self.features[clip.path]
        if clip.segment is not None:
            start, end = (int(round(t * self.frames_per_second)) for t in clip.segment)
            features = features[:, start:end]
        return non_overlapping_windows(features, self.window_frames, self.pad_value)


def _digest(identity: dict) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _clip_scores(task, model, clips, windows: _Windows, device, batch_size: int) -> ClipScores:
    """Window probabilities per clip, from non-overlapping windows of the baseline's input length."""
    per_clip = [windows.of(c) for c in clips]
    counts = [len(w) for w in per_clip]
    if per_clip:
        probabilities = predict(model, np.concatenate(per_clip), task.metadata.train_prediction_type, device,
                                batch_size)
        scores = np.split(probabilities, np.cumsum(counts)[:-1])
    else:
        scores = []
    return ClipScores([c.clip_id for c in clips], list(scores), task.targets(clips), task.mask(clips))
