import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile

from irbench.errors import DataNotFoundError, DatasetLayoutError
from irbench.tasks.irmas import LABELS, IrmasTask, parse_training_name, read_test_labels, excerpt_track

INDEX = "irmas/mirdata/mirdata/datasets/indexes/irmas_index_1.0.json"


def test_every_training_name_of_the_official_index_parses_to_its_folder_class(real_data):
    tracks = json.loads((real_data / INDEX).read_text())["tracks"]
    training = [Path(t["audio"][0]) for t in tracks.values() if t["audio"][0].startswith("IRMAS-TrainingData")]
    assert len(training) == 6660  # mirdata's index lacks 45 of the 6,705 files (33 key collisions, 12 [---])
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


# The two [---] names the issue quotes from the official listing; mirdata's index has none of the 12.
UNKNOWN_DRUM_NAMES = ("gel/014__[gel][---][pop_roc]0978__1.wav", "tru/205__[tru][---][jaz_blu]1987__2.wav")


def test_the_unknown_drum_tag_is_accepted_and_kept_as_metadata(tmp_path):
    tags = parse_training_name(Path("IRMAS-TrainingData") / UNKNOWN_DRUM_NAMES[0])
    assert (tags["cls"], tags["drums"], tags["genre"], tags["song"]) == ("gel", "---", "pop_roc", "0978")
    with pytest.raises(DatasetLayoutError):
        parse_training_name(Path("IRMAS-TrainingData/gel/014__[gel][--][pop_roc]0978__1.wav"))


def _short_wav() -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros((16, 2), np.int16), 44_100, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _complete_listing(real_data):
    """All 6,705 training and 2,874 test names we can name: mirdata's full index (6,660 + 2,874), the two
    quoted [---] names, and 43 made-up names standing for the 10 [---] and 33 colliding names nobody has
    published (same patterns: [---] tags; a second file of an indexed song and excerpt under a new prefix)."""
    tracks = json.loads((real_data / INDEX).read_text())["tracks"].values()
    training = [t["audio"][0] for t in tracks if t["audio"][0].startswith("IRMAS-TrainingData")]
    test = [(t["audio"][0], t["annotation"][0]) for t in tracks if t["audio"][0].startswith("IRMAS-Testing")]
    training += [f"IRMAS-TrainingData/{name}" for name in UNKNOWN_DRUM_NAMES]
    genres = ("pop_roc", "jaz_blu", "cla", "cou_fol", "lat_sou")
    training += [f"IRMAS-TrainingData/{LABELS[i % 11]}/9{i:02d}__[{LABELS[i % 11]}][---][{genres[i % 5]}]"
                 f"9{i:03d}__1.wav" for i in range(10)]
    for i, name in enumerate(sorted(training)[:33]):  # same song and excerpt, another prefix
        folder, base = name.rsplit("/", 1)
        unprefixed = re.sub(r"^\d+__", "", base)
        training.append(f"{folder}/8{i:02d}__{unprefixed}")
    return training, test


def test_the_complete_official_listing_loads(real_data, tmp_path):
    training, test = _complete_listing(real_data)
    assert (len(training), len(set(training)), len(test)) == (6705, 6705, 2874)
    wav = _short_wav()
    for name in training:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(wav)
    for number, (audio, labels) in enumerate(test):
        (tmp_path / audio).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / audio).write_bytes(wav)
        (tmp_path / labels).write_text(f"{LABELS[number % 11]}\t\n{LABELS[(number + 3) % 11]}\t\n")
    data = IrmasTask().load(tmp_path)
    assert len(data.splits["train"]) + len(data.splits["validation"]) == 6705
    assert len(data.splits["test"]) == 2874
    unknown = [c for c in data.splits["train"] + data.splits["validation"] if "[---]" in c.clip_id]
    assert len(unknown) == 12 and {c.metadata["drums"] for c in unknown} == {"unknown"}
    assert len({c.group for c in data.splits["test"]}) == 208  # the test excerpts' tracks
    assert not {c.group for c in data.splits["train"]} & {c.group for c in data.splits["validation"]}


def test_test_excerpts_are_grouped_by_track():
    assert excerpt_track(Path("Part1/02 - And The Body Will Die-8.wav")) == "02 - And The Body Will Die"
    assert excerpt_track(Path("Part2/01. Trouble (No. 2)-14.wav")) == "01. Trouble (No. 2)"
