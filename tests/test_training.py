import numpy as np
import pytest
import torch

from irbench.baselines.base import TrainingConfig
from irbench.baselines.networks.vgg import VGGNet
from irbench.errors import ConfigError, TrainingDivergedError
from irbench.run.overrides import apply_overrides
from irbench.task import PredictionType
from irbench.run.training import fit, loss_function, resolve_device
from irbench.windowing.dataset import ArrayWindows


def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 32, 32)).astype(np.float32)
    labels = rng.integers(0, 3, n)
    x[np.arange(n), labels * 8, :] += 3.0  # a learnable cue
    return ArrayWindows(x, np.eye(3, dtype=np.float32)[labels])


def _fit(tmp_path, epochs, callbacks=(), **settings):
    torch.manual_seed(0)
    model = VGGNet(3, (32, 32))
    config = TrainingConfig(**{"max_epochs": epochs, "batch_size": 16, "patience": 50, **settings})
    result = fit(model, PredictionType.SINGLE_LABEL, _data(70, 0), _data(20, 1), config, 0, "cpu", tmp_path,
                 show_progress=False, callbacks=callbacks)
    return model, result


def _stop_at(epoch):
    import lightning as L

    class Stop(L.Callback):
        def on_train_epoch_start(self, trainer, module):
            if trainer.current_epoch == epoch:
                raise KeyboardInterrupt

    return Stop()


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
    reference, result = _fit(tmp_path / "whole", 4)
    assert result.epochs == 4 and not result.resumed
    with pytest.raises(KeyboardInterrupt):
        _fit(tmp_path / "cut", 4, callbacks=(_stop_at(2),))
    assert (tmp_path / "cut/latest.ckpt").exists()
    resumed, result = _fit(tmp_path / "cut", 4)
    assert result.resumed and result.epochs == 4
    for (name, a), b in zip(reference.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_the_best_epoch_is_kept(tmp_path):
    _, result = _fit(tmp_path, 3)
    assert result.best_epoch is not None and 1 <= result.best_epoch <= 3 and result.best_validation_loss > 0
    assert (result.max_epochs, result.patience) == (3, 50)


def test_losses_follow_the_prediction_type():
    logits = torch.tensor([[2.0, -1.0], [0.0, 3.0]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    single = loss_function(PredictionType.SINGLE_LABEL)(logits, targets, mask)
    multi = loss_function(PredictionType.MULTI_LABEL)(logits, targets, mask)
    masked = loss_function(PredictionType.MASKED_MULTI_LABEL)(logits, targets, mask)
    assert torch.isclose(single, torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1])))
    assert torch.isclose(multi, torch.nn.functional.binary_cross_entropy_with_logits(logits, targets))
    pairs = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    assert torch.isclose(masked, (pairs[0, 0] + pairs[1, 0] + pairs[1, 1]) / 3)


def test_an_unobserved_pair_gets_no_gradient():
    logits = torch.zeros(1, 2, requires_grad=True)
    loss_function(PredictionType.MASKED_MULTI_LABEL)(logits, torch.ones(1, 2), torch.tensor([[1.0, 0.0]])).backward()
    assert logits.grad[0, 0] != 0 and logits.grad[0, 1] == 0


def test_overrides_are_typed_and_checked():
    config = apply_overrides(TrainingConfig(), ["learning_rate=0.01", "batch_size=8"], max_epochs=3)
    assert (config.learning_rate, config.batch_size, config.max_epochs) == (0.01, 8, 3)
    for bad in (["batch_size=eight"], ["batch_size=0"], ["nonsense"], ["lr=1"]):
        with pytest.raises(ConfigError):
            apply_overrides(TrainingConfig(), bad, None)


def test_device_resolution():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            resolve_device("cuda")


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0"])
def test_non_finite_or_non_positive_learning_rates_are_refused_up_front(value):
    with pytest.raises(ConfigError, match="learning_rate"):
        apply_overrides(TrainingConfig(), [f"learning_rate={value}"], None)


def test_a_diverging_run_stops_at_the_first_non_finite_loss(tmp_path):
    with pytest.raises(TrainingDivergedError, match=r"epoch 1 of 5, step \d+.*learning_rate=1e\+11"):
        _fit(tmp_path, 5, learning_rate=1e12)
    assert not (tmp_path / "best.pt").exists()  # stopped inside the first epoch, nothing trained to the end
