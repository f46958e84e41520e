"""One configuration identity (issue 18): the run's record folder and work folder, the sweep's done and
conflict decisions and the report's rows agree on every setting that can change a result, and two
configurations of one baseline live side by side."""

from __future__ import annotations

import re

import pytest
from helpers import run_cli

from irbench.run.configuration import configuration, of_record
from irbench.store.records import find_records, read_record
from irbench.sweep.identity import planned_config



def _vgg() -> dict:
    from irbench.baselines import get_baseline

    return get_baseline("vgg").describe()


VGG = _vgg()


def _training(**changes):
    from irbench.baselines import get_baseline

    return {**get_baseline("vgg").training.model_dump(), **changes}


@pytest.mark.parametrize("change", [
    {"training": {"max_epochs": 3}},
    {"training": {"learning_rate": 1e-4}},
    {"description": {"frontend": "log-mel-essentia"}},
    {"description": {"frontend_config": {**VGG["frontend_config"], "n_mels": 128}}},
    {"description": {"input_frames": 32}},
    {"description": {"notes": {"weights_sha256": "ab" * 32, "weights": "cnn14-weights"}}},
    {"device": "cuda"},
    {"device": "cpu"},
])
def test_every_setting_that_can_change_a_result_changes_the_configuration(change):
    base = configuration("vgg", VGG, _training(), "auto")
    other = configuration("vgg", {**VGG, **change.get("description", {})}, _training(**change.get("training", {})),
                          change.get("device", "auto"))
    assert other.digest != base.digest and other.folder != base.folder
    assert other.label != base.label and base.differences(other)


def test_what_cannot_change_a_result_keeps_the_configuration():
    base = configuration("vgg", VGG, _training(), "auto")
    assert configuration("vgg", {**VGG, "source": "elsewhere", "notes": {"tensors_loaded": 3}},
                         _training(checkpoint="/another/machine/path"), None).digest == base.digest
    assert configuration("vgg", VGG, _training(), "cuda:1").digest == configuration("vgg", VGG, _training(),
                                                                                      "cuda").digest


def test_the_label_names_what_differs_from_the_defaults():
    assert configuration("vgg", VGG, _training(), "auto").label == "default"
    changed = configuration("vgg", VGG, _training(max_epochs=10, learning_rate=1e-4), "cpu")
    assert changed.label == "learning_rate=0.0001, max_epochs=10, device=cpu"
    assert re.fullmatch(r"learning_rate=0\.0001_max_epochs=10_device=cpu-[0-9a-f]{8}", changed.folder)
    weights = configuration("cnn14", {**VGG, "notes": {"weights_sha256": "cd" * 32, "weights": "cnn14-weights"}},
                            {}, "auto")
    assert "weights=cnn14-weights" in weights.label


def test_two_configurations_live_side_by_side_and_a_sweep_over_both_runs_nothing(monkeypatch, capsys, micro_irmas,
                                                                                feature_cache, tmp_path):
    """``irbench run`` twice with ``--max-epochs 1`` and ``--max-epochs 2``, same seed and results folder (VGG
    on the micro IRMAS stand-in): both records exist in their own folders, the sweep and the record agree on
    each configuration, the DataFrame and the report show two labelled rows, and a sweep that varies the
    setting over both values runs nothing more."""
    results = tmp_path / "results"
    common = ("-t", "irmas", "-b", "vgg", "-d", str(micro_irmas), "--results-dir", str(results),
              "--cache-dir", str(feature_cache))
    for epochs in ("1", "2"):
        code, _, err = run_cli(monkeypatch, capsys, "run", *common, "--max-epochs", epochs, "--quiet")
        assert code == 0, err
    paths = find_records(results)
    assert len(paths) == 2 and len({p.parent for p in paths}) == 2
    for path in paths:
        record = read_record(path)
        epochs = record.config.training["max_epochs"]
        planned = planned_config("irmas", "vgg", [], epochs, None, "auto")
        assert of_record(record).digest == planned.digest() and path.parent.name == planned.configuration.folder
        assert planned.differences(record) == []
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(results), "--out", str(tmp_path / "r"))
    assert code == 0, err
    page = (tmp_path / "r" / "irmas.html").read_text()
    assert "max_epochs=1" in page and "max_epochs=2" in page
    import irbench

    table = irbench.load_results(results).to_dataframe(level="mean", format="wide")
    assert sorted(table["configuration"]) == ["max_epochs=1", "max_epochs=2"]
    assert table["configuration_digest"].nunique() == 2

    import irbench.run.runner

    def refuse(*args, **kwargs):
        raise AssertionError("both configurations are done: nothing may run")

    monkeypatch.setattr(irbench.run.runner, "run_seeds", refuse)
    code, _, err = run_cli(monkeypatch, capsys, "sweep", *common, "-s", "0", "--vary", "max_epochs=1,2", "-q")
    assert code == 0, err
    assert "2 cells: 2 done (skipped)" in err


def test_a_legacy_record_counts_for_its_configuration(monkeypatch, capsys, stand_in, tmp_path):
    """A record in the layout before configurations had folders (``<task>/<baseline>/seed-<n>.json``) is read
    and counts as done for its configuration; another configuration runs beside it."""
    data, results = stand_in("medley-solos"), tmp_path / "results"
    common = ("-t", "medley-solos", "-b", "constant", "-d", str(data), "--results-dir", str(results),
              "--cache-dir", str(tmp_path / "cache"), "--quiet")
    assert run_cli(monkeypatch, capsys, "run", *common)[0] == 0
    (path,) = find_records(results)
    legacy = results / "medley-solos" / "constant" / "seed-0.json"
    for sibling in path.parent.iterdir():
        if not sibling.name.startswith("."):
            sibling.rename(legacy.with_name(sibling.name))
    code, out, err = run_cli(monkeypatch, capsys, "run", *common)
    assert code == 0 and "already exists" in out + err and not list(path.parent.glob("seed-*.json"))
    assert run_cli(monkeypatch, capsys, "run", *common, "--config", "batch_size=64")[0] == 0
    assert len(find_records(results)) == 2
