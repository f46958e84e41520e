"""The run record's typed parts: read as models, lifted from older schema versions, extra keys kept, a broken
part named with its file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from irbench.errors import DatasetLayoutError
from irbench.record_parts import BaselineIdentity, DecisionRule, ProtocolExtras
from irbench.records import MIGRATIONS, SCHEMA_VERSION, read_record
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
