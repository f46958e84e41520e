"""Lightning callbacks and helpers of irbench's training loop: per-step seeding, one line per epoch for
logs, and checking a work folder's checkpoint before resuming from it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import lightning as L
import torch


class StepSeeder(L.Callback):
    """Reseeds torch (dropout masks) before every training step from (seed, step), so the random numbers a
    step uses never depend on what ran before it (a resumption, a validation)."""

    def __init__(self, seed: int):
        self.seed = seed

    def on_train_batch_start(self, trainer, module, batch, batch_index):
        """``torch.manual_seed`` from (seed, global step)."""
        torch.manual_seed(self.seed * 1_000_003 + trainer.global_step)


class EpochLines(L.Callback):
    """One line per finished epoch (``epoch 3/40: train_loss 0.52, val_loss 0.61, 4.1 s``) through ``say``,
    for output that is not a terminal (a log file, a Slurm job): a progress bar would be redrawn there."""

    def __init__(self, max_epochs: int, say: Callable[[str], None]):
        self.max_epochs, self.say = max_epochs, say
        self._started = time.perf_counter()

    def on_train_epoch_start(self, trainer, module):
        """Start the epoch's clock."""
        self._started = time.perf_counter()

    def on_train_epoch_end(self, trainer, module):
        """Print the epoch's losses and seconds."""
        losses = ", ".join(f"{name} {float(value):.4f}" for name, value in sorted(trainer.callback_metrics.items())
                           if name.endswith("loss"))
        self.say(f"epoch {trainer.current_epoch + 1}/{self.max_epochs}: {losses or 'no loss yet'}, "
                 f"{time.perf_counter() - self._started:.1f} s")


class BestWeights(L.Callback):
    """Keeps the weights of the epoch with the lowest validation loss in ``best.pt`` (``torch.save`` of the
    state dict, written atomically), with the epoch and score in its own state, which Lightning stores in
    every ``latest.ckpt``. A resumed run therefore knows its best epoch so far, and a ``best.pt`` newer than
    the checkpoint it resumes from (written just before a ``kill -9``) is simply written again, identically,
    when training repeats that epoch."""

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
        from irbench.atomic import atomic_path

        with atomic_path(self.path) as temporary:
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


def resume_point(latest: Path, max_epochs: int, say: Callable[[str], None]) -> bool:
    """Whether training resumes from the work folder's ``latest.ckpt``, saying from which epoch.

    The checkpoint is opened with ``torch.load(weights_only=True)`` first, so a file planted in a left-over
    work folder never runs code; one that cannot be read that way (damaged, or not irbench's) is renamed to
    ``latest.ckpt.unreadable`` and training starts over, saying so."""
    latest = Path(latest)
    if not latest.exists():
        return False
    try:
        completed = int(torch.load(latest, map_location="cpu", weights_only=True)["epoch"]) + 1
    except Exception as error:  # torch raises many kinds for a file that is not a plain checkpoint
        latest.replace(latest.with_name("latest.ckpt.unreadable"))
        say(f"cannot resume from {latest} ({type(error).__name__}); it is kept as latest.ckpt.unreadable and "
            "training starts over")
        return False
    say(f"resuming from epoch {completed + 1} of {max_epochs} ({completed} done, checkpoint {latest})")
    return True
