"""The tagger contract, ``irbench validate`` and ``irbench list`` for taggers, the built-in
``cnn14-audioset`` (random weights: no download), the AudioSet label names it ships, and label maps: every
built-in map checked against the real AudioSet names and the tasks' classes, third-party maps from files,
the shipped example tagger through its entry point. No network, CPU only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import run_cli
from irbench.errors import ConfigError, UnknownNameError
from irbench.taggers import TAGGERS, Tagger, TaggerError, check_tagger, get_tagger
from irbench.taggers.audioset import audioset_labels
from irbench.taggers.label_maps import BUILTIN, LabelMap, label_map
from irbench.taggers.validate import run_tagger_checks
from irbench.tasks import TASKS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPOSITORY = Path(__file__).resolve().parent.parent
EXAMPLE = REPOSITORY / "examples/tagger-example"


class Energy(Tagger):
    """A clean tagger: per clip, the share of power in each half of the signal and its mean |sample|."""

    name, version, sample_rate, labels = "energy", "0.1", 16000, ("first half", "second half", "level")

    def compute(self, audio):
        half = audio.shape[1] // 2
        power = audio.square()
        total = power.sum(dim=1, keepdim=True) + 1e-12
        shares = torch.stack([power[:, :half].sum(1), power[:, half:].sum(1)], 1) / total
        return torch.cat([shares, audio.abs().mean(1, keepdim=True)], 1)


class WrongShape(Energy):
    def compute(self, audio):
        return super().compute(audio)[:, :2]


class Logits(Energy):
    def compute(self, audio):
        return 10 * super().compute(audio) - 3  # scores outside [0, 1]: a missing sigmoid


class Nan(Energy):
    def compute(self, audio):
        return super().compute(audio) * float("nan")


class BatchMax(Energy):
    def compute(self, audio):
        return super().compute(audio / audio.abs().max())  # normalised by the batch's loudest sample


class Noisy(Energy):
    def compute(self, audio):
        return (super().compute(audio) + 1e-3 * torch.rand(audio.shape[0], 3)).clamp(0, 1)


class Deaf(Energy):
    def compute(self, audio):
        return torch.full((audio.shape[0], 3), 0.5)


class Repeated(Energy):
    labels = ("piano", "piano", "")


def failed(tagger: Tagger) -> dict[str, str]:
    """Failed check name -> what it found."""
    return {check.name: check.found for check in run_tagger_checks(tagger) if not check.passed}


def test_a_clean_tagger_passes_and_each_breach_fails_the_check_that_names_it():
    assert failed(Energy()) == {}
    assert "scores must be (batch, labels) = (2, 3), got shape (2, 2)" in failed(WrongShape())[
        "scores (batch, labels) in [0, 1], finite (noise and silence)"]
    assert "scores must lie in [0, 1], found -3 to" in "".join(failed(Logits()).values())
    assert "NaN or infinite scores for clip(s) 0, 1" in "".join(failed(Nan()).values())
    batch = failed(BatchMax())
    assert list(batch) == ["batch independence: a clip alone and in a batch"]
    assert "of the scores' RMS (tolerance 0.001)" in batch["batch independence: a clip alone and in a batch"]
    assert "two identical calls, identical scores" in failed(Noisy())
    assert "max |difference|" in failed(Noisy())["two identical calls, identical scores"]
    assert list(failed(Deaf())) == ["the audio is used: noise and silence score differently"]
    contract = failed(Repeated())["declares name, version, sample rate, labels, weights"]
    assert "label 2 is ''" in contract and "labels repeat: 'piano'" in contract


def test_predict_checks_the_audio_and_the_scores_naming_the_tagger():
    with pytest.raises(TaggerError, match="tagger 'energy': scores must lie in \\[0, 1\\]"):
        Logits().predict(np.zeros((1, 1600), np.float32) + 0.1)
    with pytest.raises(ValueError, match="tagger 'energy'.*must lie in \\[-1, 1\\]"):
        Energy().predict(np.full((1, 1600), 2.0, np.float32))
    scores = Energy().predict(np.linspace(0, 0.5, 1600, dtype=np.float64)[None])
    assert scores.shape == (1, 3) and scores.dtype == np.float32 and scores[0, 1] > scores[0, 0]
    assert Energy().describe() == {"name": "energy", "version": "0.1", "sample_rate": 16000, "n_labels": 3,
                                   "weights_sha256": None}


def test_the_audioset_label_names_are_the_527_in_panns_order():
    labels = audioset_labels()
    assert len(labels) == 527 == len(set(labels)) and labels[0] == "Speech"
    for name in ("Piano", "Violin, fiddle", "Cello", "Clarinet", "Flute", "Saxophone", "Trumpet", "Organ",
                 "Acoustic guitar", "Electric guitar", "Singing"):
        assert name in labels
    assert labels.index("Music") == 137 and labels[-1] == "Field recording"


@pytest.fixture(scope="module")
def cnn14_tagger():
    return get_tagger("cnn14-audioset", weights="random", seed="0", device="cpu")


def test_cnn14_audioset_with_random_weights_scores_527_classes(cnn14_tagger, tmp_path, monkeypatch):
    t = cnn14_tagger
    assert (t.sample_rate, t.labels, t.weights_sha256) == (32000, audioset_labels(), None)
    assert t.version.endswith("random-init-seed-0") and t.describe()["n_labels"] == 527
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 32000)).astype(np.float32)
    scores = t.predict(audio)
    assert scores.shape == (2, 527) and 0 <= scores.min() and scores.max() <= 1
    assert np.array_equal(scores, t.predict(audio.copy())) and not np.array_equal(scores[0], scores[1])
    with pytest.raises(TaggerError, match="cnn14-audioset.*shorter than Cnn14's 9920 samples"):
        t.predict(audio[:, :9000])
    monkeypatch.delenv("IRBENCH_CNN14_CHECKPOINT", raising=False)
    with pytest.raises(TaggerError, match="cnn14-audioset: no PANNs Cnn14 weights.*irbench data download cnn14-weights"):
        get_tagger("cnn14-audioset", cache_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="tagger 'cnn14-audioset' takes no option 'checkpoint'.*known: weights"):
        get_tagger("cnn14-audioset", checkpoint="x")


def test_cli_validates_and_lists_taggers(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "validate", "cnn14-audioset", "--config", "weights=random")
    assert code == 0, out
    assert "all 5 checks ok" in out and "527 unique labels" in out and "batch independence" in out
    code, out, _ = run_cli(monkeypatch, capsys, "list", "taggers")
    assert code == 0 and "cnn14-audioset" in out
    code, _, err = run_cli(monkeypatch, capsys, "validate", "cnn14-audioset", "--config", "colour=red")
    assert code == 2 and "colour" in err


def test_unknown_taggers_and_registrations_that_are_not_taggers_are_refused():
    with pytest.raises(UnknownNameError, match="Did you mean 'cnn14-audioset'"):
        get_tagger("cnn14-audiosett")
    assert "not a subclass of irbench.taggers.Tagger" in check_tagger(Energy())
    assert "abstract methods unimplemented: compute" in check_tagger(Tagger)
    assert check_tagger(Energy) is None


def test_import_irbench_taggers_and_label_maps_import_no_torch():
    code = ("import sys, irbench.taggers; from irbench.taggers.label_maps import label_map; "
            "label_map('cnn14-audioset', 'irmas'); print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("task", ["irmas", "openmic", "medley-solos", "medley-solos-binary", "musicnet",
                                  "musicnet-instruments"])
def test_every_builtin_map_fits_audioset_and_the_task(task):
    classes = TASKS.get(task).metadata.labels
    found = label_map("cnn14-audioset", task)
    assert found is BUILTIN[("cnn14-audioset", task)]
    assert found.problems(audioset_labels(), classes) == []
    assert set(found.classes) | set(found.unmapped) == set(classes)
    plain = found.describe()
    assert json.loads(json.dumps(plain)) == plain and plain["source"] == "irbench"


def test_label_maps_name_each_problem_and_compute_the_largest_score():
    labels, classes = ("Piano", "Electric piano", "Cello"), ("pia", "cel", "obo")
    good = LabelMap("t", "k", {"pia": ("Piano", "Electric piano"), "cel": ("Cello",)}, unmapped=("obo",))
    assert good.problems(labels, classes) == []
    scores = np.array([[0.2, 0.7, 0.1], [0.9, 0.3, 0.4]])
    np.testing.assert_allclose(good.apply(scores, labels, classes, fill=-1),
                               [[0.7, 0.1, -1], [0.9, 0.4, -1]], rtol=1e-6)
    assert np.isnan(good.apply(scores, labels, classes)[:, 2]).all()
    bad = LabelMap("t", "k", {"pia": ("Pianoforte",), "cel": (), "vio": ("Cello",)}, unmapped=("pia",))
    problems = " | ".join(bad.problems(labels, classes))
    for text in ("label 'Pianoforte' is not a label of tagger 't'", "class 'cel' maps to no label",
                 "class 'vio' is not a class of task 'k'", "class 'pia' is both mapped and unmapped",
                 "class 'obo' of task 'k' is neither mapped nor listed unmapped"):
        assert text in problems
    with pytest.raises(ConfigError, match="label map irbench \\(t x k\\): .*Pianoforte"):
        bad.check(labels, classes)


def test_label_maps_from_json_and_toml_files_are_checked_and_named(tmp_path):
    data = {"tagger": "cnn14-audioset", "task": "medley-solos-binary", "classes": {"piano": ["Piano"]},
            "unmapped": ["violin"], "notes": "mine"}
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(data))
    found = label_map("cnn14-audioset", "medley-solos-binary", file=mine)
    assert found.unmapped == ("violin",) and found.describe()["source"] == "mine.json"
    toml = tmp_path / "mine.toml"
    toml.write_text('tagger = "cnn14-audioset"\ntask = "irmas"\n[classes]\npia = ["Piano"]\n')
    with pytest.raises(ConfigError, match="mine.toml.*class 'cel' of task 'irmas' is neither mapped"):
        label_map("cnn14-audioset", "irmas", file=toml)
    with pytest.raises(ConfigError, match="mine.json is for tagger 'cnn14-audioset' x task 'medley-solos-binary'"):
        label_map("cnn14-audioset", "irmas", file=mine)
    for text, problem in (("{", "is not valid JSON"), ('{"tagger": "t", "task": "k", "classes": {"a": "A"}}',
                                                       "class 'a' must map to a list"),
                          ('{"tagger": "t", "task": "k", "classes": {}, "colour": 1}', "unknown field")):
        mine.write_text(text)
        with pytest.raises(ConfigError, match=f"{mine}.*{problem}|{problem}.*{mine}"):
            LabelMap.from_file(mine)
    with pytest.raises(ConfigError, match="use a .json or .toml file"):
        LabelMap.from_file(tmp_path / "map.yaml")
    with pytest.raises(UnknownNameError, match="unknown task 'irma'"):
        label_map("cnn14-audioset", "irma")
    with pytest.raises(UnknownNameError, match="unknown tagger 'cnn14'"):
        label_map("cnn14", "irmas")


def test_the_example_tagger_registers_through_its_entry_point_and_ships_its_irmas_map(tmp_path, monkeypatch):
    """A distribution made from the example's own pyproject (its ``irbench.taggers`` entry point), found by
    ``importlib.metadata`` as a pip-installed one is."""
    from irbench.registry import Registry

    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    points = project["entry-points"]["irbench.taggers"]
    info = tmp_path / "tagger_example-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[irbench.taggers]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    monkeypatch.delenv("IRBENCH_DISABLE_PLUGINS", raising=False)
    monkeypatch.setattr("irbench.taggers.TAGGERS", Registry("tagger", entry_point_group="irbench.taggers",
                                                            check=check_tagger))
    from irbench import taggers

    assert taggers.TAGGERS.source("tiny-bands") == "tagger-example"
    checks = run_tagger_checks(get_tagger("tiny-bands"))
    assert all(check.passed for check in checks), [c for c in checks if not c.passed]
    found = label_map("tiny-bands", "irmas")
    assert found.source.endswith("irmas.toml") and found.classes["cel"] == ("low register",)
    with pytest.raises(UnknownNameError, match="no label map for tagger 'tiny-bands' x task 'openmic'; it has "
                                               "maps for irmas"):
        label_map("tiny-bands", "openmic")
    assert TAGGERS is not taggers.TAGGERS
