"""The stand-ins cluster like the real data: the loaders' bootstrap units (test groups) match each plan.

Small and full scales are checked without rendering audio: every planned file is written empty (plus the
IRMAS label files and each generator's index files), which is all the loaders read. Tiny is also rendered.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from irbench import __version__
from irbench.errors import IrbenchError
from irbench.evaluation.bootstrap import bootstrap_interval
from irbench.data.standin import STAND_IN_MARKER
from irbench.synth.base import apportion
from irbench.synth.irmas import REAL_TEST_TRACKS, SCALES, IrmasStandIn, label_text
from irbench.synth.medley_solos import MIN_SONGS_PER_INSTRUMENT, REAL_SONG_SIZES, SUBSET_SIZES, MedleySolosStandIn
from irbench.synth.musicnet import MusicNetStandIn
from irbench.synth import openmic as openmic_stand_in
from irbench.synth.openmic import SPLIT_SIZES, OpenMicStandIn
from irbench.synth.render import default_soundfont, soundfont_sha256
from irbench.tasks import get_task
from irbench.tasks.irmas import LABELS
from irbench.tasks import medley_solos as medley_task
from irbench.tasks import openmic as openmic_task

GENERATORS = {"irmas": IrmasStandIn, "medley-solos": MedleySolosStandIn, "openmic": OpenMicStandIn}


def planned_groups(task: str, plans: list) -> dict[str, str]:
    """clip_id -> the plan's recording for every planned test clip of ``task``."""
    if task == "irmas":
        return {p.relative_path: str(p.recording) for p in plans if p.is_test}
    if task == "medley-solos":
        return {p.uuid4: str(p.song_id) for p in plans if p.subset == "test"}
    return {p.sample_key: str(p.track) for p in plans if p.split == "test"}


def write_layout(task: str, scale: str, out: Path) -> list:
    """Write ``task``'s stand-in at ``scale`` with empty audio files; returns the plans."""
    generator = GENERATORS[task](0)
    plans = generator.plan(scale)
    for p in plans:
        if task == "irmas":
            path = out / p.relative_path
        elif task == "medley-solos":
            path = medley_task.audio_path(out, p.subset, p.instrument_id, p.uuid4)
        else:
            path = openmic_task.audio_path(out, p.sample_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        if task == "irmas" and p.is_test:
            path.with_suffix(".txt").write_text(label_text(p.labels))
        if task == "openmic":  # render writes each clip's VGGish file, which finish gathers into the npz
            vggish = openmic_stand_in.vggish_path(out, p.sample_key)
            vggish.parent.mkdir(parents=True, exist_ok=True)
            vggish.write_text(json.dumps({"time_points": [0.0], "features": [[0] * 128]}))
    generator.finish(plans, out)
    return plans


def assert_loader_groups_match_plan(task: str, root: Path, plans: list) -> int:
    """The loader's test groups are exactly the plan's recordings (same partition of the clips), and the
    bootstrap resamples that many units; returns their number."""
    data = get_task(task).load(root)
    planned = planned_groups(task, plans)
    loaded = {clip.clip_id: clip.group for clip in data.splits["test"]}
    assert set(loaded) == set(planned)
    pairs = {(loaded[c], planned[c]) for c in planned}
    n_groups = len(set(planned.values()))
    assert len({g for g, _ in pairs}) == len({r for _, r in pairs}) == len(pairs) == n_groups
    train_groups = {c.group for s in ("train", "validation") for c in data.splits[s]}
    assert not train_groups & set(loaded.values())  # no recording in both training and test
    groups = [c.group or c.clip_id for c in data.splits["test"]]  # what the runner resamples
    interval = bootstrap_interval(lambda i: float(len(i)), groups, resamples=10, unit="unit")
    assert interval["n_units"] == n_groups
    return n_groups


@pytest.mark.parametrize("task", sorted(GENERATORS))
def test_rendered_tiny_stand_in_groups_like_its_plan(task, stand_in):
    n_groups = assert_loader_groups_match_plan(task, stand_in(task), GENERATORS[task](0).plan("tiny"))
    assert n_groups >= 2  # enough units for a bootstrap


@pytest.mark.parametrize("scale", ["small", "full"])
@pytest.mark.parametrize("task", sorted(GENERATORS))
def test_loaders_group_the_larger_layouts_like_their_plans(task, scale, tmp_path):
    plans = write_layout(task, scale, tmp_path)
    n_groups = assert_loader_groups_match_plan(task, tmp_path, plans)
    if scale == "full":
        real = {"irmas": sum(map(len, REAL_TEST_TRACKS)), "medley-solos": len(REAL_SONG_SIZES["test"]),
                "openmic": SPLIT_SIZES["full"][1]}
        assert n_groups == real[task]
    if task == "irmas" and scale == "full":
        assert n_groups == 208  # the target: the real IRMAS test set's tracks


@pytest.mark.parametrize("scale", sorted(SCALES))
def test_irmas_test_tracks_follow_the_real_ones(scale):
    plans = [p for p in IrmasStandIn(0).plan(scale) if p.is_test]
    part = lambda p: p.relative_path.split("/")[0]  # noqa: E731
    by_part = Counter(part(p) for p in plans)
    assert [by_part[f"IRMAS-TestingData-Part{i}"] for i in (1, 2, 3)] == list(SCALES[scale][1])  # sizes kept
    if scale != "micro":  # micro's 6 test clips cannot hold 11 classes
        assert {label for p in plans for label in p.labels} == set(LABELS)  # every class has test support
    tracks: dict[int, list] = defaultdict(list)
    for p in plans:
        tracks[p.recording].append(p)
    for excerpts in tracks.values():
        assert len({part(p) for p in excerpts}) == 1 and len({p.genre for p in excerpts}) == 1
        numbers = [int(Path(p.relative_path).stem.rsplit("-", 1)[1]) for p in excerpts]
        assert len(set(numbers)) == len(numbers)
        assert len({label for p in excerpts for label in p.labels}) <= 4  # drawn from the track's pool
    for i, real in enumerate(REAL_TEST_TRACKS, start=1):
        sizes = sorted((len(v) for v in tracks.values() if part(v[0]) == f"IRMAS-TestingData-Part{i}"), reverse=True)
        assert len(sizes) >= 2
        if scale == "full":
            assert tuple(sizes) == real  # the real excerpts-per-track distribution, exactly
        else:  # the real excerpts-per-track ratio, within a track
            assert abs(len(sizes) - max(2, sum(sizes) * len(real) / sum(real))) <= 1


@pytest.mark.parametrize("scale", sorted(SUBSET_SIZES))
def test_medley_songs_follow_the_real_spread(scale):
    plans = MedleySolosStandIn(0).plan(scale)
    songs: dict[int, set] = defaultdict(set)
    for p in plans:
        songs[p.song_id].add((p.subset, p.instrument_id))
    assert all(len(v) == 1 for v in songs.values())  # one instrument, one subset per song
    for subset, total in zip(("training", "validation", "test"), SUBSET_SIZES[scale]):
        clips = [p for p in plans if p.subset == subset]
        assert len(clips) == total
        per_instrument = Counter(p.instrument_id for p in clips)
        assert max(per_instrument.values()) - min(per_instrument.values()) <= 1  # classes kept even
        sizes = Counter(p.song_id for p in clips)
        song_count = Counter(next(iter(songs[s]))[1] for s in sizes)
        real = np.array(REAL_SONG_SIZES[subset])
        if scale == "full":
            assert len(sizes) == len(real)
            ours = np.array(sorted(sizes.values(), reverse=True))
            assert np.all(np.abs(ours / real - 1) <= 0.1)  # the real spread, rescaled by at most 10%
        else:
            assert min(song_count.values()) >= MIN_SONGS_PER_INSTRUMENT and len(song_count) == 8
    test_sizes = Counter(p.song_id for p in plans if p.subset == "test")
    if scale == "full":  # heavy-tailed: one song of ~500 clips, many of under 15
        assert max(test_sizes.values()) >= 450 and sum(v < 15 for v in test_sizes.values()) >= 20


@pytest.mark.parametrize("scale", sorted(SPLIT_SIZES))
def test_openmic_has_one_excerpt_per_track_and_split_disjoint_tracks(scale):
    plans = OpenMicStandIn(0).plan(scale)
    assert [sum(p.split == s for p in plans) for s in ("train", "test")] == list(SPLIT_SIZES[scale])
    tracks = [p.sample_key.split("_")[0] for p in plans]
    assert len(set(tracks)) == len(plans)  # one excerpt per track, so no track in two splits
    assert all(int(t) == p.track and len(t) == 6 for t, p in zip(tracks, plans))
    assert all(int(p.sample_key.split("_")[1]) % 3840 == 0 for p in plans)
    for split in ("train", "test"):
        keys = [p.sample_key for p in plans if p.split == split]
        assert keys == sorted(keys)


@pytest.mark.parametrize("task", sorted(GENERATORS))
def test_plans_are_deterministic_per_seed(task):
    generator = GENERATORS[task]
    assert generator(0).plan("small") == generator(0).plan("small") != generator(1).plan("small")


def test_apportion_keeps_exact_sizes_and_the_minimum():
    assert apportion([5, 3, 2], 10) == [5, 3, 2]
    shares = apportion([500, 10, 1, 1], 12)
    assert sum(shares) == 12 and min(shares) >= 1 and shares[0] == max(shares)
    assert apportion([1, 1, 1], 7) in ([3, 2, 2], [2, 3, 2], [2, 2, 3])
    with pytest.raises(ValueError):
        apportion([1, 1, 1], 2)
    with pytest.raises(ValueError):
        apportion([], 3)


def _marker(generator, scale: str, **extra) -> dict:
    sf = default_soundfont()
    return {"dataset": generator.dataset, "scale": scale, "seed": 0, "generator": f"irbench {__version__}",
            "soundfont": sf.name, "soundfont_sha256": soundfont_sha256(sf), **extra}


def test_a_folder_of_an_older_layout_is_refused_not_reused(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / STAND_IN_MARKER).write_text(json.dumps(_marker(IrmasStandIn, "tiny")))  # no "layout": version 1
    with pytest.raises(IrbenchError, match="other settings"):
        IrmasStandIn(0).synthesise(old, "tiny", show_progress=False)
    unchanged = tmp_path / "musicnet"  # a generator still at layout 1 keeps its older folders
    unchanged.mkdir()
    (unchanged / STAND_IN_MARKER).write_text(json.dumps(_marker(MusicNetStandIn, "tiny")))
    assert MusicNetStandIn(0).synthesise(unchanged, "tiny", show_progress=False)["dataset"] == "musicnet"
