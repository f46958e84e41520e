"""The task loaders on the real dataset files of ../shared/data/real (skipped when absent)."""

import numpy as np
import pytest
import soundfile

from irbench.errors import DataNotFoundError
from irbench.tasks.medley_solos import MedleySolosBinaryTask, MedleySolosTask
from irbench.tasks.musicnet import GROUPS, INSTRUMENTS, read_metadata, read_note_labels, window_labels
from irbench.tasks.openmic import OpenMicTask, read_vggish


def test_medley_solos_real_clips_and_full_metadata(real_medley_root):
    data = MedleySolosTask().load(real_medley_root, allow_missing=True)
    labels = {name: sorted(c.labels[0] for c in clips) for name, clips in data.splits.items()}
    assert labels == {"train": ["female singer"] * 3, "validation": ["flute"], "test": ["clarinet"] * 3}
    assert len(data.missing) == 21_571 - 7 and not data.stand_in
    for clip in data.splits["test"]:
        info = soundfile.info(clip.path)
        assert (info.samplerate, info.channels, info.frames) == (44_100, 1, 131_072)
    with pytest.raises(DataNotFoundError, match="21564 audio file"):
        MedleySolosTask().load(real_medley_root)


def test_medley_solos_release_1_2_header_and_binary_subset(real_data, real_medley_root):
    root = real_data / "medley_solos_db/mirdata/tests/resources/mir_datasets/medley_solos_db"
    data = MedleySolosTask().load(root)  # song_id header, one validation flute clip
    assert [c.labels for c in data.splits["validation"]] == [("flute",)] and data.splits["validation"][0].group == "210"
    binary = MedleySolosBinaryTask().load(real_medley_root, allow_missing=True)
    assert all(not clips for clips in binary.splits.values())  # none of the 7 real clips is piano or violin
    assert len(binary.missing) > 5000


def test_openmic_real_track_labels_vggish_and_full_split_lists(real_openmic_root):
    data = OpenMicTask().load(real_openmic_root, allow_missing=True)
    clips = {c.clip_id: c for split in data.splits.values() for c in split}
    assert list(clips) == ["000046_3840"]
    clip = clips["000046_3840"]
    assert clip in data.splits["train"] + data.splits["validation"]  # 000046_3840 is in split01_train
    assert clip.observed == ("clarinet", "flute", "trumpet") and clip.labels == ()  # clarinet relevance 0.17
    assert len(data.missing) == 14_915 + 5_085 - 1
    times, features = read_vggish(real_openmic_root / "vggish/000/000046_3840.json")
    assert features.shape == (len(times), 128) and features.dtype == np.uint8 and times[1] == pytest.approx(0.96)
    info = soundfile.info(clip.path)
    assert info.samplerate == 44_100 and info.duration == pytest.approx(10.0, abs=0.1)
    mask = OpenMicTask().mask([clip])
    assert mask.sum() == 3 and OpenMicTask().targets([clip]).sum() == 0


def test_musicnet_real_label_csv(real_data):
    path = real_data / "musicnet/omnizart/tests/resource/gt_files/musicnet_gt_file.csv"
    program_to_group = {p: name for name, programs in GROUPS.items() for p in programs}
    groups = read_note_labels(path, program_to_group)
    assert set(groups) == {"keyboard", "strings", "woodwind", "flute"}
    instruments = read_note_labels(path, {p[0]: name for name, p in INSTRUMENTS.items()})
    assert set(instruments) == {"piano", "harpsichord", "violin", "viola", "contrabass", "oboe", "bassoon",
                                "clarinet", "flute"}
    start, end = instruments["flute"][0]
    assert start == pytest.approx(34270 / 44100) and end == pytest.approx(64990 / 44100)
    assert window_labels(groups, 1, window_seconds=1.5) == [("flute", "keyboard", "strings", "woodwind")]


@pytest.mark.parametrize("copy, rows", [
    ("pymir/data/musicnet/musicnet_metadata.csv", 330),  # quoted fields, extra column
    ("DTWMatcher/data/musicnet_metadata/musicnet_metadata.csv", 320),  # 10 rows removed by its author
    ("Projet-IA-AA/musicnet_metadata.csv", 330),  # CRLF, commas replaced
])
def test_musicnet_real_metadata_variants(real_data, copy, rows):
    metadata = read_metadata(real_data / "musicnet" / copy)
    assert len(metadata) == rows
    assert metadata[1759]["ensemble"] and int(metadata[1759]["seconds"]) > 0  # an official test recording
