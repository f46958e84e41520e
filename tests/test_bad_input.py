"""Bad input per task: an error that names the file (and the line), never a bare traceback."""

import shutil

import pytest

from irbench.errors import AudioDecodeError, DatasetLayoutError
from irbench.run.runner import RunOptions, run_benchmark
from irbench.tasks import get_task


def _copy(stand_in, task, tmp_path):
    root = tmp_path / task
    shutil.copytree(stand_in(task), root)
    return root


def test_openmic_missing_partition_file(stand_in, tmp_path):
    root = _copy(stand_in, "openmic", tmp_path)
    (root / "partitions/split01_test.csv").unlink()
    with pytest.raises(DatasetLayoutError, match=r"split01_test\.csv: cannot open"):
        get_task("openmic").load(root)


def test_openmic_unknown_class_names_the_line(stand_in, tmp_path):
    root = _copy(stand_in, "openmic", tmp_path)
    labels = root / "openmic-2018-aggregated-labels.csv"
    lines = labels.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "kazoo")
    labels.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetLayoutError, match=r"aggregated-labels\.csv:4: unknown OpenMIC instrument 'kazoo'"):
        get_task("openmic").load(root)


@pytest.mark.parametrize("task, edit, message", [
    ("musicnet", lambda cells: cells.__setitem__(2, "54"), r"1000\.csv:3: instrument 54 is not in this task"),
    ("musicnet-instruments", lambda cells: cells.__setitem__(2, "57"), r"1000\.csv:3: instrument 57 is not"),
    ("musicnet", lambda cells: cells.__setitem__(1, str(int(cells[0]) - 1)), r"1000\.csv:3: note ends .* before"),
])
def test_musicnet_label_errors_name_the_line(stand_in, tmp_path, task, edit, message):
    root = _copy(stand_in, task, tmp_path)
    labels = root / "train_labels/1000.csv"
    lines = labels.read_text().splitlines()
    cells = lines[2].split(",")
    edit(cells)
    lines[2] = ",".join(cells)
    labels.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetLayoutError, match=message):
        get_task(task).load(root)


def test_medley_unknown_instrument_id_names_the_line(stand_in, tmp_path):
    root = _copy(stand_in, "medley-solos", tmp_path)
    table = root / "annotation/Medley-solos-DB_metadata.csv"
    lines = table.read_text().splitlines()
    lines[5] = lines[5].replace(",0,", ",9,")
    table.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetLayoutError, match=r"metadata\.csv:6: unknown instrument_id '9'"):
        get_task("medley-solos").load(root)


def test_unreadable_clip_is_named(stand_in, tmp_path):
    root = _copy(stand_in, "medley-solos", tmp_path)
    bad = sorted((root / "audio").glob("*training-4_*.wav"))[0]
    bad.write_bytes(b"not a wav file")
    with pytest.raises(AudioDecodeError, match=bad.name):
        run_benchmark(RunOptions("medley-solos", "constant", root, tmp_path / "r", tmp_path / "c", workers=1,
                                 show_progress=False))


def test_openmic_survives_corrupt_audio_and_lists_it(stand_in, tmp_path):
    root = _copy(stand_in, "openmic", tmp_path)
    bad = sorted((root / "audio").rglob("*.ogg"))[3]
    bad.write_bytes(b"OggS but not really")
    record, _ = run_benchmark(RunOptions("openmic", "constant", root, tmp_path / "r", tmp_path / "c", workers=1,
                                         show_progress=False))
    assert [s["file"] for s in record.skipped_files] == [str(bad)]
