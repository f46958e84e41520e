"""Early stopping is visible and epochs count from 1: the kept epoch, where training stopped, the resume
message and the progress bar, on a linear model that trains in milliseconds per epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from irbench.baselines.base import TrainingConfig
from irbench.store.record_parts import TrainingSummary
from irbench.task import PredictionType
from irbench.run.training import FitResult, fit
from irbench.windowing.dataset import ArrayWindows
from irbench.logs import messages_to


def _data(n: int, seed: int, shift: int = 0) -> ArrayWindows:
    """Windows ``(n, 32, 32)`` whose class shows as a bright row; ``shift`` relabels every class as the next
    one, so a validation set with ``shift=1`` gets worse the better the model learns the training set."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 32, 32)).astype(np.float32)
    labels = rng.integers(0, 3, n)
    x[np.arange(n), labels * 8, :] += 3.0
    return ArrayWindows(x, np.eye(3, dtype=np.float32)[(labels + shift) % 3])


def _fit(work, epochs: int, patience: int, shift: int, said: list | None = None, callbacks=()) -> FitResult:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(32 * 32, 3))
    config = TrainingConfig(max_epochs=epochs, batch_size=16, patience=patience)
    with messages_to(lambda message, level: said.append(message) if said is not None else None):
        return fit(model, PredictionType.SINGLE_LABEL, _data(70, 0), _data(20, 1, shift), config, 0, "cpu", work,
                   show_progress=said is not None, callbacks=callbacks)


def _summary(result: FitResult) -> TrainingSummary:
    return TrainingSummary(epochs=result.epochs, best_epoch=result.best_epoch, stopped_early=result.stopped_early,
                           n_parameters=3075, max_epochs=result.max_epochs, patience=result.patience)


def test_validation_loss_that_never_improves_keeps_epoch_1_and_says_so(tmp_path):
    said = []
    result = _fit(tmp_path, epochs=10, patience=3, shift=1, said=said)
    assert result.best_epoch == 1 and result.stopped_early and result.epochs == 1 + 3
    assert (result.max_epochs, result.patience) == (10, 3)
    assert [line.split(":")[0] for line in said] == ["epoch 1/10", "epoch 2/10", "epoch 3/10", "epoch 4/10"]
    assert _summary(result).stopping_note() == ("validation loss never improved after epoch 1; stopped early at "
                                                "epoch 4 of 10 (patience 3); kept epoch 1")


def test_a_run_that_improves_to_its_last_epoch_keeps_it_and_says_nothing(tmp_path):
    result = _fit(tmp_path, epochs=3, patience=50, shift=0)
    assert (result.epochs, result.best_epoch, result.stopped_early) == (3, 3, False)
    assert _summary(result).stopping_note() is None


def test_a_run_resumed_after_it_stopped_early_trains_no_further_epoch(tmp_path):
    first = _fit(tmp_path, epochs=10, patience=2, shift=1)
    assert (tmp_path / "latest.ckpt").exists() and first.stopped_early  # as if killed before its record
    said = []
    again = _fit(tmp_path, epochs=10, patience=2, shift=1, said=said)
    assert again.resumed and (again.epochs, again.best_epoch, again.stopped_early) == (first.epochs, 1, True)
    assert said == [f"training had stopped early at epoch {first.epochs} of 10 (checkpoint "
                    f"{tmp_path / 'latest.ckpt'}); keeping its best epoch"]


def test_resuming_a_finished_run_never_names_an_epoch_past_the_last(tmp_path):
    first = _fit(tmp_path, epochs=2, patience=50, shift=0)
    said = []
    again = _fit(tmp_path, epochs=2, patience=50, shift=0, said=said)
    assert again.resumed and (again.epochs, again.best_epoch) == (first.epochs, first.best_epoch) == (2, 2)
    assert len(said) == 1 and "finished all 2 epochs" in said[0] and "epoch 3" not in said[0]


def test_an_interrupted_run_resumes_from_the_next_1_based_epoch(tmp_path):
    import lightning as L

    class Stop(L.Callback):
        def on_train_epoch_start(self, trainer, module):
            if trainer.current_epoch == 2:  # Lightning's index: epochs 1 and 2 are done
                raise KeyboardInterrupt

    from irbench.errors import TrainingInterrupted

    with pytest.raises((KeyboardInterrupt, TrainingInterrupted)):
        _fit(tmp_path, epochs=4, patience=50, shift=0, callbacks=(Stop(),))
    said = []
    _fit(tmp_path, epochs=4, patience=50, shift=0, said=said)
    assert said[0].startswith("resuming from epoch 3 of 4 (2 done")
    assert [line.split(":")[0] for line in said[1:]] == ["epoch 3/4", "epoch 4/4"]


@pytest.mark.filterwarnings("ignore:The `srun` command is available")  # its own Trainer, on a Slurm machine
def test_the_progress_bar_counts_epochs_from_1(tmp_path):
    import lightning as L
    from irbench.run.callbacks import EpochBar

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch, _):
            return self.layer(batch[0]).square().mean()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    bar, shown = EpochBar(), []

    class Look(L.Callback):  # after the bar's own hook: what the bar shows during the epoch
        def on_train_epoch_start(self, trainer, module):
            shown.extend(task.description for task in bar.progress.tasks if task.id == bar.train_progress_bar_id)

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(8, 4)), batch_size=4)
    trainer = L.Trainer(max_epochs=3, callbacks=[bar, Look()], logger=False, enable_checkpointing=False,
                        enable_model_summary=False, default_root_dir=tmp_path, accelerator="cpu")
    trainer.fit(Module(), train_dataloaders=data)
    assert [text.strip() for text in shown] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
