"""Benchmark runs: load a task, prepare its features and windows once, then train, evaluate and record each
seed.

Stages and their outputs: features go to the cache (reused when their key matches, checked when read);
training checkpoints to a work folder keyed by everything that shapes the run (an interrupted run resumes
from it); the record, predictions and best checkpoint beside each other in the results folder, each written
atomically, the record last. Several seeds of one task x baseline share loading, hashing, features, window
indexes and statistics (``provenance.shared_stages`` names those stages in each record).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path


from irbench.baselines import get_baseline
from irbench.baselines.base import Baseline, ModelSpec
from irbench.store.atomic import atomic_group, remove_partial_files
from irbench.run.configuration import DEFAULT_THREADS, Configuration, existing_record, planned
from irbench.run.configuration import configuration as configuration_of
from irbench.errors import ConfigError, OutputError, RecordExistsError, TrainingDivergedError
from irbench.evaluation.bootstrap import bootstrap_interval
from irbench.run.overrides import apply_overrides
from irbench.run.parallel import default_workers
from irbench.run.checkpoint import write_checkpoint
from irbench.store.predictions_file import write_binary_copy, write_predictions
from irbench.features.extract import hash_audio
from irbench.run.prepare import PreparedData, Stages, audio_fingerprint, prepare
from irbench.run.provenance import base_provenance, device_name, slurm_ids
from irbench.run.preflight import check_seed, check_threads, check_workers, writable_folder
from irbench.store.records import Provenance, RunRecord, read_record, record_lock, record_path
from irbench.evaluation.types import ClipScores
from irbench.task import Task
from irbench.tasks import get_task
from irbench.run.selection import fit_selected
from irbench.run.training import EVALUATION_BATCH_SIZE, fit, predict_dataset, resolve_device
from irbench.windowing.dataset import clip_window_scores

LOG = logging.getLogger(__name__)


@dataclass
class RunOptions:
    """Everything ``irbench run`` takes; paths are the only places a run writes to. ``task`` and ``baseline``
    are registered names or instances (a ``Task`` or ``Baseline`` subclass defined anywhere, e.g. in a
    notebook: ``irbench.evaluate``)."""

    task: str | Task
    baseline: str | Baseline
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
    threads: int = DEFAULT_THREADS  # CPU threads of training and evaluation: part of the configuration
    executor: dict[str, str] = field(default_factory=lambda: {"name": "cli"})
    command: str | None = None  # the command line to record (default: this process's sys.argv)


@dataclass
class SeedOutcome:
    """What became of one seed: its record and path, or why an existing record was kept (``kept``)."""

    seed: int
    path: Path
    record: RunRecord | None = None
    kept: str | None = None


def run_benchmark(options: RunOptions) -> tuple[RunRecord, Path]:
    """Run one task x baseline x seed (``options.seed``) and write its record; returns the record and its path.

    Raises
    ------
    RecordExistsError: the record exists and ``overwrite`` is false (checked before any expensive stage).
    DataNotFoundError, DatasetLayoutError, AudioDecodeError, ConfigError: bad input, named in the message.
    TrainingDivergedError: the training loss became NaN or infinite.
    """
    (outcome,) = run_seeds(options, [options.seed])
    if outcome.record is None:
        raise RecordExistsError(outcome.kept or f"{outcome.path} already exists")
    return outcome.record, outcome.path


def run_seeds(options: RunOptions, seeds: Sequence[int]) -> Iterator[SeedOutcome]:
    """Run one task x baseline for each seed, preparing the data once; yields each seed's outcome as it ends.

    A seed whose record exists is kept (``SeedOutcome.kept`` says so, and whether the record came from the
    same data) unless ``overwrite``; the data is loaded and hashed first, so a wrong ``--data-home`` is an
    error, never a skip.

    Raises the errors of :func:`run_benchmark` except ``RecordExistsError``.
    """
    task = options.task if isinstance(options.task, Task) else get_task(options.task)
    baseline = options.baseline if isinstance(options.baseline, Baseline) else get_baseline(options.baseline)
    baseline.cache_dir = Path(options.cache_dir)  # where baselines find downloaded pretrained weights
    if options.frontend:
        baseline.use_frontend(options.frontend)
    config = apply_overrides(baseline.training, options.config, options.max_epochs)
    device = resolve_device(options.device)
    baseline.run_device = device  # where a pretrained embedder or tagger runs by default
    baseline.configure(config)
    for seed in seeds:
        check_seed(seed)
    check_workers(options.workers)
    check_threads(options.threads)
    configuration = planned(baseline, config, options.device, options.threads)
    name = task.metadata.name
    paths = {seed: existing_record(options.results_dir, name, baseline.name, configuration, seed)
             or record_path(options.results_dir, name, baseline.name, configuration.folder, seed)
             for seed in seeds}
    writable_folder(paths[seeds[0]].parent, "run records")
    writable_folder(options.cache_dir, "feature cache")
    stages = Stages()
    with stages("load"):
        data = task.load(options.data_home, allow_missing=options.skip_bad)
    files = sorted({clip.path for clips in data.splits.values() for clip in clips})
    hashed = hash_audio(files, options.cache_dir, data.data_home, options.workers)
    fingerprint = audio_fingerprint(data, hashed)
    with ExitStack() as locks:
        todo = [seed for seed in seeds if options.overwrite or not paths[seed].exists()]
        for seed in todo:
            locks.enter_context(record_lock(paths[seed]))
        prepared = None
        if todo:
            frontend_config = baseline.frontend_config.model_dump() if baseline.frontend_config else None
            prepared = prepare(task, data, baseline.frontend_name, frontend_config, baseline.input_frames,
                               options.cache_dir, options.workers, options.skip_bad, options.show_progress,
                               stages, hashed=hashed, device=device)
        for seed in seeds:
            if seed not in todo:
                yield SeedOutcome(seed, paths[seed], kept=_kept_message(paths[seed], fingerprint))
                continue
            record = _run_seed(task, baseline, config, device, prepared, options, seed, paths[seed], seeds,
                               configuration)
            yield SeedOutcome(seed, paths[seed], record)


def _kept_message(path: Path, fingerprint: str) -> str:
    try:
        existing = read_record(path).provenance.dataset_fingerprint
    except Exception:  # an unreadable record: say so, keep it
        return f"{path} already exists but cannot be read; pass --overwrite to replace it"
    if existing != fingerprint:
        return (f"{path} already exists but was made from other data (dataset fingerprint {existing[:12]}, "
                f"now {fingerprint[:12]}); pass --overwrite to replace it")
    return f"{path} already exists (same data); pass --overwrite to replace it"


def _digest(identity: dict) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _scores(task, model, prepared: PreparedData, split: str, device: str, precision: str) -> ClipScores:
    """Window probabilities per clip of ``split``, predicted batch by batch from the cache.

    Raises ``TrainingDivergedError`` when the kept weights score a window NaN or infinite: a last step with
    a finite loss can still leave weights that overflow (a learning rate far too high), and the metrics would
    fail on them with scikit-learn's bare "Input contains NaN"."""
    import numpy as np

    index = prepared.indexes[split]
    probabilities = predict_dataset(model, prepared.dataset(split), task.metadata.train_prediction_type, device,
                                    EVALUATION_BATCH_SIZE, precision)
    if not np.isfinite(probabilities).all():
        bad = int((~np.isfinite(probabilities)).any(axis=1).sum())
        raise TrainingDivergedError(f"the trained model scores {bad} of {len(probabilities)} {split} windows as "
                                    "NaN or infinite: its weights diverged; lower learning_rate (--config "
                                    "learning_rate=...) or set gradient_clip")
    clips = prepared.splits[split]
    return ClipScores(index.clip_ids, clip_window_scores(index, probabilities), task.targets(clips),
                      task.mask(clips))


def _run_seed(task, baseline, config, device: str, prepared: PreparedData, options: RunOptions, seed: int,
              path: Path, seeds: Sequence[int],
              configuration: Configuration) -> RunRecord:
    import torch

    stages = Stages()
    spec = ModelSpec(
        n_classes=len(task.metadata.labels), prediction_type=task.metadata.train_prediction_type,
        input_shape=(prepared.indexes["train"].n_features, baseline.input_frames),
        class_priors=prepared.class_priors, feature_mean=prepared.feature_mean, feature_std=prepared.feature_std,
        task=task.metadata.name, labels=tuple(task.metadata.labels),
    )
    identity = {  # the configuration names the pretrained weights: other weights never resume this work
        "task": task.metadata.name, "task_version": task.metadata.version, "configuration": configuration.digest,
        "seed": seed, "device": device, "data": prepared.fingerprint,
    }
    work_dir = path.parent / f".seed-{seed}.work-{_digest(identity)}"

    def train_one(trial_config, trial_dir: Path):
        torch.manual_seed(seed)
        built = baseline.assemble(spec, trial_config)
        built_as = configuration_of(baseline.name, baseline.describe(built.notes), config.model_dump(),
                                    options.device, options.threads)
        if built_as.digest != configuration.digest:
            raise ConfigError(f"baseline {baseline.name}: building the model changed its configuration "
                              f"({'; '.join(configuration.differences(built_as))}); its build() must note the "
                              "weights its weights_notes() announces")
        train, validation = prepared.dataset("train"), prepared.dataset("validation")
        result = baseline.fit_directly(built, train, validation, trial_config, seed)
        if result is None:
            result = fit(built.module, spec.prediction_type, train, validation, trial_config, seed, device, trial_dir,
                         options.show_progress, callbacks=built.callbacks)
        return built, result

    with cpu_threads(options.threads), stages("train"):
        selected = fit_selected(config, baseline.selection_grid(config), work_dir, train_one,
                                len(prepared.indexes["validation"]) > 0)
        built, result = selected.built, selected.result
        notes = {**built.notes, **({"selection": selected.summary} if selected.summary else {})}
        model, described = built.module, baseline.describe(notes)
    with cpu_threads(options.threads), stages("evaluate"):
        scores = {name: _scores(task, model, prepared, name, device, getattr(config, "precision", "32-true"))
                  for name in ("validation", "test")}
        evaluation = task.evaluate(scores["validation"], scores["test"])
    with stages("bootstrap"):
        main = task.metadata.main_score
        groups = [clip.group or clip.clip_id for clip in prepared.splits["test"]]
        interval = bootstrap_interval(lambda i: evaluation.rescore(main, i), groups, seed=seed,
                                      unit=task.metadata.test_group_unit)
    window_seconds = _window_seconds(baseline)
    predictions_path = path.with_name(f"seed-{seed}.predictions.csv")
    checkpoint_path = path.with_name(f"seed-{seed}.ckpt")
    shared = list(prepared.seconds)
    record = RunRecord(
        task=task.metadata.name, task_version=task.metadata.version, baseline=baseline.name,
        config={"baseline": described, "training": config.model_dump(), "device": device,
                "requested_device": options.device, "threads": options.threads},
        seed=seed, stand_in=prepared.data.stand_in, stand_in_info=dict(prepared.data.stand_in_info or {}) or None,
        metrics=evaluation.metrics, main_score=main, per_class=evaluation.per_class,
        threshold=evaluation.threshold, n_test=len(prepared.splits["test"]), n_train=len(prepared.splits["train"]),
        n_validation=len(prepared.splits["validation"]),
        training={
            "epochs": result.epochs, "best_epoch": result.best_epoch,
            "best_validation_loss": result.best_validation_loss, "stopped_early": result.stopped_early,
            "resumed": result.resumed, "n_parameters": sum(p.numel() for p in model.parameters()),
            "max_epochs": result.max_epochs, "patience": result.patience, "input_store": result.input_store,
        },
        windows={"layout": task.metadata.window_layout, **prepared.window_summary(window_seconds)}
        if window_seconds is not None else None,
        extra=evaluation.extra, confidence_intervals={main: interval}, skipped_files=prepared.skipped,
        predictions_file=predictions_path.name, checkpoint_file=checkpoint_path.name,
        provenance=Provenance(
            **base_provenance(), device=device, device_name=device_name(device),
            dataset_fingerprint=prepared.fingerprint, data_home=str(prepared.data.data_home),
            seconds={**prepared.seconds, **stages.seconds, **_loop_seconds(result)},
            shared_stages=shared if len(seeds) > 1 else [],
            torch_threads=options.threads, executor={**options.executor, **slurm_ids()},
            command=options.command or " ".join(sys.argv),
        ),
    )
    groups_by_clip = dict(zip(scores["test"].clip_ids, groups))
    remove_partial_files(path.parent, f"seed-{seed}")  # left by a run that was killed while writing
    if path.exists() and not options.overwrite:
        raise RecordExistsError(f"{path} already exists; pass --overwrite to replace it")
    try:
        atomic_group([
            (predictions_path, lambda target: write_predictions(target, task.metadata.labels, scores["test"],
                                                                evaluation, groups_by_clip)),
            (checkpoint_path, lambda target: write_checkpoint(target, model, record, spec)),
            (path, lambda target: target.write_text(record.model_dump_json(indent=2), encoding="utf-8")),
        ])
    except OSError as error:
        raise OutputError(
            f"cannot write the record, predictions and checkpoint of seed {seed} to {path.parent}: "
            f"{error.strerror or error}. Nothing of them was kept; the trained model waits in {work_dir}, so the "
            "same command resumes once there is room") from error
    try:  # the report reads this copy instead of parsing the CSV; without it, it parses the CSV
        write_binary_copy(predictions_path, task.metadata.labels)
    except OSError as error:
        LOG.warning("no binary copy of %s (%s): the report will parse the CSV", predictions_path.name, error)
    shutil.rmtree(work_dir, ignore_errors=True)
    return record


@contextmanager
def cpu_threads(threads: int) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(threads)`` and restore the count afterwards (a library
    caller's process keeps its own setting)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _loop_seconds(result) -> dict[str, float]:
    """The training loop's time waiting for batches and in its steps (``train.data_wait``, ``train.steps``, s;
    none when nothing was trained): timings, so in the provenance beside the stages, never in what two runs
    of the same seed must share."""
    if result.data_wait_seconds is None or result.step_seconds is None:
        return {}
    return {"train.data_wait": result.data_wait_seconds, "train.steps": result.step_seconds}


def _window_seconds(baseline) -> float | None:
    """Seconds of one model window, or ``None`` for a model that reads no feature."""
    from irbench.features import frontend_grid

    if baseline.frontend_name is None:
        return None
    grid = frontend_grid(baseline.frontend_name, baseline.frontend_config.model_dump())
    return baseline.input_frames / grid.frames_per_second
