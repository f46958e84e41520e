"""zero-shot:<tagger> and probe:cnn14 with random-weight Cnn14 (no download) on every task's micro stand-in:
they run end to end, their records name the tagger or embedder, the label map, what it could not map and what
the probe chose; a tagger that says the same for every clip cannot beat the floor; every task's built-in map
turns tagger scores into that task's classes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from helpers import run_cli
from irbench.baselines import get_baseline
from irbench.baselines.base import ModelSpec
from irbench.tasks import TASKS, get_task


pytestmark = pytest.mark.slow


def only_record(folder):
    (path,) = folder.rglob("seed-0.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One cache for the module: a dataset's two tasks (medley-solos and its binary subset, musicnet and
    musicnet-instruments) embed and tag each audio file once."""
    return tmp_path_factory.mktemp("cnn14-cache")


@pytest.mark.parametrize("task", sorted(TASKS.names()))
def test_random_weight_cnn14_runs_as_a_probe_and_zero_shot_on_every_task(task, micro_stand_in, shared_cache,
                                                                         tmp_path, monkeypatch, capsys):
    from irbench.taggers.label_maps import label_map

    common = ("--task", task, "--data-home", str(micro_stand_in(task)), "--cache-dir", str(shared_cache),
              "--config", "weights=random", "--threads", "1")
    for baseline, extra in (("probe:cnn14", ("--max-epochs", "2")),
                            ("zero-shot:cnn14-audioset", ("--config", "hop_seconds=1.0",
                                                         "--config", "segment_seconds=0.5"))):
        results = tmp_path / baseline.replace(":", "+")
        code, _, err = run_cli(monkeypatch, capsys, "run", *common, "--baseline", baseline,
                               "--results-dir", str(results), *extra)
        assert code == 0, err
        record = only_record(results)
        notes = record["config"]["baseline"]["notes"]
        assert record["baseline"] == baseline and record["task"] == task
        if baseline.startswith("zero-shot"):
            assert notes["track"] == "zero-shot" and notes["tagger"]["n_labels"] == 527
            assert "random" in notes["tagger"]["version"]
            assert notes["unmapped_classes"] == list(label_map("cnn14-audioset", task).unmapped)
            assert record["training"]["epochs"] == 0
        else:
            assert notes["track"] == "probe-v1" and notes["embedder"]["embedding_size"] == 2048
            assert "random" in notes["embedder"]["version"]
            assert record["config"]["baseline"]["frontend_config"]["hop_length"] == 10240  # 320 ms at 32 kHz
            grid = notes["selection"]["grid"]["learning_rate"]
            assert grid == [3.2e-3, 1e-3, 3.2e-4, 1e-4]  # HEAR's grid, chosen on validation only
            assert notes["selection"]["chosen"]["learning_rate"] in grid


@pytest.mark.parametrize("task", sorted(TASKS.names()))
def test_pretrained_cnn14_runs_as_a_probe_and_zero_shot_when_its_weights_are_cached(task, micro_stand_in,
                                                                                   tmp_path, monkeypatch, capsys):
    from irbench.baselines.panns_checkpoint import find_checkpoint

    checkpoint = find_checkpoint(None).path  # $IRBENCH_CNN14_CHECKPOINT, else the default cache
    if checkpoint is None or not checkpoint.is_file():
        pytest.skip("Cnn14's AudioSet checkpoint is not in the cache (irbench data download cnn14-weights, "
                    "or $IRBENCH_CNN14_CHECKPOINT); the random-weight test above runs instead")
    for baseline in ("probe:cnn14", "zero-shot:cnn14-audioset"):
        results = tmp_path / baseline.replace(":", "+")
        code, _, err = run_cli(monkeypatch, capsys, "run", "--task", task, "--baseline", baseline,
                               "--data-home", str(micro_stand_in(task)), "--cache-dir", str(tmp_path / "cache"),
                               "--results-dir", str(results), "--config", f"model_file={checkpoint}",
                               "--max-epochs", "2", "--threads", "1")
        assert code == 0, err
        notes = only_record(results)["config"]["baseline"]["notes"]
        model = notes["tagger" if baseline.startswith("zero-shot") else "embedder"]
        assert model["weights_sha256"] and "random" not in model["version"]


def spec_for(task: str, n_labels: int) -> ModelSpec:
    metadata = get_task(task).metadata
    return ModelSpec(len(metadata.labels), metadata.train_prediction_type, (n_labels, 6),
                     np.full(len(metadata.labels), 1 / len(metadata.labels)), task=task,
                     labels=tuple(metadata.labels))


@pytest.mark.parametrize("task", sorted(TASKS.names()))
def test_every_task_s_built_in_map_scores_its_classes_from_the_tagger_s_labels(task):
    from irbench.taggers.audioset import audioset_labels

    baseline = get_baseline("zero-shot:cnn14-audioset")
    labels = tuple(audioset_labels())
    baseline.tagger_labels = labels  # the labels configure() would read, without building Cnn14
    built = baseline.build(spec_for(task, len(labels)), baseline.training)
    mapped = {label: i for i, label in enumerate(labels)}
    scores = torch.zeros(2, len(labels), 6)
    target = get_task(task).metadata.labels[0]
    tagger_label = built.notes["label_map"]["classes"].get(target, [None])[0]
    if tagger_label is None:
        pytest.skip(f"{task}: its first class {target} has no AudioSet counterpart")
    scores[0, mapped[tagger_label]] = 0.9
    probabilities = built.module(scores)
    assert probabilities.shape == (2, len(get_task(task).metadata.labels))
    assert int(probabilities[0].argmax()) == 0  # the class whose mapped label scored, first
    assert torch.equal(probabilities[1], probabilities[1][0].expand_as(probabilities[1]))  # nothing scored: all equal
    unmapped = built.notes["unmapped_classes"]
    assert all(not built.module.assignment[get_task(task).metadata.labels.index(c)].any() for c in unmapped)


def test_a_map_naming_a_label_the_tagger_lacks_is_refused(tmp_path):
    from irbench.errors import ConfigError

    bad = tmp_path / "map.json"
    bad.write_text(json.dumps({"tagger": "cnn14-audioset", "task": "medley-solos-binary",
                               "classes": {"piano": ["Grand piano of doom"], "violin": ["Violin, fiddle"]}}))
    baseline = get_baseline("zero-shot:cnn14-audioset")
    from irbench.taggers.audioset import audioset_labels

    baseline.tagger_labels = tuple(audioset_labels())
    config = baseline.training.model_copy(update={"label_map_file": str(bad)})
    with pytest.raises(ConfigError, match="Grand piano of doom"):
        baseline.build(spec_for("medley-solos-binary", 527), config)
