"""The binary copy beside a predictions CSV: read only while it matches the CSV's bytes and the board's
labels, ignored (never an error) when stale, damaged, pickled or of other labels; a run writes both."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from helpers import run_cli
from irbench.store import predictions_file
from irbench.store.predictions_file import binary_copy_path, read_clip_table, write_binary_copy
from test_report_support import LABELS, clips, write_predictions


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "seed-0.predictions.csv"
    ids, groups, targets, scores, predictions = clips(n_clips=40, n_groups=8)
    write_predictions(path, ids, groups, targets, scores, predictions)
    return path


def _parsed(path, labels=LABELS):
    return predictions_file._parse_csv(str(path), tuple(labels))


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in
               ("clip_ids", "groups", "targets", "predictions", "scores", "mask")) and a.has_groups == b.has_groups


def _fresh(path, labels=LABELS):
    predictions_file._read.cache_clear()
    return read_clip_table(path, labels)


def test_the_copy_holds_exactly_what_parsing_the_csv_gives(csv_file, monkeypatch):
    write_binary_copy(csv_file, tuple(LABELS))
    assert binary_copy_path(csv_file).name == "seed-0.predictions.npz"
    monkeypatch.setattr(predictions_file, "_parse_csv", lambda *a: pytest.fail("the CSV was parsed"))
    table = _fresh(csv_file)
    monkeypatch.undo()
    assert _same(table, _parsed(csv_file)) and table.clip_ids.dtype == object


def test_a_stale_copy_is_ignored_and_the_csv_read(csv_file):
    write_binary_copy(csv_file, tuple(LABELS))
    text = csv_file.read_text().splitlines()
    header, first = text[0].split(","), text[1].split(",")
    first[header.index(f"score_{LABELS[0]}")] = "0.987654"
    csv_file.write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n")
    table = _fresh(csv_file)
    assert table.scores[0, 0] == 0.987654 and _same(table, _parsed(csv_file))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "pickled", "other shape"])
def test_a_damaged_or_hostile_copy_is_ignored(csv_file, damage):
    write_binary_copy(csv_file, tuple(LABELS))
    copy = binary_copy_path(csv_file)
    if damage == "garbage":
        copy.write_bytes(b"not a zip file")
    elif damage == "truncated":
        copy.write_bytes(copy.read_bytes()[:200])
    else:
        with np.load(copy) as arrays:
            fields = dict(arrays)
        if damage == "pickled":
            fields["ids"] = np.array([{"x": 1}] * fields["ids"].size, dtype=object).reshape(fields["ids"].shape)
        else:
            fields["scores"] = fields["scores"][:, :2]
        with open(copy, "wb") as handle:
            np.savez(handle, **fields)
    assert _same(_fresh(csv_file), _parsed(csv_file))


def test_a_copy_of_other_labels_is_ignored(csv_file):
    write_binary_copy(csv_file, tuple(LABELS))
    reordered = list(reversed(LABELS))
    assert _same(_fresh(csv_file, reordered), _parsed(csv_file, reordered))


def test_a_run_writes_the_copy_beside_its_predictions(tmp_path, monkeypatch, capsys, micro_stand_in):
    home = micro_stand_in("irmas")
    code, _, err = run_cli(monkeypatch, capsys, "run", "--task", "irmas", "--baseline", "constant", "--data-home",
                           str(home), "--results-dir", str(tmp_path / "results"), "--cache-dir", str(tmp_path / "c"))
    assert code == 0, err
    (record,) = (tmp_path / "results").rglob("seed-0.json")
    csv_path = record.with_name(json.loads(record.read_text())["predictions_file"])
    assert zipfile.is_zipfile(binary_copy_path(csv_path))
    labels = json.loads(record.read_text())["per_class"].keys()
    assert _same(_fresh(csv_path, list(labels)), _parsed(csv_path, list(labels)))
