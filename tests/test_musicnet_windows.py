"""MusicNet: every model window is labelled for exactly the span it covers, checked against the notes."""

import numpy as np
import pytest

from irbench.baselines import get_baseline
from irbench.features import frontend_grid
from irbench.run.prepare import Stages, prepare
from irbench.tasks import get_task
from irbench.tasks.musicnet import GROUPS, PRESENCE_FRACTION, SAMPLE_RATE, read_note_labels


def _coverage(notes: np.ndarray, start: float, end: float) -> float:
    """Exact share of ``[start, end)`` covered by the union of ``notes`` ``(n, 2)`` seconds (no grid)."""
    covered, reach = 0.0, start
    for low, high in sorted(map(tuple, notes)):
        low, high = max(low, reach), min(high, end)
        if high > low:
            covered += high - low
            reach = high
    return covered / (end - start)


@pytest.fixture(scope="module")
def prepared(stand_in, feature_cache):
    task, vgg = get_task("musicnet"), get_baseline("vgg")
    data = task.load(stand_in("musicnet"))
    ready = prepare(task, data, vgg.frontend_name, vgg.frontend_config.model_dump(), vgg.input_frames,
                    feature_cache, 2, False, False, Stages())
    return task, data, ready, frontend_grid(vgg.frontend_name, vgg.frontend_config.model_dump())


def test_training_windows_carry_the_labels_of_their_own_span(prepared):
    task, data, ready, grid = prepared
    program_to_class = {p: name for name, programs in GROUPS.items() for p in programs}
    index = ready.indexes["train"]
    clips = ready.splits["train"]
    notes = {}
    checked = 0
    for row in range(len(index)):
        clip = clips[index.clip[row]]
        if clip.path not in notes:
            csv = data.data_home / "train_labels" / f"{clip.path.stem}.csv"
            notes[clip.path] = read_note_labels(csv, program_to_class)
        start = index.start[row] / grid.frames_per_second
        end = (index.start[row] + index.valid[row]) / grid.frames_per_second
        frame = 1 / grid.frames_per_second  # segment bounds are rounded to the frame grid
        assert clip.segment[0] - frame <= start and end <= clip.segment[1] + frame  # inside its 3-s window
        for column, label in enumerate(task.metadata.labels):
            share = _coverage(notes[clip.path].get(label, np.zeros((0, 2))), start, end)
            if abs(share - PRESENCE_FRACTION) < 0.02:  # the 100 Hz grid may round either way here
                continue
            assert index.targets[row, column] == (share >= PRESENCE_FRACTION), (clip.clip_id, label, share)
            checked += 1
    assert checked > 1000 and SAMPLE_RATE == 44_100


def test_each_three_second_window_is_covered_by_model_windows_inside_it(prepared):
    _, _, ready, grid = prepared
    index = ready.indexes["test"]
    for number, clip in enumerate(ready.splits["test"]):
        rows = np.flatnonzero(index.clip == number)
        starts = index.start[rows] / grid.frames_per_second
        ends = (index.start[rows] + index.window_frames) / grid.frames_per_second
        assert len(rows) == 2  # 3 s with 2.048-s windows
        assert starts.min() == pytest.approx(clip.segment[0], abs=0.02)
        assert ends.max() == pytest.approx(clip.segment[1], abs=0.02)
