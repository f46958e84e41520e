"""Every built-in baseline through the whole harness, and ``irbench validate`` on each of them.

What the former 6 x 6 baseline x task matrix covered, at a fraction of its cost (it took 15 minutes on
2 cores and asserted little):

- each baseline under each prediction type (single-label, multi-label, masked multi-label): forward shapes,
  one training step, same seed same output, in ``irbench validate`` (``test_validate_passes``), and a short
  fit through Lightning on an in-memory micro task of each type (``test_every_baseline_fits_each_type``);
- each baseline's own front end on real stand-in audio, the cache, Lightning training with its callbacks,
  evaluation and the record: one run per baseline on the micro IRMAS layout (``test_baseline_runs_end_to_end``);
- PANNs Cnn14 and the multi-STFT network run at 1/8 of their channels here (architecture, callbacks and
  heads unchanged); loading pretrained weights by name is tested at full width in test_baselines.py;
- each task's loader and protocol: every task with ``constant`` in ``test_all_tasks.py``.
"""

import numpy as np
import pytest

from irbench.baselines import BASELINES, get_baseline
from irbench.run.runner import RunOptions, run_benchmark
from irbench.task import PredictionType
from irbench.tasks import get_task
from irbench.run.training import fit, predict_dataset
from irbench.validate import _batch, _spec, validate_baseline
from irbench.windowing.dataset import ArrayWindows

BUILT_IN = ("mlp", "vgg", "multistft-panns", "transformer", "cnn14", "constant")
HEAVY = {"multistft-panns", "cnn14"}  # tested at 1/8 width (the narrow_panns fixture)


@pytest.fixture(autouse=True)
def _narrow(request):
    """Heavy models at reduced width in this module (see ``narrow_panns`` in conftest.py)."""
    request.getfixturevalue("narrow_panns")


def test_the_six_built_ins_are_registered():
    assert set(BUILT_IN) <= set(BASELINES.names())


@pytest.mark.parametrize("baseline", BUILT_IN)
def test_validate_passes(baseline):
    failed = [f"{c.name}: {c.detail}" for c in validate_baseline(baseline) if not c.passed]
    assert not failed


@pytest.fixture(scope="module")
def windows():
    """Each baseline's own front end on noise: ``(4, n_features, input_frames)`` windows."""
    return {name: _batch(get_baseline(name)) for name in BUILT_IN}


@pytest.mark.parametrize("prediction_type", list(PredictionType))
@pytest.mark.parametrize("name", BUILT_IN)
def test_every_baseline_fits_each_type(name, prediction_type, windows, tmp_path):
    baseline = get_baseline(name)
    batch = windows[name].numpy()
    features = np.concatenate([batch, batch[::-1]])  # 8 windows: two batches of 4
    targets = np.eye(3, dtype=np.float32)[np.arange(8) % 3]
    mask = np.ones_like(targets)
    if prediction_type is PredictionType.MASKED_MULTI_LABEL:
        mask[::2, 2] = 0
    data = ArrayWindows(features, targets, mask)
    spec = _spec(windows[name], prediction_type)
    model = baseline.assemble(spec, baseline.training).module
    config = baseline.training
    if "max_epochs" in type(config).model_fields:
        config = config.model_copy(update={"max_epochs": 1, "batch_size": 4})
    result = fit(model, prediction_type, data, data, config, 0, "cpu", tmp_path, show_progress=False)
    probabilities = predict_dataset(model, data, prediction_type, "cpu", 4)
    assert probabilities.shape == (8, 3) and np.all((probabilities >= 0) & (probabilities <= 1))
    trainable = any(p.requires_grad for p in model.parameters())
    assert result.epochs == (1 if trainable else 0)


@pytest.mark.parametrize("name", BUILT_IN)
def test_baseline_runs_end_to_end(name, micro_irmas, feature_cache, tmp_path):
    record, _ = run_benchmark(RunOptions("irmas", name, micro_irmas, tmp_path, feature_cache, max_epochs=1,
                                         workers=1, show_progress=False, config=["batch_size=8"]
                                         if name != "constant" else []))
    assert list(record.per_class) == list(get_task("irmas").metadata.labels)
    assert record.n_train + record.n_validation == 22 and record.n_test == 3
    assert 0 <= record.metrics[record.main_score] <= 1
    assert record.training.epochs == (0 if name == "constant" else 1)
    assert record.config.baseline.frontend == get_baseline(name).frontend_name
