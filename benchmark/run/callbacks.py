"""Lightning callbacks and helpers of irbench's training loop: per-step seeding, the time spent waiting for
batches, one line per epoch for logs, a progress bar that counts epochs from 1, early stopping that remembers
where it stopped, and checking a work folder's checkpoint before resuming from it.

Epochs shown to people are 1-based (``epoch 1`` is the first); Lightning's ``trainer.current_epoch`` and the
``epoch`` of its checkpoints are 0-based (the index of the running epoch, or the number of epochs done)."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import EarlyStopping, RichProgressBar

LOG = logging.getLogger(__name__)


class StepSeeder(L.Callback):
    """Reseeds torch (dropout masks) before every training step from (seed, step), so the random numbers a
    step uses never depend on what ran before it (a resumption, a validation)."""

    def __init__(self, seed: int):
        self.seed = seed

    def on_train_batch_start(self, trainer, module, batch, batch_index):
        """``torch.manual_seed`` from (seed, global step)."""
        torch.manual_seed(self.seed * 1_000_003 + trainer.global_step)


class DataWait(L.Callback):
    """Where the training loop's time goes: ``waiting`` (s) from an epoch's start or a batch's end to the next
    batch's start (reading the batch, copying it to the device: what a faster store would save), ``stepping``
    (s) from a batch's start to its end (forward, backward, optimiser step), and ``windows`` read, over the
    epochs this call trained. On CUDA a step is measured as the host sees it: the kernels it launched may
    still run while the next batch is read, so ``waiting`` there also holds the wait for the GPU that the
    next copy or loss read brings (an upper bound of the data wait)."""

    def __init__(self):
        self.waiting = self.stepping = 0.0
        self.windows = 0
        self._mark = time.perf_counter()

    def on_train_epoch_start(self, trainer, module):
        """Start the clock: the first batch's wait counts from here."""
        self._mark = time.perf_counter()

    def on_train_batch_start(self, trainer, module, batch, batch_index):
        """The batch is here: the wait since the last mark ends."""
        now = time.perf_counter()
        self.waiting += now - self._mark
        self.windows += len(batch[0])
        self._mark = now

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_index):
        """The step is done: its time since the batch came."""
        now = time.perf_counter()
        self.stepping += now - self._mark
        self._mark = now


class EpochLines(L.Callback):
    """One INFO message per finished epoch (``epoch 3/40: train_loss 0.52, val_loss 0.61, 4.1 s``) on this
    module's logger, for output that is not a terminal (a log file, a Slurm job): a progress bar would be
    redrawn there."""

    def __init__(self, max_epochs: int):
        self.max_epochs = max_epochs
        self._started = time.perf_counter()

    def on_train_epoch_start(self, trainer, module):
        """Start the epoch's clock."""
        self._started = time.perf_counter()

    def on_train_epoch_end(self, trainer, module):
        """Print the epoch's losses and seconds."""
        losses = ", ".join(f"{name} {float(value):.4f}" for name, value in sorted(trainer.callback_metrics.items())
                           if name.endswith("loss"))
        LOG.info(f"epoch {trainer.current_epoch + 1}/{self.max_epochs}: {losses or 'no loss yet'}, "
                 f"{time.perf_counter() - self._started:.1f} s")


class EpochBar(RichProgressBar):
    """Lightning's rich progress bar, its epochs counted from 1: ``Epoch 3/3`` in the last of 3 epochs
    (Lightning's own shows ``Epoch 2/2`` there). Only public hooks and attributes are used: the description
    Lightning's hook sets is replaced after it, and Rich's ``Progress.disable`` keeps that hook from drawing
    Lightning's description first (Rich's own timed refresh, 10 per second, could still show it once)."""

    def on_train_epoch_start(self, trainer, module):
        """Lightning's hook, undrawn, then the 1-based description."""
        with self._undrawn():
            super().on_train_epoch_start(trainer, module)
        self._describe(trainer)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_index):
        """Lightning's hook; a bar it creates here (a run resumed mid-epoch) gets the 1-based description."""
        if self.train_progress_bar_id is not None:
            super().on_train_batch_end(trainer, module, outputs, batch, batch_index)
            return
        with self._undrawn():
            super().on_train_batch_end(trainer, module, outputs, batch, batch_index)
        self._describe(trainer)

    @contextmanager
    def _undrawn(self):
        progress = self.progress
        if progress is not None:
            progress.disable = True
        try:
            yield
        finally:
            if progress is not None:
                progress.disable = False

    def describe(self, trainer) -> str:
        """``Epoch <n>/<max>`` for the running epoch, 1-based, padded as wide as the validation bar's label."""
        text = f"Epoch {trainer.current_epoch + 1}"
        if trainer.max_epochs is not None and trainer.max_epochs > 0:
            text += f"/{trainer.max_epochs}"
        return f"{text:{len(self.validation_description)}}"

    def _describe(self, trainer) -> None:
        if self.progress is None or self.train_progress_bar_id is None:
            return
        text = self.describe(trainer)
        style = self.theme.description
        self.progress.update(self.train_progress_bar_id, description=f"[{style}]{text}" if style else text)
        self.refresh()


class PatientStopping(EarlyStopping):
    """Lightning's early stopping on ``val_loss`` after ``patience`` epochs without a lower one, which also
    keeps the 1-based epoch it stopped at (``stopped_at``, ``None`` until it stops) in its checkpointed state.

    Lightning does not checkpoint ``trainer.should_stop``: a run resumed from a checkpoint written after early
    stopping would train one more epoch. With ``stopped_at`` restored, it trains none (``on_train_start``)."""

    def __init__(self, patience: int, monitor: str = "val_loss"):
        super().__init__(monitor=monitor, patience=patience)
        self.stopped_at: int | None = None

    def on_train_start(self, trainer, module):
        """Stop at once when the restored state says training had already stopped early."""
        super().on_train_start(trainer, module)
        if self.stopped_at is not None:
            trainer.should_stop = True

    def on_train_epoch_end(self, trainer, module):
        """Lightning's check (when it checks at the end of the training epoch), then note a stop."""
        super().on_train_epoch_end(trainer, module)
        self._note(trainer)

    def on_validation_end(self, trainer, module):
        """Lightning's check (when it checks after validation), then note a stop."""
        super().on_validation_end(trainer, module)
        self._note(trainer)

    def _note(self, trainer) -> None:
        # Lightning sets stopped_epoch to the running epoch exactly when this callback stops training
        if self.stopped_at is None and trainer.should_stop and self.stopped_epoch == trainer.current_epoch:
            self.stopped_at = trainer.current_epoch + 1

    def state_dict(self) -> dict:
        """Lightning's early-stopping state and ``stopped_at``."""
        return {**super().state_dict(), "stopped_at": self.stopped_at}

    def load_state_dict(self, state: dict) -> None:
        """Restore Lightning's state and ``stopped_at`` (absent in checkpoints of older irbench: ``None``)."""
        super().load_state_dict(state)
        self.stopped_at = state.get("stopped_at")


class BestWeights(L.Callback):
    """Keeps the weights of the epoch with the lowest validation loss in ``best.pt`` (``torch.save`` of the
    state dict, written atomically), with the epoch and score in its own state, which Lightning stores in
    every ``latest.ckpt``. A resumed run therefore knows its best epoch so far, and a ``best.pt`` newer than
    the checkpoint it resumes from (written just before a ``kill -9``) is simply written again, identically,
    when training repeats that epoch. ``best_epoch`` is 0-based, as Lightning counts (``trainer.current_epoch``
    of the epoch kept); :func:`irbench.run.training.fit` reports it 1-based."""

    def __init__(self, path: Path, monitor: str = "val_loss"):
        self.path, self.monitor = Path(path), monitor
        self.best_score: float | None = None
        self.best_epoch: int | None = None

    def on_validation_end(self, trainer, module):
        """Save the weights when the monitored loss is the lowest so far (ties keep the earlier epoch)."""
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        score = float(trainer.callback_metrics[self.monitor])
        if self.best_score is not None and not score < self.best_score:
            return
        from irbench.run.checkpoint import without_zip_checksums
        from irbench.store.atomic import atomic_path

        with atomic_path(self.path) as temporary, without_zip_checksums():
            torch.save({"state_dict": module.state_dict(), "epoch": trainer.current_epoch, "score": score},
                       temporary)
        self.best_score, self.best_epoch = score, trainer.current_epoch

    def state_dict(self) -> dict:
        """The best score and epoch so far (stored in Lightning's checkpoints)."""
        return {"best_score": self.best_score, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict) -> None:
        """Restore the best score and epoch of a resumed run."""
        self.best_score, self.best_epoch = state.get("best_score"), state.get("best_epoch")

    def restore(self, module) -> bool:
        """Load the best weights into ``module``; ``False`` when there are none (no validation ran)."""
        if self.best_epoch is None or not self.path.exists():
            return False
        module.load_state_dict(torch.load(self.path, map_location="cpu", weights_only=True)["state_dict"])
        return True


def resume_point(latest: Path, max_epochs: int) -> bool:
    """Whether training resumes from the work folder's ``latest.ckpt``, saying from which epoch (1-based) on
    this module's logger (INFO; WARNING for a checkpoint set aside).

    A checkpoint of a run that had already ended (``max_epochs`` done, more than that, or stopped early) is
    said to be one, never "resuming from epoch 4 of 3": training resumes there only to keep its best epoch,
    trains none, and the run goes on to evaluate (as after an evaluation that was interrupted). The checkpoint
    is opened with ``torch.load(weights_only=True)`` first, so a file planted in a left-over work folder never
    runs code; one that cannot be read that way (damaged, or not irbench's) is renamed to
    ``latest.ckpt.unreadable`` and training starts over, saying so. The best weights beside it (``best.pt``)
    are checked the same way: an unreadable one is set aside as ``best.pt.unreadable`` together with
    ``latest.ckpt`` (whose best epoch would name weights that are gone), and training starts over."""
    latest = Path(latest)
    if not latest.exists():
        return False
    best = latest.with_name("best.pt")
    if best.exists():
        try:
            torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
        except Exception as error:  # damaged, planted or not irbench's: never trusted, never fatal
            best.replace(best.with_name("best.pt.unreadable"))
            latest.replace(latest.with_name("latest.ckpt.unreadable"))
            LOG.warning(f"cannot read the best weights {best} ({type(error).__name__}); they are kept as "
                        "best.pt.unreadable beside latest.ckpt.unreadable, and training starts over")
            return False
    try:
        checkpoint = torch.load(latest, map_location="cpu", weights_only=True)
        completed = max(int(checkpoint["epoch"]) + 1, 0)  # Lightning's 0-based index of the last epoch saved
        states = checkpoint.get("callbacks", {})
        stopped_at = next((state["stopped_at"] for state in states.values()
                           if isinstance(state, dict) and state.get("stopped_at") is not None), None)
    except Exception as error:  # torch raises many kinds for a file that is not a plain checkpoint
        latest.replace(latest.with_name("latest.ckpt.unreadable"))
        LOG.warning(f"cannot resume from {latest} ({type(error).__name__}); it is kept as latest.ckpt.unreadable "
                    "and training starts over")
        return False
    if stopped_at is not None:
        LOG.info(f"training had stopped early at epoch {stopped_at} of {max_epochs} (checkpoint {latest}); keeping "
            "its best epoch")
    elif completed > max_epochs:  # a checkpoint of a longer run (the baseline's epochs lowered since)
        LOG.info(f"training had finished: {completed} epochs done, more than the {max_epochs} asked for "
                 f"(checkpoint {latest}); nothing left to train, evaluating its best epoch")
    elif completed == max_epochs:  # e.g. the evaluation after the last epoch was interrupted
        epochs = "its 1 epoch" if max_epochs == 1 else f"all {max_epochs} epochs"  # never "all 1 epochs"
        LOG.info(f"training had finished {epochs} ({completed} of {max_epochs} done, checkpoint "
                 f"{latest}); nothing left to train, evaluating its best epoch")
    else:
        LOG.info(f"resuming from epoch {completed + 1} of {max_epochs} ({completed} done, checkpoint {latest})")
    return True
