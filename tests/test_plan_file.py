"""Any array scheduler (issue 21.5): ``irbench sweep --plan FILE`` writes the grid's cells, and running every
index with ``irbench sweep run-cell --plan FILE --index N`` gives the records of an inline sweep."""

from __future__ import annotations

import json

import pytest
from helpers import run_cli

from irbench.store.records import find_records, read_record

SAME = ("task", "task_version", "baseline", "config", "seed", "metrics", "per_class", "threshold", "n_test")


def _grid(data, results, cache):
    return ("-t", "medley-solos", "-b", "constant,vgg", "-s", "0,1", "-d", str(data), "--results-dir",
            str(results), "--cache-dir", str(cache), "--max-epochs", "1", "-q")


def _records(results) -> dict:
    found = {}
    for path in find_records(results):
        record = read_record(path).model_dump(mode="json")
        found[path.relative_to(results).as_posix()] = {key: record[key] for key in SAME}
    return found


def test_every_index_run_by_hand_gives_the_inline_sweep_records(monkeypatch, capsys, stand_in, feature_cache,
                                                                tmp_path):
    data = stand_in("medley-solos")
    inline, planned = tmp_path / "inline", tmp_path / "planned"
    code, _, err = run_cli(monkeypatch, capsys, "sweep", *_grid(data, inline, feature_cache))
    assert code == 0, err
    plan = tmp_path / "plan.json"
    code, out, err = run_cli(monkeypatch, capsys, "sweep", *_grid(data, planned, feature_cache), "--plan", str(plan))
    assert code == 0, err
    assert "wrote 4 cell(s)" in out and not find_records(planned)  # writing the plan runs nothing
    cells = json.loads(plan.read_text())["cells"]
    assert [c["index"] for c in cells] == [0, 1, 2, 3] and {c["baseline"] for c in cells} == {"constant", "vgg"}
    for index in range(len(cells)):
        code, _, err = run_cli(monkeypatch, capsys, "sweep", "run-cell", "--plan", str(plan), "--index", str(index))
        assert code == 0, err
    assert _records(planned) == _records(inline)
    code, out, _ = run_cli(monkeypatch, capsys, "sweep", *_grid(data, planned, feature_cache), "--status")
    assert code == 0 and "4 cells: 4 done" in out
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "run-cell", "--plan", str(plan), "--index", "0")
    assert code == 0 and "kept" in err  # its record exists: nothing runs again


@pytest.mark.parametrize("content, problem", [
    (None, "no such plan file"), ("{not json", "not a readable irbench plan file"),
    ('{"irbench_plan": 99}', "not an irbench plan file of version 1"),
])
def test_a_bad_plan_file_is_one_line(monkeypatch, capsys, tmp_path, content, problem):
    plan = tmp_path / "plan.json"
    if content is not None:
        plan.write_text(content)
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "run-cell", "--plan", str(plan), "--index", "0")
    assert code == 2 and problem in err and "Traceback" not in err


def test_an_index_outside_the_plan_is_refused(monkeypatch, capsys, stand_in, tmp_path):
    plan = tmp_path / "plan.json"
    grid = ("-t", "medley-solos", "-b", "constant", "-s", "0", "-d", str(stand_in("medley-solos")),
            "--results-dir", str(tmp_path / "r"), "--plan", str(plan))
    assert run_cli(monkeypatch, capsys, "sweep", *grid)[0] == 0
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "run-cell", "--plan", str(plan), "--index", "5")
    assert code == 2 and "no cell 5" in err and "cells 0 to 0" in err
