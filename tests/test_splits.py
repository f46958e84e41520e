from pathlib import Path

import pytest

from irbench.data.splits import grouped_stratified_split
from irbench.task import Clip


def _clips(n_classes=4, songs=10, excerpts=3):
    return [
        Clip(f"{c}/{s}__{e}", Path("x"), (f"c{c}",), group=f"c{c}/{s}")
        for c in range(n_classes) for s in range(songs) for e in range(excerpts)
    ]


def test_no_recording_on_both_sides_and_every_class_in_both():
    train, validation = grouped_stratified_split(_clips(), 0.15, seed=0)
    assert not {c.group for c in train} & {c.group for c in validation}
    assert {c.labels for c in train} == {c.labels for c in validation}
    assert len(train) + len(validation) == 120


def test_the_fraction_is_near_the_target_per_class():
    _, validation = grouped_stratified_split(_clips(songs=40), 0.15, seed=3)
    per_class = [sum(c.labels[0] == f"c{k}" for c in validation) for k in range(4)]
    assert all(abs(n - 18) <= 3 for n in per_class), per_class


def test_same_seed_same_split_and_other_seed_other_split():
    a = grouped_stratified_split(_clips(), 0.15, seed=1)
    b = grouped_stratified_split(_clips(), 0.15, seed=1)
    c = grouped_stratified_split(_clips(), 0.15, seed=2)
    assert [x.clip_id for x in a[1]] == [x.clip_id for x in b[1]]
    assert [x.clip_id for x in a[1]] != [x.clip_id for x in c[1]]


def test_a_single_recording_class_stays_in_training():
    clips = [Clip("a", Path("x"), ("solo",), group="g")] + _clips(1)
    train, validation = grouped_stratified_split(clips, 0.15, seed=0)
    assert "a" in {c.clip_id for c in train}


def test_fraction_out_of_range():
    with pytest.raises(ValueError):
        grouped_stratified_split(_clips(), 1.5, seed=0)
