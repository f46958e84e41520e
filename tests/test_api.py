"""The Python API: ``irbench.evaluate`` on a model defined outside irbench, ``irbench.load_results`` through the
one record reader, ``Results`` as pandas tables, selections and the report's paired comparison, mixed
records refused, API and CLI records alike, and ``irbench predict`` on a run of an unregistered model."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import irbench
from helpers import record_file, run_cli
from irbench.errors import ConfigError, DatasetLayoutError, DataNotFoundError, IrbenchError
from irbench.store.results import MixedResultsError

MODULE = "irbench_api_test_models"
MODEL_SOURCE = '''
from torch import nn

import irbench
from irbench.features.configs import LogMelConfig


class PooledLinear(irbench.Baseline):
    """Mean over time of the log-mel bands, then one linear layer (VGG's front end: its features are cached)."""

    name = "pooled-linear"
    description = "Time-pooled log-mel, one linear layer."
    source = "tests/test_api.py"
    frontend_config = LogMelConfig()
    input_frames = 64
    training = irbench.TrainingConfig(learning_rate=1e-2, batch_size=32, max_epochs=2, patience=2)

    def build(self, spec, config):
        return nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(spec.input_shape[0], spec.n_classes))
'''
REQUIRED = ["task", "task_version", "protocol", "baseline", "configuration", "configuration_digest", "seed", "metric",
            "value", "n_test", "stand_in", "dataset_fingerprint", "device", "irbench_version"]


@pytest.fixture(scope="module")
def model_class(tmp_path_factory):
    """``PooledLinear`` from a module of its own, importable while this module's tests run."""
    folder = tmp_path_factory.mktemp("user-code")
    (folder / f"{MODULE}.py").write_text(MODEL_SOURCE)
    sys.path.insert(0, str(folder))
    import importlib

    yield importlib.import_module(MODULE).PooledLinear
    sys.path.remove(str(folder))
    sys.modules.pop(MODULE, None)


@pytest.fixture(scope="module")
def evaluated(tiny_irmas, feature_cache, tmp_path_factory, model_class):
    """Two seeds of the user's model and of ``constant`` on the tiny stand-in, through ``irbench.evaluate``."""
    results = tmp_path_factory.mktemp("api-results")
    mine = irbench.evaluate(model_class(), task="irmas", data_home=tiny_irmas, seeds=(0, 1), results_dir=results,
                            cache_dir=feature_cache)
    floor = irbench.evaluate("constant", task="irmas", data_home=tiny_irmas, seeds=[0, 1], results_dir=results,
                             cache_dir=feature_cache)
    return results, mine, floor


def test_an_inline_model_runs_for_two_seeds_and_loads_as_a_dataframe(evaluated):
    results, mine, _ = evaluated
    assert [r.seed for r in mine] == [0, 1] and all(p.is_file() for p in mine.paths)
    record = mine.records[0]
    assert record.config.baseline.python_class == f"{MODULE}:PooledLinear"
    assert record.provenance.executor["name"] == "api" and "irbench.evaluate" in record.provenance.command
    assert mine.paths[0] == Path(results) / "irmas/pooled-linear" / mine.entries[0].configuration.folder / "seed-0.json"

    frame = irbench.load_results(results).select(baseline="pooled-linear").to_dataframe()
    assert set(REQUIRED) <= set(frame.columns)
    assert sorted(frame["seed"].unique()) == [0, 1]
    for seed_record in mine:
        rows = frame[frame["seed"] == seed_record.seed].set_index("metric")["value"]
        assert rows.to_dict() == pytest.approx(seed_record.metrics)
    main = frame[frame["is_main"]]
    assert set(main["metric"]) == {"micro_f1"} and len(main) == 2
    assert set(frame["configuration"]) == {"default"} and frame["configuration_digest"].str.fullmatch("[0-9a-f]{12}").all()
    assert frame["stand_in"].all() and set(frame["protocol"]) == {"s2 threshold, micro_f1"}


def test_mean_per_class_and_wide_shapes(evaluated):
    results, mine, floor = evaluated
    loaded = irbench.load_results(results)
    mean = loaded.to_dataframe(level="mean")
    assert {"mean", "std", "n_seeds", "seeds"} <= set(mean.columns) and "value" not in mean.columns
    row = mean[(mean["baseline"] == "pooled-linear") & (mean["metric"] == "micro_f1")].iloc[0]
    values = [r.metrics["micro_f1"] for r in mine]
    assert row["n_seeds"] == 2 and row["seeds"] == "0,1"
    assert row["mean"] == pytest.approx(statistics.fmean(values)) and row["std"] == pytest.approx(statistics.stdev(values))
    assert len(mean) == len(mine.records[0].metrics) + len(floor.records[0].metrics)

    wide = loaded.to_dataframe(format="wide")
    assert len(wide) == 4 and "metric" not in wide.columns
    assert list(wide.columns).index("micro_f1") < list(wide.columns).index("macro_f1")
    assert sorted(wide["micro_f1"]) == sorted(r.metrics["micro_f1"] for r in loaded)

    mean_wide = loaded.to_dataframe(level="mean", format="wide")
    assert len(mean_wide) == 2 and {"micro_f1", "micro_f1_std", "n_seeds"} <= set(mean_wide.columns)
    assert mean_wide.set_index("baseline").loc["pooled-linear", "micro_f1"] == pytest.approx(statistics.fmean(values))

    labels = list(mine.records[0].per_class)
    per_class = loaded.to_dataframe(level="per_class")
    assert {"label", "metric", "value", "support"} <= set(per_class.columns)
    assert set(per_class["label"]) == set(labels) and {"precision", "recall", "f1"} <= set(per_class["metric"])
    first = mine.records[0]
    f1 = per_class[(per_class["path"] == str(mine.paths[0])) & (per_class["metric"] == "f1")].set_index("label")
    assert f1["value"].to_dict() == pytest.approx({k: v.f1 for k, v in first.per_class.items()})
    assert f1["support"].to_dict() == {k: v.support for k, v in first.per_class.items()}
    per_class_wide = loaded.to_dataframe(level="per_class", format="wide")
    assert len(per_class_wide) == 4 * len(labels) and {"precision", "recall", "f1", "support"} <= set(per_class_wide.columns)

    with pytest.raises(ValueError, match="level"):
        loaded.to_dataframe(level="seed")
    with pytest.raises(ValueError, match="format"):
        loaded.to_dataframe(format="tall")


def test_a_class_without_support_has_no_made_up_figures(evaluated):
    _, mine, _ = evaluated
    record = mine.records[0]
    label = next(iter(record.per_class))
    absent = record.per_class[label].model_copy(update={"precision": None, "recall": None, "f1": None, "support": 0})
    doctored = record.model_copy(update={"per_class": {**record.per_class, label: absent}})
    rows = irbench.Results([doctored]).to_dataframe(level="per_class")
    mine_rows = rows[rows["label"] == label]
    assert set(mine_rows["metric"]) >= {"false_positives"} and not {"precision", "recall", "f1"} & set(mine_rows["metric"])
    assert (mine_rows["support"] == 0).all() and not rows["value"].isna().any()


def test_select(evaluated):
    results, mine, _ = evaluated
    loaded = irbench.load_results(results)
    assert len(loaded.select(baseline="constant")) == 2
    assert [r.seed for r in loaded.select(baseline=["pooled-linear"], seed=1)] == [1]
    digest = mine.entries[0].configuration.digest
    assert len(loaded.select(configuration=digest[:8])) == 2 and len(loaded.select(configuration="default")) == 4
    assert len(loaded.select(task="openmic")) == 0 and len(loaded.select(configuration="abc")) == 0
    assert len(loaded.select(dataset_fingerprint=mine.records[0].provenance.dataset_fingerprint[:6], stand_in=True)) == 4


def test_compare_gives_the_reports_paired_interval(evaluated):
    from irbench.store.records import find_records
    from irbench.report.collect import leaderboards
    from irbench.report.loading import load_runs
    from irbench.report.paired import compare

    results, _, _ = evaluated
    (board,) = leaderboards(load_runs(find_records(results), warn=pytest.fail))
    compare(board, pytest.fail)
    (other,) = [row for row in board.rows if row is not board.best]
    found = irbench.load_results(results).compare(other.baseline, {"baseline": board.best.baseline})
    assert (found.difference, found.low, found.high, found.seed_std) == (
        other.comparison.difference, other.comparison.low, other.comparison.high, other.comparison.seed_std)
    assert found.n_units == board.paired.n_units and found.unit == board.paired.unit and found.low <= found.high
    assert found.a == other.label and found.b == board.best.label and "interval" in str(found)
    with pytest.raises(IrbenchError, match="matches no record"):
        irbench.load_results(results).compare("vgg", "constant")
    with pytest.raises(IrbenchError, match="same row"):
        irbench.load_results(results).compare("constant", "constant")


def _copy_tree(source: Path, target: Path, task_version: str | None = None, fingerprint: str | None = None,
               baseline: str = "constant") -> None:
    """Copy ``source``'s runs of ``baseline`` to ``target``; seed 1's record gets another task version or
    dataset fingerprint."""
    shutil.copytree(source / "irmas" / baseline, target / "irmas" / baseline)
    path = record_file(target, "irmas", baseline, seed=1)
    data = json.loads(path.read_text())
    if task_version:
        data["task_version"] = task_version
    if fingerprint:
        data["provenance"]["dataset_fingerprint"] = fingerprint
    path.write_text(json.dumps(data))


def test_mixed_task_versions_and_data_are_refused_unless_allowed(evaluated, tmp_path):
    results, _, floor = evaluated
    version = floor.records[0].task_version
    _copy_tree(results, tmp_path / "versions", task_version="0.9")
    mixed = irbench.load_results(tmp_path / "versions")
    assert len(mixed.to_dataframe()) > 0  # listing runs is no aggregate
    with pytest.raises(MixedResultsError, match=rf"task versions {re.escape(version)} \(1 record\), 0.9"):
        mixed.to_dataframe(level="mean")
    apart = mixed.to_dataframe(level="mean", allow_mixed=True)
    assert set(apart[apart["metric"] == "micro_f1"]["task_version"]) == {version, "0.9"}
    assert (apart["n_seeds"] == 1).all()
    assert len(mixed.select(task_version=version).to_dataframe(level="mean", format="wide")) == 1

    _copy_tree(results, tmp_path / "data", fingerprint="f" * 64)
    shutil.copytree(results / "irmas/pooled-linear", tmp_path / "data/irmas/pooled-linear")
    other_data = irbench.load_results(tmp_path / "data")
    with pytest.raises(MixedResultsError, match="dataset fingerprints"):
        other_data.to_dataframe(level="mean", format="wide")
    with pytest.raises(MixedResultsError, match="allow_mixed=True"):
        other_data.compare("pooled-linear", "constant")


def test_api_and_cli_give_identical_metrics(evaluated, tiny_irmas, feature_cache, tmp_path, monkeypatch, capsys):
    api = irbench.evaluate("vgg", "irmas", tiny_irmas, seeds=0, results_dir=tmp_path / "api", cache_dir=feature_cache,
                           max_epochs=1, config={"batch_size": 32})
    code, _, err = run_cli(monkeypatch, capsys, "run", "--task", "irmas", "--baseline", "vgg", "--data-home",
                           str(tiny_irmas), "--results-dir", str(tmp_path / "cli"), "--cache-dir", str(feature_cache),
                           "--max-epochs", "1", "--config", "batch_size=32", "--seed", "0", "-q")
    assert code == 0, err
    (record,) = api.records
    cli = irbench.load_results(tmp_path / "cli")
    assert cli.paths[0].relative_to(tmp_path / "cli") == api.paths[0].relative_to(tmp_path / "api")
    assert cli.records[0].metrics == record.metrics and cli.records[0].per_class == record.per_class
    assert cli.records[0].threshold.value == record.threshold.value
    assert cli.entries[0].configuration.label == "batch_size=32, max_epochs=1"


def test_an_existing_record_is_kept_and_returned(evaluated, tiny_irmas, feature_cache):
    results, _, floor = evaluated
    with pytest.warns(UserWarning, match="already exists .same data.; pass overwrite=True"):
        again = irbench.evaluate("constant", "irmas", tiny_irmas, seeds=(1,), results_dir=results,
                                 cache_dir=feature_cache)
    assert again.records[0] == floor.records[1] and again.paths == floor.paths[1:]


def test_predict_imports_the_recorded_class_and_says_what_to_import_otherwise(evaluated, tiny_irmas, tmp_path,
                                                                               monkeypatch, capsys):
    from irbench.predict import load_run, predict_file

    _, mine, _ = evaluated
    clip = sorted(tiny_irmas.glob("IRMAS-TestingData-Part1/*/*.wav"))[0]
    run = load_run(mine.paths[0])
    assert type(run.baseline).__name__ == "PooledLinear"
    assert predict_file(run, clip).probability.shape == (len(mine.records[0].per_class),)
    code, out, err = run_cli(monkeypatch, capsys, "predict", str(clip), "--run", str(mine.paths[0]), "-f", "json")
    assert code == 0, err
    assert json.loads(out)["baseline"] == "pooled-linear"

    folder = next(p for p in sys.path if (Path(p) / f"{MODULE}.py").is_file())
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != folder])
    monkeypatch.delitem(sys.modules, MODULE)
    code, _, err = run_cli(monkeypatch, capsys, "predict", str(clip), "--run", str(mine.paths[0]))
    message = " ".join(err.split())
    assert code != 0 and f"no module named '{MODULE}'" in message and "PYTHONPATH" in message
    assert "Traceback" not in err

    for python_class, expected in [("__main__:NotHere", "defined in __main__"),
                                   ("collections:OrderedDict", "not a subclass of irbench.Baseline"),
                                   ("no class; rm -rf /", "not 'module:qualname'"),
                                   (f"{MODULE}:make.<locals>.Model", "inside a function")]:
        copy = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(mine.paths[0].parent, copy)
        data = json.loads((copy / "seed-0.json").read_text())
        data["config"]["baseline"]["python_class"] = python_class
        (copy / "seed-0.json").write_text(json.dumps(data))
        with pytest.raises(IrbenchError, match=expected):
            load_run(copy / "seed-0.json")


def test_evaluate_refuses_models_it_cannot_record(tiny_irmas, model_class):
    from irbench.baselines.vgg import VGGBaseline

    class Renamed(model_class):
        name = "vgg"

    class Unsafe(model_class):
        name = "My Model"

    class Bare(irbench.Baseline):
        name = "bare"

        def build(self, spec, config):
            raise AssertionError("never built")

    for model, expected in [(Renamed(), "name of the registered baseline"), (Unsafe(), "lower-case letters"),
                            (Bare(), "declares no description"), (object(), "got an instance of object")]:
        with pytest.raises(ConfigError, match=expected):
            irbench.evaluate(model, "irmas", tiny_irmas)
    with pytest.raises(ConfigError, match="text, a number or a boolean"):
        irbench.evaluate(model_class(), "irmas", tiny_irmas, config={"learning_rate": [1e-3]})
    assert issubclass(VGGBaseline, irbench.Baseline)


def test_load_results_reads_folders_globs_and_files_strictly(evaluated, tmp_path):
    results, mine, floor = evaluated
    assert len(irbench.load_results([results, mine.paths[0]])) == 4  # a record reached twice is read once
    assert len(irbench.load_results(results / "irmas" / "constant")) == 2
    assert len(irbench.load_results(str(results / "irmas/*/*/seed-1.json"))) == 2
    assert len(irbench.load_results(mine.paths[1])) == 1
    with pytest.raises(DataNotFoundError, match="no such file or folder"):
        irbench.load_results(tmp_path / "nowhere")
    with pytest.raises(DataNotFoundError, match="matches"):
        irbench.load_results(str(tmp_path / "*.json"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="no run records"):
        irbench.load_results(tmp_path / "empty")

    shutil.copytree(results / "irmas/constant", tmp_path / "bad/irmas/constant")
    broken = record_file(tmp_path / "bad", "irmas", "constant", seed=0)
    data = json.loads(broken.read_text())
    data["unknown_key"] = 1
    broken.write_text(json.dumps(data))
    with pytest.raises(DatasetLayoutError, match="seed-0.json"):
        irbench.load_results(tmp_path / "bad")
    with pytest.warns(UserWarning, match="unknown_key"):
        kept = irbench.load_results(tmp_path / "bad", skip_invalid=True)
    assert [r.seed for r in kept] == [1] and kept.records[0] == floor.records[1]


def test_import_irbench_is_cheap_and_exports_the_api():
    script = textwrap.dedent("""
        import sys, irbench
        heavy = [m for m in ("torch", "pandas", "lightning", "irbench.api", "irbench.store.results") if m in sys.modules]
        assert not heavy, heavy
        names = sorted(irbench.__all__)
        assert {"evaluate", "load_results", "Results", "Baseline", "TrainingConfig", "Task", "RunRecord"} <= set(names)
        assert all(getattr(irbench, name) is not None for name in names)
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        irbench.nothing  # noqa: B018


def test_configurations_of_an_unregistered_model_are_told_apart_as_the_report_does(evaluated):
    _, mine, _ = evaluated
    record = mine.records[0]
    shorter = record.model_copy(update={"config": record.config.model_copy(
        update={"training": {**record.config.training, "max_epochs": 1}})})
    both = irbench.Results([record, shorter])
    assert [e.configuration.label for e in both.entries] == ["default", "default"]  # no defaults known here
    labels = both.to_dataframe(format="wide")["configuration"].tolist()
    assert labels == [f"max_epochs={record.config.training['max_epochs']}", "max_epochs=1"]
    assert both.select(configuration="max_epochs=1").records == [shorter]
    assert both.select(configuration="max_epochs=1").to_dataframe()["configuration"].eq("max_epochs=1").all()


def test_the_api_page_runs(tiny_irmas, feature_cache, tmp_path):
    """Every ``python`` cell of docs/api.md, in order, in a fresh folder and interpreter (the stand-in and the
    feature cache are the session's, so nothing is rendered or extracted twice)."""
    import os

    page = (Path(__file__).resolve().parent.parent / "docs/api.md").read_text(encoding="utf-8")
    cells = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(cells) >= 8
    (tmp_path / "data").mkdir()
    (tmp_path / "data/irmas-stand-in").symlink_to(tiny_irmas)
    (tmp_path / "page.py").write_text("\n".join(cells), encoding="utf-8")
    env = {**os.environ, "IRBENCH_CACHE_DIR": str(feature_cache)}
    done = subprocess.run([sys.executable, "page.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cannot average records of task irmas" in done.stdout and "95% interval" in done.stdout
    assert len(irbench.load_results(tmp_path / "results")) == 4
