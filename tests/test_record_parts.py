"""The run record's typed parts: read as models, lifted from older schema versions, extra keys kept, a broken
part named with its file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from irbench.errors import DatasetLayoutError
from irbench.store.record_parts import BaselineIdentity, DecisionRule, ProtocolExtras, TrainingSummary
from irbench.store.records import MIGRATIONS, SCHEMA_VERSION, read_record
from test_report_support import edit_json, write_run


def test_a_record_reads_as_typed_parts(tmp_path):
    record = read_record(write_run(tmp_path, absent=("org",)))
    assert isinstance(record.config.baseline, BaselineIdentity) and record.config.baseline.frontend == "log-mel"
    assert record.config.training["batch_size"] == 64 and record.config.device == "cpu"
    assert isinstance(record.threshold, DecisionRule) and record.threshold.value == 0.5
    assert record.training.epochs == 3 and record.training.best_epoch == 2
    assert isinstance(record.extra, ProtocolExtras) and record.extra.classes_without_support == ["org"]


def test_a_schema_1_record_is_migrated_and_unknown_keys_round_trip(tmp_path):
    path = write_run(tmp_path)
    content = json.loads(path.read_text())
    content.pop("schema_version")  # schema 1 records had no version field
    content["threshold"]["s1_value"] = 0.25  # a protocol's threshold per aggregation
    content["config"]["baseline"]["notes"] = {"weights_sha256": "ab" * 32}
    path.write_text(json.dumps(content))
    record = read_record(path)
    assert record.schema_version == SCHEMA_VERSION
    dumped = record.model_dump(mode="json")
    assert dumped["threshold"]["s1_value"] == 0.25
    assert record.config.baseline.notes == {"weights_sha256": "ab" * 32}


def test_every_older_schema_version_has_a_migration_path():
    for version in MIGRATIONS:
        content = {"schema_version": version}
        seen = set()
        while content["schema_version"] != SCHEMA_VERSION:
            assert content["schema_version"] not in seen, "migrations loop"
            seen.add(content["schema_version"])
            content = MIGRATIONS[content["schema_version"]](content)


@pytest.mark.parametrize("part, value, named", [
    ("threshold", {"value": "high"}, "threshold.value"),
    ("training", {"epochs": "many"}, "training.epochs"),
    ("config", {"training": {}}, "config.baseline"),
])
def test_a_broken_part_is_refused_naming_the_file_and_field(tmp_path, part, value, named):
    path = write_run(tmp_path)
    edit_json(path, **{part: value})
    with pytest.raises(DatasetLayoutError, match=str(path.name)) as error:
        read_record(path)
    assert named in str(error.value)


@pytest.mark.parametrize("version", ["99", ["2"], 2])
def test_a_version_this_irbench_cannot_read_is_named(tmp_path, version):
    path = write_run(tmp_path)
    edit_json(path, schema_version=version)
    with pytest.raises(DatasetLayoutError, match=r"schema version .* is not one this irbench reads"):
        read_record(path)


def test_a_json_list_is_not_a_record(tmp_path):
    path = tmp_path / "seed-0.json"
    path.write_text("[1, 2]")
    with pytest.raises(DatasetLayoutError, match="not an irbench run record"):
        read_record(path)


@pytest.mark.parametrize("value, scores, expected", [
    (0.5, [[0.2, 0.5, 0.9]], [[False, True, True]]),
    (None, [[0.2, 0.5, 0.9], [0.7, 0.1, 0.2]], [[False, False, True], [True, False, False]]),
])
def test_the_decision_rule_decides_as_recorded(value, scores, expected):
    rule = DecisionRule(aggregation="s1", value=value, chosen_on="validation")
    assert rule.decide(np.array(scores)).tolist() == expected
    assert ("threshold 0.5" in rule.describe()) == (value is not None)


def test_a_schema_2_record_reads_with_its_best_epoch_counted_from_1(tmp_path):
    path = write_run(tmp_path)
    content = json.loads(path.read_text())
    content["schema_version"] = "2"  # schema 2 counted epochs from 0: best_epoch 0 was the first epoch
    content["training"] = {"epochs": 10, "best_epoch": 0, "stopped_early": True, "n_parameters": 1000}
    content["config"]["training"].update(max_epochs=40, patience=8)
    path.write_text(json.dumps(content))
    training = read_record(path).training
    assert (training.epochs, training.best_epoch, training.max_epochs, training.patience) == (10, 1, 40, 8)
    assert training.stopping_note() == ("validation loss never improved after epoch 1; stopped early at epoch 10 "
                                        "of 40 (patience 8); kept epoch 1")
    content["schema_version"] = "1"  # schema 1 as well, through 2
    content["training"]["best_epoch"] = None  # no validation: nothing to shift, no patience watched
    path.write_text(json.dumps(content))
    training = read_record(path).training
    assert training.best_epoch is None and training.patience is None and training.max_epochs == 40


@pytest.mark.parametrize("fields, note", [
    ({"epochs": 40, "best_epoch": 40, "max_epochs": 40}, None),
    ({"epochs": 0, "n_parameters": 0}, None),
    ({"epochs": 14, "best_epoch": 9, "stopped_early": True, "max_epochs": 40, "patience": 5},
     "stopped early at epoch 14 of 40 (patience 5); kept epoch 9"),
    ({"epochs": 10, "best_epoch": 1, "max_epochs": 10},
     "validation loss never improved after epoch 1; kept epoch 1 of 10"),
    ({"epochs": 40, "best_epoch": 31, "max_epochs": 40},
     "kept epoch 31 of 40 (validation loss did not improve after it)"),
    ({"epochs": 10, "max_epochs": 10}, "no validation loss; kept the last epoch, 10 of 10"),
    ({"epochs": 0, "max_epochs": 0}, "no epoch trained (max_epochs 0); kept the initial weights"),
    ({"epochs": 1, "best_epoch": 1, "max_epochs": 1}, None),
])
def test_the_stopping_note_says_when_training_stopped_and_what_it_kept(fields, note):
    assert TrainingSummary(**{"n_parameters": 1000, **fields}).stopping_note() == note
