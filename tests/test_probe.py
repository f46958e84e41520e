"""probe-v1 (``probe:<embedder>``): a HEAR module the tests have never seen, written into ``tmp_path``, runs as
a baseline; its embeddings are computed once and reused by every seed and learning rate; the record names
the module and what the probe chose on validation; a constant embedder cannot beat the floor."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hear_modules import hear_module
from helpers import run_cli
from irbench.baselines import get_baseline
from irbench.errors import ConfigError
from irbench.features.embedding import EmbeddingFrontend, grid_frames, measure_hop
from irbench.run.selection import fit_selected, grid_points

COUNTING = '''
"""A HEAR module that counts its calls in a file next to it and embeds 25-ms frames by {how}."""
import pathlib
import torch

SAMPLE_RATE, HOP = 16000, 400
CALLS = pathlib.Path(__file__).with_suffix(".calls")


class Model(torch.nn.Module):
    sample_rate = SAMPLE_RATE
    scene_embedding_size = timestamp_embedding_size = 6


def load_model(model_file_path=""):
    return Model()


def get_timestamp_embeddings(audio, model):
    with CALLS.open("a") as calls:
        calls.write(f"{{audio.shape[1]}}\\n")
    frames = audio.unfold(1, HOP, HOP)  # (n, frames, HOP)
    spectrum = torch.fft.rfft(frames, dim=-1).abs()
    bands = torch.stack([spectrum[..., k * 33:(k + 1) * 33].mean(-1) for k in range(6)], dim=-1)
    embeddings = {embedding}
    timestamps = (torch.arange(frames.shape[1]) * HOP + HOP / 2) * 1000.0 / SAMPLE_RATE
    return embeddings, timestamps.expand(audio.shape[0], -1)


def get_scene_embeddings(audio, model):
    return get_timestamp_embeddings(audio, model)[0].mean(1)
'''


def counting_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, constant: bool = False) -> Path:
    """Write a never-seen HEAR module ``name`` into ``tmp_path`` (on ``sys.path``); returns its call log."""
    import sys

    folder = tmp_path / "unseen"
    folder.mkdir(exist_ok=True)
    embedding = "torch.ones_like(bands)" if constant else "torch.log10(bands + 1e-6)"
    source = COUNTING.format(how="nothing (constant)" if constant else "6 log band magnitudes",
                             embedding=embedding)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return folder / f"{name}.calls"


def calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def test_an_unseen_hear_module_runs_as_a_probe_and_seeds_reuse_its_cached_embeddings(
        tmp_path, monkeypatch, capsys, tiny_irmas):
    log = counting_module(tmp_path, monkeypatch, "irbench_unseen_probe_module")
    common = ("--task", "irmas", "--baseline", "probe:hear:irbench_unseen_probe_module",
              "--data-home", str(tiny_irmas), "--results-dir", str(tmp_path / "results"),
              "--cache-dir", str(tmp_path / "cache"), "--max-epochs", "2", "--workers", "2")
    code, _, err = run_cli(monkeypatch, capsys, "run", *common, "--seed", "0")
    assert code == 0, err
    first = calls(log)
    n_files = len(list(tiny_irmas.rglob("*.wav")))
    assert first >= n_files  # every file embedded once (plus the hop measurement)

    code, _, err = run_cli(monkeypatch, capsys, "run", *common, "--seed", "1")
    assert code == 0, err
    assert calls(log) - first == 1  # seed 1 measured the hop and read every embedding from the cache

    records = sorted((tmp_path / "results" / "irmas").rglob("seed-*.json"))
    assert [p.name for p in records] == ["seed-0.json", "seed-1.json"]
    assert records[0].parent.parent.name == "probe+hear+irbench_unseen_probe_module"
    record = read(records[1])
    assert record["baseline"] == "probe:hear:irbench_unseen_probe_module"
    notes = record["config"]["baseline"]["notes"]
    assert notes["protocol"] == "probe-v1" and notes["embedder"]["hear_module"] == "irbench_unseen_probe_module"
    assert record["config"]["baseline"]["frontend_config"]["hop_length"] == 400
    assert record["config"]["baseline"]["input_frames"] == 120  # 3 s at 40 frames per second
    selection = notes["selection"]
    losses = [trial["best_validation_loss"] for trial in selection["trials"]]
    assert len(losses) == 4 and selection["chosen"] == selection["trials"][int(np.argmin(losses))]["values"]
    assert record["training"]["best_validation_loss"] == pytest.approx(min(losses))

    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(tmp_path / "results"),
                           "--out", str(tmp_path / "reports"), "--format", "markdown")
    assert code == 0, err
    (page,) = (tmp_path / "reports").glob("*.md")
    text = page.read_text()
    probe_table = text[text.index("probe-v1 track"):].replace("\\_", "_")  # Markdown escapes underscores
    assert "irbench_unseen_probe_module" in probe_table and "supervised track" not in probe_table


def test_the_same_seed_gives_identical_probe_metrics(tmp_path, monkeypatch, capsys, tiny_irmas):
    counting_module(tmp_path, monkeypatch, "irbench_repeat_probe_module")
    metrics = []
    for attempt in range(2):
        code, _, err = run_cli(monkeypatch, capsys, "run", "--task", "irmas", "--baseline",
                               "probe:hear:irbench_repeat_probe_module", "--data-home", str(tiny_irmas),
                               "--results-dir", str(tmp_path / f"results-{attempt}"),
                               "--cache-dir", str(tmp_path / "cache"), "--max-epochs", "2", "--seed", "3")
        assert code == 0, err
        (path,) = (tmp_path / f"results-{attempt}").rglob("seed-3.json")
        record = read(path)
        metrics.append((record["metrics"], record["per_class"], record["config"]["baseline"]["notes"]["selection"]))
    assert metrics[0] == metrics[1]


def test_a_constant_embedder_predicts_the_same_for_every_clip_and_cannot_beat_the_floor(
        tmp_path, monkeypatch, capsys, tiny_irmas):
    counting_module(tmp_path, monkeypatch, "irbench_constant_probe_module", constant=True)
    scores = {}
    for baseline in ("probe:hear:irbench_constant_probe_module", "constant"):
        code, _, err = run_cli(monkeypatch, capsys, "run", "--task", "irmas", "--baseline", baseline,
                               "--data-home", str(tiny_irmas), "--results-dir", str(tmp_path / "results"),
                               "--cache-dir", str(tmp_path / "cache"), "--max-epochs", "3")
        assert code == 0, err
        (path,) = (tmp_path / "results" / "irmas").glob(f"{baseline.replace(':', '+')}/*/seed-0.json")
        scores[baseline] = read(path)
        with path.with_name("seed-0.predictions.csv").open(newline="") as table:
            probabilities = {tuple(v for k, v in row.items() if k.startswith("score_"))
                             for row in csv.DictReader(table)}
        assert len(probabilities) == 1, f"{baseline}: a model that sees nothing scored clips differently"
    probe = scores["probe:hear:irbench_constant_probe_module"]
    assert probe["metrics"]["micro_f1"] <= scores["constant"]["metrics"]["micro_f1"] + 0.05


def test_embeddings_are_placed_on_the_grid_by_nearest_timestamp():
    embeddings = np.arange(12, dtype=np.float32).reshape(4, 3)  # frames at 12.5, 37.5, 62.5, 87.5 ms
    placed = grid_frames(embeddings, np.array([12.5, 37.5, 62.5, 87.5]), n_frames=5, hop_ms=25.0)
    assert placed.shape == (3, 5)
    # grid centres 0, 25, 50, 75, 100 ms: nearest embeddings 0, 0 (tie to the earlier), 1, 2, 3
    np.testing.assert_array_equal(placed[0], [0, 0, 3, 6, 9])


def test_long_files_are_embedded_in_chunks_that_match_a_whole_pass_away_from_their_edges(tmp_path, monkeypatch):
    name = hear_module(tmp_path, monkeypatch, "clean")
    baseline = get_baseline(f"probe:hear:{name}")
    baseline.configure(baseline.training)
    config = baseline.frontend_config
    assert (config.hop_length, config.first_timestamp_ms) == (160, 10.0)
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 16000 * 5)).astype(np.float32)
    import torch

    whole = EmbeddingFrontend(config)(torch.from_numpy(audio)).numpy()
    chunked = EmbeddingFrontend(config.model_copy(update={"chunk_seconds": 2.0}))(torch.from_numpy(audio)).numpy()
    assert whole.shape == chunked.shape == (1, 4, 1 + audio.shape[1] // 160)
    inside = np.r_[5:190, 210:390]  # frames at least 50 ms from the chunk boundaries at 2 s and 3 s
    np.testing.assert_array_equal(whole[0][:, inside], chunked[0][:, inside])


def test_the_hop_is_measured_from_the_embedders_timestamps(tmp_path, monkeypatch):
    from irbench.embedders import get_embedder

    hop, first = measure_hop(get_embedder(f"hear:{hear_module(tmp_path, monkeypatch, 'clean')}", device="cpu"))
    assert (hop, first) == (160, 10.0)


class _Fit:
    def __init__(self, loss):
        self.best_validation_loss, self.best_epoch, self.epochs, self.stopped_early = loss, 1, 1, False


def test_selection_keeps_the_lowest_validation_loss_and_ties_go_to_the_first(tmp_path):
    from irbench.baselines.probe import ProbeConfig

    losses = {3.2e-3: 0.9, 1e-3: 0.5, 3.2e-4: 0.5, 1e-4: 0.7}
    seen = []

    def train_one(config, folder):
        seen.append((config.learning_rate, folder.name))
        return f"model-{config.learning_rate}", _Fit(losses[config.learning_rate])

    selected = fit_selected(ProbeConfig(), {"learning_rate": list(losses)}, tmp_path, train_one, True)
    assert selected.built == "model-0.001" and selected.summary["chosen"] == {"learning_rate": 1e-3}
    assert [folder for _, folder in seen] == ["trial-0", "trial-1", "trial-2", "trial-3"]
    with pytest.raises(ConfigError, match="validation windows"):
        fit_selected(ProbeConfig(), {"learning_rate": [1e-3]}, tmp_path, train_one, False)
    with pytest.raises(ConfigError, match="does not have"):
        fit_selected(ProbeConfig(), {"dropout": [0.1]}, tmp_path, train_one, True)
    assert grid_points({"a": [1, 2], "b": ["x"]}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]


def test_a_probe_of_no_embedder_is_a_clear_error(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "run", "--task", "irmas", "--baseline", "probe:nosuch",
                           "--data-home", str(tmp_path))
    assert code == 2 and "nosuch" in err and "Traceback" not in err


def test_openmic_ships_vggish_features_that_a_probe_reads_without_audio_models(
        tmp_path, monkeypatch, capsys, stand_in):
    from irbench.features.openmic_vggish import OpenMicVggish, vggish_file
    from irbench.tasks.openmic import read_vggish

    home = stand_in("openmic")
    with np.load(home / "openmic-2018.npz") as npz:
        assert npz["X"].dtype == np.uint8 and npz["X"].shape[1:] == (10, 128)
        assert npz["Y_true"].shape == npz["Y_mask"].shape == (len(npz["sample_key"]), 20)
        key = str(npz["sample_key"][0])
        times, features = read_vggish(home / "vggish" / key[:3] / f"{key}.json")
        np.testing.assert_array_equal(npz["X"][0], features)
    assert times[1] - times[0] == pytest.approx(0.96)
    audio = home / "audio" / key[:3] / f"{key}.ogg"
    assert vggish_file(audio).is_file()
    assert OpenMicVggish().file_features(audio).shape == (128, 10)

    code, _, err = run_cli(monkeypatch, capsys, "run", "--task", "openmic", "--baseline", "probe:openmic-vggish",
                           "--data-home", str(home), "--results-dir", str(tmp_path / "results"),
                           "--cache-dir", str(tmp_path / "cache"), "--max-epochs", "2")
    assert code == 0, err
    (path,) = (tmp_path / "results" / "openmic").rglob("seed-0.json")
    record = read(path)
    assert record["config"]["baseline"]["frontend"] == "openmic-vggish"
    assert record["config"]["baseline"]["input_frames"] == 10  # the whole 9.6 s of VGGish patches
    assert record["config"]["baseline"]["notes"]["embedder"]["name"] == "openmic-vggish"


def test_the_real_openmic_vggish_file_reads_as_features(real_openmic_root):
    from irbench.features.openmic_vggish import OpenMicVggish

    audio = real_openmic_root / "audio" / "000" / "000046_3840.ogg"
    features = OpenMicVggish().file_features(audio)
    assert features.shape == (128, 10) and 0 <= features.min() and features.max() <= 255


def test_a_dataset_s_own_features_on_another_task_is_a_clear_error(tmp_path, monkeypatch, capsys, micro_irmas):
    code, _, err = run_cli(monkeypatch, capsys, "run", "--task", "irmas", "--baseline", "probe:openmic-vggish",
                           "--data-home", str(micro_irmas), "--results-dir", str(tmp_path / "results"),
                           "--cache-dir", str(tmp_path / "cache"))
    assert code == 2 and "Traceback" not in err
    assert "VGGish" in err or "openmic" in err


def test_validate_probe_refuses_an_embedder_whose_embeddings_depend_on_the_batch(tmp_path, monkeypatch, capsys):
    leaky = hear_module(tmp_path, monkeypatch, "batch_max")
    code, out, _ = run_cli(monkeypatch, capsys, "validate", f"probe:hear:{leaky}", "--config", "device=cpu")
    assert code == 1
    failed = [line for line in out.splitlines() if "FAILED" in line]
    assert any("batch" in line for line in failed), out
    clean = hear_module(tmp_path, monkeypatch, "clean")
    code, out, _ = run_cli(monkeypatch, capsys, "validate", f"probe:hear:{clean}", "--config", "device=cpu")
    assert code == 0 and "FAILED" not in out, out
