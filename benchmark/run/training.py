"""Training with PyTorch Lightning: seeded, deterministic, early-stopped on validation loss, resumable.

Heads and losses follow the task's prediction type (softmax + cross-entropy for single-label, sigmoid +
binary cross-entropy for multi-label). Same seed, same device, same data: identical weights and metrics.
Epochs are counted from 1 in everything this module reports (results, messages, progress).
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from irbench.errors import (
    ConfigError,
    OutputError,
    Terminated,
    TrainingDivergedError,
    TrainingInterrupted,
    TrainingTerminated,
)
from irbench.features.packed import PackedWindows, place
from irbench.task import PredictionType
from irbench.run.determinism import EVALUATION_BATCH_SIZE, HOST_LOADER_WORKERS, prepare_determinism
from irbench.run.training_config import TrainingConfig
from irbench.windowing.dataset import ArrayWindows, Windows, already_batched

__all__ = ["EVALUATION_BATCH_SIZE", "FitResult", "autocast", "fit", "input_store", "predict", "predict_dataset",
           "prepare_determinism", "resolve_device"]
AUTOCAST_DTYPES = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}


def _quiet_lightning() -> None:
    """Lightning logs device summaries and tips at INFO on every fit; keep warnings and errors only."""
    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "lightning.pytorch.utilities.rank_zero"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # its hint to prepend `srun` wherever srun is installed: irbench's Slurm jobs are single-process, started by
    # the sweep (submitit), so the hint only misleads (it was printed twice per run; issue 22.11)
    warnings.filterwarnings("ignore", message=r"The `srun` command is available", category=UserWarning)


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``.

    Raises
    ------
    ConfigError: ``cuda`` asked for but unavailable, or an unknown device name.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was given but torch sees no CUDA device; use --device cpu or auto")
    if device not in ("cpu", "cuda"):
        raise ConfigError(f"unknown device {device!r}; use auto, cpu or cuda")
    return device


def loss_function(prediction_type: PredictionType):
    """``(logits, targets, mask) -> loss`` for a prediction type; all ``(batch, n_classes)``.

    Single-label: cross-entropy on the target's arg-max. Multi-label: binary cross-entropy. Masked
    multi-label: binary cross-entropy over observed pairs only (mask 1), averaged over them, so an
    unobserved pair is neither a positive nor a negative (OpenMIC-2018).
    """
    if prediction_type is PredictionType.SINGLE_LABEL:
        return lambda logits, targets, mask=None: F.cross_entropy(logits, targets.argmax(dim=1))
    if prediction_type is PredictionType.MULTI_LABEL:
        return lambda logits, targets, mask=None: F.binary_cross_entropy_with_logits(logits, targets)

    def masked(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        losses = F.binary_cross_entropy_with_logits(logits, targets, reduction="none") * mask
        return losses.sum() / mask.sum().clamp(min=1.0)

    return masked


def probabilities(logits: torch.Tensor, prediction_type: PredictionType) -> torch.Tensor:
    """Class probabilities ``(batch, n_classes)``: softmax for single-label, sigmoid otherwise."""
    if prediction_type is PredictionType.SINGLE_LABEL:
        return logits.softmax(dim=1)
    return logits.sigmoid()


@dataclass
class FitResult:
    """What training did.

    epochs: epochs run (counting those of an interrupted run it resumed). best_epoch: the 1-based epoch
    whose weights were kept (lowest validation loss), ``None`` without validation. best_validation_loss: its
    loss. resumed: whether it resumed a work folder's checkpoint. seconds: wall time of this call.
    stopped_early: early stopping ended training before ``max_epochs``. max_epochs: the configured limit.
    patience: epochs without a lower validation loss before stopping (``None`` when nothing watched it).
    input_store: where training read its windows: ``per-file`` (the cache, one read per window), ``packed``
    (the split's memory-mapped pack, copied per batch) or ``device`` (the pack resident on the device).
    data_wait_seconds, step_seconds: of this call's training batches, the seconds spent waiting for them and
    in their steps (:class:`irbench.run.callbacks.DataWait`); ``None`` when nothing was trained.
    """

    epochs: int
    best_epoch: int | None
    best_validation_loss: float | None
    resumed: bool
    seconds: float
    stopped_early: bool
    max_epochs: int = 0
    patience: int | None = None
    input_store: str = "per-file"
    data_wait_seconds: float | None = None
    step_seconds: float | None = None


def input_store(windows: Windows) -> str:
    """``device``, ``packed`` or ``per-file``: where ``windows`` are read from (see :class:`FitResult`)."""
    if windows.resident_device is not None:
        return "device"
    return "packed" if isinstance(windows, PackedWindows) else "per-file"


def autocast(device: str, precision: str):
    """The autocast context of Lightning's ``precision`` for inference on ``device`` (``32-true``: none), so
    evaluation computes in the precision training used."""
    dtype = AUTOCAST_DTYPES.get(precision)
    if dtype is None:
        return nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


def _module(model: torch.nn.Module, prediction_type: PredictionType, config: TrainingConfig):
    import lightning as L

    loss = loss_function(prediction_type)

    class ClassifierModule(L.LightningModule):
        """``model`` with the prediction type's loss and the configured optimizer."""

        def __init__(self):
            super().__init__()
            self.model = model

        def training_step(self, batch, _):
            """Loss of one batch ``(windows, targets, mask)``, logged per epoch as ``train_loss``.

            Raises ``TrainingDivergedError`` at the first NaN or infinite loss, naming the epoch and step."""
            value = loss(self.model(batch[0]), batch[1], batch[2])
            if not torch.isfinite(value.detach()).item():
                raise TrainingDivergedError(
                    f"training diverged: the loss became {value.item()} at epoch {self.current_epoch + 1} of "
                    f"{config.max_epochs}, step {self.global_step + 1}. Lower the learning rate (now "
                    f"{config.learning_rate:g}; e.g. "
                    f"--config learning_rate={config.learning_rate / 10:g}) or clip gradients "
                    "(--config gradient_clip=1.0)")
            self.log("train_loss", value, on_epoch=True, on_step=False, prog_bar=True)
            return value

        def validation_step(self, batch, _):
            """Validation loss, logged per epoch as ``val_loss`` (early stopping and checkpoints watch it)."""
            self.log("val_loss", loss(self.model(batch[0]), batch[1], batch[2]), on_epoch=True, prog_bar=True)

        def configure_optimizers(self):
            """Adam or SGD over the trainable parameters (a frozen backbone joins later)."""
            parameters = [p for p in self.parameters() if p.requires_grad]
            if config.optimizer == "sgd":
                return torch.optim.SGD(parameters, lr=config.learning_rate, momentum=config.momentum,
                                       weight_decay=config.weight_decay)
            return torch.optim.Adam(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)

        @property
        def backbone(self):
            """The model's pretrained part, for fine-tuning callbacks (``None`` when it has none)."""
            return getattr(self.model, "backbone", None)

    return ClassifierModule()


def _loader(dataset: Windows, batch_size: int, shuffle: bool, seed: int, device: str = "cpu",
            workers: int | None = None):
    """A loader whose shuffle depends only on (seed, epoch): Lightning calls ``set_epoch`` on the
    single-replica ``DistributedSampler``, so a resumed run sees the same batches as an uninterrupted one.
    Each batch is read when it is needed (``Windows.__getitems__``: from the pack or the cache on the host,
    gathered on the device for a resident store). Host batches bound for CUDA are read by
    ``workers`` loader processes (default :data:`HOST_LOADER_WORKERS` there, else none) and pinned, and
    Lightning copies pinned batches with ``non_blocking=True``."""
    from torch.utils.data import DataLoader, DistributedSampler

    sampler = DistributedSampler(dataset, num_replicas=1, rank=0, shuffle=True, seed=seed) if shuffle else None
    # BatchNorm cannot train on a last batch of one window
    drop_last = shuffle and len(dataset) % batch_size == 1 and len(dataset) > batch_size
    # an own generator keeps the loader from drawing on torch's global random state
    pin = torch.device(device).type == "cuda" and dataset.resident_device is None
    workers = (HOST_LOADER_WORKERS if pin else 0) if workers is None else workers
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=drop_last, pin_memory=pin,
                      num_workers=workers, persistent_workers=workers > 0, collate_fn=already_batched,
                      generator=torch.Generator().manual_seed(seed))


def fit(
    model: torch.nn.Module, prediction_type: PredictionType, train: Windows, validation: Windows,
    config: TrainingConfig, seed: int, device: str, work_dir: Path, show_progress: bool = True,
    callbacks: tuple = (),
) -> FitResult:
    """Train ``model`` in place and leave it holding the best weights (lowest validation loss).

    Parameters
    ----------
    train, validation: windows from the split's pack or the feature cache (a pack that fits the device's
        budget is moved there once: :func:`irbench.features.packed.place`); items are ``(window (n_features, frames),
        targets (n_classes,), mask (n_classes,))`` float32, the mask all ones unless the task has partial
        labels. Without validation windows, training runs ``max_epochs`` and keeps the last epoch.
    seed: seeds Python, NumPy, torch and loader workers (``lightning.seed_everything``).
    device: ``cpu`` or ``cuda``.
    work_dir: Lightning's ``latest.ckpt`` and the best weights ``best.pt``; a ``latest.ckpt`` found there resumes
        an interrupted run; per-epoch shuffles and per-step dropout seeds make the resumed run's weights equal
        to an uninterrupted run's. The caller keys this folder by everything that shapes the run.
    callbacks: extra Lightning callbacks (tests use one to interrupt training).
    show_progress: a terminal gets a bar counting epochs from 1 (``Epoch 3/3`` in the last of 3); other
        output (a log file) one INFO message per epoch on the ``irbench.run.callbacks`` logger instead. Resuming
        is announced there too (:mod:`irbench.logs`).

    Raises
    ------
    TrainingInterrupted: training was interrupted (a ``KeyboardInterrupt`` naming the epoch; Lightning's own
        handler would exit the process); ``TrainingTerminated`` (also ``irbench.errors.Terminated``) when
        ``SIGTERM`` stopped it.
    TrainingDivergedError: the training loss became NaN or infinite (the message names the 1-based epoch
        and step).
    OutputError: the work folder cannot be written (disk full); the message names it.
    """
    start = time.perf_counter()
    max_epochs = getattr(config, "max_epochs", 0)
    if not any(p.requires_grad for p in model.parameters()) or max_epochs == 0:
        return FitResult(0, None, None, False, time.perf_counter() - start, False, max_epochs)
    import lightning as L
    from irbench.run.callbacks import (BestWeights, DataWait, EpochBar, EpochLines, PatientStopping, StepSeeder,
                                       resume_point)
    from lightning.pytorch.callbacks import ModelCheckpoint

    _quiet_lightning()

    if config.precision == "16-mixed" and device != "cuda":
        raise ConfigError("precision=16-mixed needs CUDA; on the CPU use precision=bf16-mixed or 32-true")
    prepare_determinism()  # a no-op when the entry point already ran it (before CUDA started)
    train, validation = place(train, device), place(validation, device)
    L.seed_everything(seed, workers=True, verbose=False)
    module = _module(model, prediction_type, config)
    has_validation = len(validation) > 0
    # best weights by validation loss (our own file: Lightning renames best checkpoints as they improve, and a
    # kill between its writes could leave a resumed run pointing at a deleted file), and the latest epoch
    best = BestWeights(Path(work_dir) / "best.pt")
    latest = ModelCheckpoint(dirpath=work_dir, filename="latest", monitor=None, save_top_k=1)
    interactive = show_progress and sys.stderr.isatty()
    wait = DataWait()
    callbacks = [best, latest, StepSeeder(seed), wait, *callbacks]
    if show_progress:
        callbacks.append(EpochBar() if interactive else EpochLines(config.max_epochs))
    stopper = None
    if has_validation:
        stopper = PatientStopping(patience=config.patience)
        callbacks.append(stopper)
    # irbench requeues through submitit (``irbench sweep``); Lightning's own Slurm requeue would clash with it
    from lightning.pytorch.plugins.environments import SLURMEnvironment

    plugins = [SLURMEnvironment(auto_requeue=False)] if SLURMEnvironment.detect() else None
    trainer = L.Trainer(
        plugins=plugins, accelerator="gpu" if device == "cuda" else "cpu", devices=1, max_epochs=config.max_epochs,
        deterministic=True, benchmark=False, precision=config.precision, logger=False, callbacks=callbacks,
        enable_progress_bar=interactive,
        enable_model_summary=False, num_sanity_val_steps=0, default_root_dir=work_dir,
        gradient_clip_val=config.gradient_clip,
        limit_val_batches=1.0 if has_validation else 0,
    )
    last = Path(work_dir) / "latest.ckpt"
    resumed = resume_point(last, config.max_epochs)
    from irbench.run.checkpoint import without_zip_checksums

    with warnings.catch_warnings(), without_zip_checksums():  # Lightning's latest.ckpt and best.pt too
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*number of training batches.*")
        warnings.filterwarnings("ignore", ".*exists and is not empty.*")  # resuming from our own work folder
        warnings.filterwarnings("ignore", ".*LeafSpec.*")  # raised inside lightning with recent torch
        try:
            trainer.fit(
                module,
                train_dataloaders=_loader(train, config.batch_size, True, seed, device),
                val_dataloaders=_loader(validation, config.batch_size, False, seed, device) if has_validation
                else None,
                ckpt_path=str(last) if resumed else None, weights_only=True,
            )
        except OSError as error:  # a full disk or lost folder while writing the work folder's checkpoints
            raise OutputError(f"cannot write training checkpoints to {work_dir}: {error.strerror or error}; free "
                              "some space and run the same command to resume") from error
        except RuntimeError as error:
            # torch.save reports a full disk from its C++ zip writer ("PytorchStreamWriter failed writing file
            # data/0: file write failed"), not as an OSError
            if "PytorchStreamWriter" not in str(error) and "file write failed" not in str(error):
                raise
            raise OutputError(f"cannot write training checkpoints to {work_dir}: the disk is full or the folder "
                              "cannot be written (torch.save failed); free some space and run the same command "
                              "to resume") from error
        except SystemExit as exit_:
            # Lightning turns Ctrl-C (and the command line's SIGTERM, irbench.cli.interrupt) into sys.exit(1)
            # after saving nothing more; without that handler (a library call, a submitit job) its own SIGTERM
            # notifier stops at the end of a batch or epoch with SIGTERMException, a SystemExit(None) that would
            # end the process with status 0. Either becomes TrainingInterrupted naming the epoch, caused by the
            # exit: a submitit job (irbench.sweep.job) re-raises that cause, as SIGTERM belongs to submitit there
            from lightning.pytorch.utilities.exceptions import SIGTERMException

            terminated = isinstance(exit_, SIGTERMException) or isinstance(exit_.__context__, Terminated)
            if not terminated and not isinstance(exit_.__context__, KeyboardInterrupt):
                raise  # another exit (submitit's requeue) goes through unchanged
            epoch = min(trainer.current_epoch + 1, config.max_epochs)  # SIGTERM may stop it after the last epoch
            kind, word = (TrainingTerminated, "terminated (SIGTERM)") if terminated else (TrainingInterrupted,
                                                                                          "interrupted")
            raise kind(f"{word} at epoch {epoch} of {config.max_epochs}; run the same command to resume") from exit_
    best_epoch, best_loss = None, None
    if has_validation and best.restore(module):
        best_epoch, best_loss = best.best_epoch + 1, best.best_score  # BestWeights counts from 0, as Lightning
    return FitResult(  # after fit, Lightning's current_epoch is the number of epochs done
        epochs=trainer.current_epoch, best_epoch=best_epoch, best_validation_loss=best_loss, resumed=resumed,
        seconds=time.perf_counter() - start, stopped_early=stopper is not None and stopper.stopped_at is not None,
        max_epochs=config.max_epochs, patience=config.patience if stopper is not None else None,
        input_store=input_store(train),
        data_wait_seconds=round(wait.waiting, 6) if wait.windows else None,
        step_seconds=round(wait.stepping, 6) if wait.windows else None,
    )


@torch.inference_mode()
def predict_dataset(
    model: torch.nn.Module, dataset: Windows, prediction_type: PredictionType, device: str,
    batch_size: int = EVALUATION_BATCH_SIZE, precision: str = "32-true",
) -> np.ndarray:
    """Class probabilities ``(n_windows, n_classes)`` float32 of every window of ``dataset``, read and scored
    batch by batch (memory: one batch of windows, or none for a pack resident on the device).

    ``batch_size`` is part of the protocol (GPU convolutions depend on batch composition): evaluation uses
    :data:`EVALUATION_BATCH_SIZE` whatever the training batch size. ``precision`` is the training's
    (Lightning's name): ``bf16-mixed`` and ``16-mixed`` score under the same autocast."""
    model = model.to(device).eval()
    dataset = place(dataset, device)
    with autocast(device, precision):
        # probabilities from float32 logits: bf16 softmax outputs would tie and round the ranking metrics
        out = [probabilities(model(batch).float(), prediction_type).cpu().numpy()
               for batch in dataset.tensor_batches(batch_size, device)]
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


def predict(
    model: torch.nn.Module, windows: np.ndarray, prediction_type: PredictionType, device: str,
    batch_size: int = EVALUATION_BATCH_SIZE,
) -> np.ndarray:
    """Class probabilities ``(n_windows, n_classes)`` float32 for in-memory ``windows (n_windows, n_features,
    frames)`` (see :func:`predict_dataset`)."""
    return predict_dataset(model, ArrayWindows(windows, np.zeros((len(windows), 0), np.float32)), prediction_type,
                           device, batch_size)
