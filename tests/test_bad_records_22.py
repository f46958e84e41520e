"""Hostile run records (issue 22.7): the one record reader bounds what it reads (regular files only, size,
depth, name length), refuses implausible metric values and checkpoint names that are not plain file names,
and ``irbench predict --run`` turns a null checkpoint or bad training settings into one line, exit 2."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time

import pytest

from helpers import run_cli
from irbench.errors import DatasetLayoutError
from irbench.store import records
from irbench.store.records import read_record
from test_report_support import edit_json, write_run


def _refused(path, pattern: str) -> str:
    """Read ``path`` in a thread that must finish within 10 s; returns the one-line message it was refused with."""
    outcome: dict = {}

    def read():
        try:
            read_record(path)
            outcome["error"] = None
        except BaseException as error:  # noqa: BLE001 - the test names what came back
            outcome["error"] = error

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    assert "error" in outcome, f"read_record({path}) did not return within 10 s"
    error = outcome["error"]
    assert isinstance(error, DatasetLayoutError), repr(error)
    message = str(error)
    assert message.startswith(f"{path}: ") and "\n" not in message and len(message) < 600, message
    assert re.search(pattern, message), message
    return message


@pytest.mark.parametrize("depth", [100, 10_000])
def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path, depth):
    path = write_run(tmp_path)
    text = path.read_text()
    assert '"stand_in_info": null' in text
    nested = '"stand_in_info": {"deep": ' + "[" * depth + "]" * depth + "}"
    path.write_text(text.replace('"stand_in_info": null', nested))  # by hand: json cannot build it
    _refused(path, rf"nested deeper than {records.MAX_RECORD_DEPTH} levels")


def test_the_depth_cap_leaves_room_for_real_records(tmp_path):
    path = write_run(tmp_path)
    edit_json(path, stand_in_info={"deep": json.loads("[" * (records.MAX_RECORD_DEPTH - 2) + "]" *
                                                      (records.MAX_RECORD_DEPTH - 2))})
    assert read_record(path).stand_in_info is not None


@pytest.mark.parametrize("where", ["per_class", "metrics", "classes_without_support", "task"])
def test_a_ten_megabyte_name_is_refused_at_once(tmp_path, where):
    path = write_run(tmp_path)
    data = json.loads(path.read_text())
    name = "x" * 10_000_000
    if where == "per_class":
        data["per_class"][name] = next(iter(data["per_class"].values()))
    elif where == "metrics":
        data["metrics"][name] = 0.5
    elif where == "classes_without_support":
        data["extra"]["classes_without_support"] = [name]
    else:
        data["task"] = name
    path.write_text(json.dumps(data))
    started = time.perf_counter()
    _refused(path, rf"10000000 characters.*at most {records.MAX_NAME_CHARS}|at most {records.MAX_NAME_CHARS}")
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("edit, pattern", [
    (lambda d: d["metrics"].__setitem__("micro_f1", 1e308), r"metric micro_f1 = 1e\+308 is outside its range"),
    (lambda d: d["metrics"].__setitem__("s1_map", -0.5), r"metric s1_map = -0.5 is outside its range \[0, 1\]"),
    (lambda d: d["metrics"].__setitem__("map", 1 + 1e-6), r"metric map = 1.000001 is outside its range"),
    (lambda d: next(iter(d["per_class"].values())).__setitem__("f1", 2.0), r"per_class \w+ f1 = 2.0 is outside"),
])
def test_implausible_metric_values_are_refused(tmp_path, edit, pattern):
    path = write_run(tmp_path)
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    _refused(path, pattern)


def test_plausible_and_unregistered_metrics_still_read(tmp_path):
    path = write_run(tmp_path)
    data = json.loads(path.read_text())
    data["metrics"].update(micro_f1=1.0, map=0.0, my_plugin_loss=12.5, lrap=float("nan"))  # NaN: report drops it
    data["metrics"]["s1_map"] = 1.0000000000000002  # sklearn's AP of a perfect ranking, rounded past 1
    next(iter(data["per_class"].values()))["ap"] = 1.0000000000000002
    path.write_text(json.dumps(data))
    assert read_record(path).metrics["my_plugin_loss"] == 12.5
    assert read_record(path).metrics["s1_map"] > 1  # read as written, within the rounding slack


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "folder"])
def test_a_record_that_is_no_regular_file_is_refused_without_reading(tmp_path, kind):
    path = tmp_path / "irmas/vgg/seed-0.json"
    path.parent.mkdir(parents=True)
    if kind == "dev-zero":
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero on this system")
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    _refused(path, r"not a regular file")


def test_an_oversized_record_is_refused_with_the_cap(tmp_path, monkeypatch):
    path = write_run(tmp_path)
    size = path.stat().st_size
    assert records.MAX_RECORD_BYTES >= 100 * size  # the cap leaves room far beyond a real record
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", size - 1)
    _refused(path, rf"{size} bytes, over the {size - 1}-byte limit")
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", size)
    assert read_record(path).task == "irmas"


@pytest.mark.parametrize("name", ["", ".", "..", "../seed-0.ckpt", "/etc/passwd", "a/b.ckpt", "x\\y", "x\0y"])
@pytest.mark.parametrize("field", ["checkpoint_file", "predictions_file"])
def test_a_file_name_with_path_components_is_refused(tmp_path, field, name):
    path = write_run(tmp_path)
    edit_json(path, **{field: name})
    _refused(path, rf"{field}: .*not a plain file name beside the record")


@pytest.fixture(scope="module")
def constant_run(tiny_irmas, tmp_path_factory, feature_cache):
    """A finished constant-predictor run on the tiny IRMAS stand-in (record and checkpoint)."""
    from irbench.run.runner import RunOptions, run_benchmark

    folder = tmp_path_factory.mktemp("results")
    _, path = run_benchmark(RunOptions("irmas", "constant", tiny_irmas, folder, feature_cache, workers=1,
                                       show_progress=False))
    return path


@pytest.fixture
def clip(tiny_irmas):
    return sorted(tiny_irmas.glob("IRMAS-TestingData-Part1/*/*.wav"))[0]


def _edited_copy(record, folder, **changes):
    """A copy of ``record`` and its checkpoint in ``folder`` with top-level ``changes``."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / record.name
    shutil.copy(record.with_name("seed-0.ckpt"), folder / "seed-0.ckpt")
    content = json.loads(record.read_text())
    content.update(changes)
    copy.write_text(json.dumps(content))
    return copy


def test_predict_with_a_null_or_bad_checkpoint_name_is_one_line(monkeypatch, capsys, constant_run, clip,
                                                                 tmp_path):
    code, out, _ = run_cli(monkeypatch, capsys, "predict", str(clip), "--run", str(constant_run))
    assert code == 0 and "probability" in out  # the untouched run predicts
    for i, (value, said) in enumerate([(None, "names no checkpoint"), ("", "not a plain file name"),
                                       ("..", "not a plain file name"), ("../seed-0.ckpt", "not a plain file")]):
        edited = _edited_copy(constant_run, tmp_path / str(i), checkpoint_file=value)
        code, _, err = run_cli(monkeypatch, capsys, "predict", str(clip), "--run", str(edited))
        assert code == 2 and str(edited) in err and said in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("training, said", [
    ({"batch_size": 0}, "batch_size: Input should be greater than 0"),
    ({"batch_size": "many"}, "batch_size: Input should be a valid integer"),
    ({"batch_size": 1e308}, "batch_size"),
    ({"batch_size": 8, "surprise": 1}, "surprise: Extra inputs are not permitted"),
])
def test_predict_with_bad_training_settings_is_one_line(monkeypatch, capsys, constant_run, clip, tmp_path,
                                                        training, said):
    content = json.loads(constant_run.read_text())
    edited = _edited_copy(constant_run, tmp_path, config={**content["config"], "training": training})
    code, _, err = run_cli(monkeypatch, capsys, "predict", str(clip), "--run", str(edited))
    assert code == 2 and str(edited) in err and "config.training does not fit baseline 'constant'" in err, err
    assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
