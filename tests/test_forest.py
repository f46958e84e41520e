"""OpenMIC-2018's official random-forest baseline as a probe kind: the torch forest gives scikit-learn's
``predict_proba`` on the same trees, masked pairs never train a class, and ``probe:openmic-vggish`` runs it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from helpers import run_cli
from irbench.baselines.forest import ForestNet, fit_forests
from irbench.task import PredictionType


def test_the_torch_forest_gives_scikit_learns_probabilities():
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 12)).astype(np.float32)
    targets = np.stack([features[:, 0] + 0.3 * rng.normal(size=300) > 0, features[:, 1] * features[:, 2] > 0], 1)
    mask = np.ones_like(targets, dtype=np.float32)
    mask[:100, 1] = 0  # the second class's label is unobserved for 100 clips
    model = ForestNet(2, 20, 5, PredictionType.MULTI_LABEL)
    notes = fit_forests(model, features, targets.astype(np.float32), mask, seed=3)
    assert notes["per_class"][1]["clips"] == 200
    probabilities = model.probabilities(torch.from_numpy(features)).numpy()
    for c, rows in ((0, slice(None)), (1, slice(100, None))):
        reference = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=3 + c, n_jobs=1)
        reference.fit(features[rows], targets[rows, c].astype(int))
        np.testing.assert_allclose(probabilities[:, c], reference.predict_proba(features)[:, 1], atol=1e-6)
    windows = torch.from_numpy(np.repeat(features[:, :, None], 4, axis=2))  # 4 identical frames average to it
    np.testing.assert_allclose(torch.sigmoid(model(windows)).numpy(), np.clip(probabilities, 1e-6, 1 - 1e-6),
                               atol=1e-5)


def test_a_class_with_one_label_value_gets_a_constant_forest():
    model = ForestNet(1, 5, 3, PredictionType.MULTI_LABEL)
    fit_forests(model, np.zeros((10, 4), np.float32), np.zeros((10, 1), np.float32), np.ones((10, 1)), seed=0)
    assert float(model.probabilities(torch.ones(3, 4)).max()) == 0.0


def test_openmic_s_official_random_forest_runs_on_its_vggish_features(tmp_path, monkeypatch, capsys, stand_in):
    home = stand_in("openmic")
    args = ("--task", "openmic", "--baseline", "probe:openmic-vggish", "--data-home", str(home),
            "--results-dir", str(tmp_path / "results"), "--cache-dir", str(tmp_path / "cache"),
            "--config", "probe=random-forest", "--config", "n_estimators=20")
    code, _, err = run_cli(monkeypatch, capsys, "run", *args)
    assert code == 0, err
    (path,) = (tmp_path / "results").rglob("seed-0.json")
    record = json.loads(path.read_text())
    notes = record["config"]["baseline"]["notes"]
    assert notes["probe"] == "random-forest" and "selection" not in notes
    assert len(notes["forest"]["per_class"]) == 20 and record["training"]["epochs"] == 0
    clip = next(iter(sorted((home / "audio").rglob("*.ogg"))))
    code, out, err = run_cli(monkeypatch, capsys, "predict", str(clip), "--run", str(path), "--format", "json")
    assert code == 2 and "vggish" in err.lower() and "Traceback" not in err  # read from files, not from audio
    code, _, err = run_cli(monkeypatch, capsys, "run", *args, "--seed", "0", "--overwrite")
    assert code == 0, err
    assert json.loads(path.read_text())["metrics"] == record["metrics"]  # same seed, same forests


@pytest.mark.parametrize("pooling", ["mean+max"])
def test_a_forest_takes_time_averages_only(pooling, tmp_path, monkeypatch, capsys, stand_in):
    code, _, err = run_cli(monkeypatch, capsys, "run", "--task", "openmic", "--baseline", "probe:openmic-vggish",
                           "--data-home", str(stand_in("openmic")), "--results-dir", str(tmp_path / "r"),
                           "--cache-dir", str(tmp_path / "c"), "--config", "probe=random-forest",
                           "--config", f"pooling={pooling}")
    assert code == 2 and "pooling=mean" in err
