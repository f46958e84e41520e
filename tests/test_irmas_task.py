import json
from pathlib import Path

import pytest

from irbench.errors import DataNotFoundError, DatasetLayoutError
from irbench.tasks.irmas import LABELS, IrmasTask, parse_training_name, read_test_labels

INDEX = "irmas/mirdata/mirdata/datasets/indexes/irmas_index_1.0.json"


def test_every_training_name_of_the_official_index_parses_to_its_folder_class(real_data):
    tracks = json.loads((real_data / INDEX).read_text())["tracks"]
    training = [Path(t["audio"][0]) for t in tracks.values() if t["audio"][0].startswith("IRMAS-TrainingData")]
    assert len(training) == 6660  # mirdata's index; its key collisions drop 45 of the 6,705 files
    classical_non_clarinet = 0
    for path in training:
        tags = parse_training_name(path)
        assert tags["cls"] == path.parent.name, path
        if tags["genre"] == "cla" and tags["cls"] != "cla":
            classical_non_clarinet += 1
    # the [cla] genre tag must never turn a classical piano or violin excerpt into a clarinet
    assert classical_non_clarinet > 100


@pytest.mark.parametrize("name", ["[xyz][cla]0001__1.wav", "cla0001__1.wav", "[pia][rock]0001__1.wav"])
def test_malformed_training_names_raise_naming_the_file(name):
    with pytest.raises(DatasetLayoutError, match=r"\[|name"):
        parse_training_name(Path("IRMAS-TrainingData/pia") / name)


def test_test_labels_tolerate_trailing_tabs_and_name_a_bad_line(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("gel\t\nvoi\t\n")
    assert read_test_labels(good) == ("gel", "voi")
    bad = tmp_path / "b.txt"
    bad.write_text("gel\t\ndrums\t\n")
    with pytest.raises(DatasetLayoutError, match=r"b\.txt:2: unknown IRMAS label 'drums'"):
        read_test_labels(bad)


def test_real_irmas_clips_load_through_the_task(real_irmas_root):
    data = IrmasTask().load(real_irmas_root)
    assert not data.stand_in
    train = data.splits["train"] + data.splits["validation"]
    assert sorted(c.labels[0] for c in train) == ["cla", "sax", "vio", "vio"]
    assert {c.metadata["genre"] for c in train} == {"cla", "jaz_blu", "cou_fol"}
    test = {Path(c.clip_id).name: c.labels for c in data.splits["test"]}
    assert test["02 - And The Body Will Die-8.wav"] == ("gel", "voi")
    assert test["02. School Boy-9.wav"] == ("pia", "tru")
    assert len(test) == 4 and all(set(labels) <= set(LABELS) for labels in test.values())


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(DataNotFoundError, match="irbench data synth irmas --out"):
        IrmasTask().load(tmp_path)


def test_a_class_folder_disagreeing_with_the_first_tag_is_an_error(tmp_path):
    wrong = tmp_path / "IRMAS-TrainingData/pia/[vio][cla]0001__1.wav"
    wrong.parent.mkdir(parents=True)
    wrong.write_bytes(b"")
    with pytest.raises(DatasetLayoutError, match="disagrees with its class folder"):
        IrmasTask().load(tmp_path)


def test_stand_in_is_marked_and_split_into_three(tiny_irmas):
    data = IrmasTask().load(tiny_irmas)
    assert data.stand_in and data.stand_in_info["scale"] == "tiny"
    sizes = {name: len(clips) for name, clips in data.splits.items()}
    assert sizes["train"] + sizes["validation"] == 132 and sizes["test"] == 24
    assert {c.labels[0] for c in data.splits["validation"]} == set(LABELS)
