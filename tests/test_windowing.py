"""Windows streamed from the cache: layouts, the index, the dataset, statistics, and bounded open files."""

import os
import resource

import numpy as np
import pytest
import torch

from irbench.features.cache import AudioDuration, FeatureCache
from irbench.features.reader import WindowReader
from irbench.streaming import WindowCutter
from irbench.task import Clip
from irbench.run.training import _loader
from irbench.windowing.dataset import WindowDataset, clip_window_scores, feature_statistics
from irbench.windowing.index import build_index
from irbench.windowing.layouts import covering, layout_windows, non_overlapping, place_windows

PAD = -10.0
WINDOW = 8


def _store(tmp_path, lengths, n_features=5, seed=0):
    """Cache entries of random features ``(n_features, length)``; returns (entries by path, arrays by path)."""
    rng = np.random.default_rng(seed)
    cache = FeatureCache(tmp_path / "cache", "log-mel", {"n": n_features})
    entries, arrays = {}, {}
    for number, length in enumerate(lengths):
        digest = f"{number:064x}"
        array = rng.standard_normal((n_features, length)).astype(np.float32)
        cache.store(digest, array, AudioDuration(length / 10, length, 10))
        path = tmp_path / f"audio-{number}.wav"
        entries[path], arrays[path] = cache.verify(digest), array
    return entries, arrays


def _index(entries, clips, labels=("a", "b"), **options):
    targets = np.zeros((len(clips), len(labels)), np.float32)
    return build_index(clips, entries, targets, np.ones_like(targets), WINDOW, 10.0, labels=labels, **options)


@pytest.mark.parametrize("length", [1, 7, 8, 9, 16, 23])
def test_the_non_overlapping_layout_is_han_et_al_s(length):
    starts = non_overlapping(0, length, WINDOW)
    assert len(starts) == max(1, length // WINDOW) and (np.diff(starts) == WINDOW).all()


@pytest.mark.parametrize("span", [(0, 30), (5, 13), (3, 7), (10, 41)])
def test_the_covering_layout_spans_the_clip_and_stays_inside(span):
    first, end = span
    starts = covering(first, end, WINDOW)
    covered = np.zeros(end + WINDOW, bool)
    for start in starts:
        covered[start:start + WINDOW] = True
    assert starts[0] == first and covered[first:end].all()
    if end - first >= WINDOW:
        assert starts[-1] + WINDOW == end and len(starts) == -(-(end - first) // WINDOW)


def test_streamed_windows_equal_the_windows_laid_end_to_end(tmp_path):
    entries, arrays = _store(tmp_path, [20, 3, 8, 31])
    paths = list(entries)
    clips = [Clip(f"c{i}", p, ()) for i, p in enumerate(paths)]
    clips.append(Clip("segment", paths[3], (), segment=(0.5, 2.2)))  # frames 5..22 of the last file
    index = _index(entries, clips)
    dataset = WindowDataset(index, WindowReader(PAD, max_open=2))
    expected = [layout_windows(arrays[p], WINDOW, PAD) for p in paths]
    expected.append(layout_windows(arrays[paths[3]], WINDOW, PAD, span=(5, 22)))
    np.testing.assert_array_equal(dataset.windows(np.arange(len(dataset))), np.concatenate(expected))
    assert index.padded == 1 and list(index.windows_per_clip) == [2, 1, 1, 3, 2]
    scores = clip_window_scores(index, np.arange(len(index))[:, None].astype(float))
    assert [len(s) for s in scores] == [2, 1, 1, 3, 2]
    window, targets, mask = dataset[3]
    assert window.shape == (5, WINDOW) and targets.shape == mask.shape == (2,)


@pytest.mark.parametrize("layout", ["non-overlapping", "covering"])
def test_windows_cut_from_a_stream_equal_the_cached_windows(tmp_path, layout):
    """The windows predict cuts from streamed blocks are those the index reads from the cache, whatever the
    block sizes, for clips that are whole files or segments (with gaps and overlaps between them)."""
    entries, arrays = _store(tmp_path, [3, 37])
    short, long = list(entries)
    segments = [(0, 12), (10, 21), (25, 37)]  # overlapping, then a gap
    clips = [Clip("s", short, ())] + [Clip(f"c{i}", long, (), segment=(a / 10, b / 10))
                                      for i, (a, b) in enumerate(segments)]
    cached = WindowDataset(_index(entries, clips, layout=layout), WindowReader(PAD))
    cached = cached.windows(np.arange(len(cached)))
    rng = np.random.default_rng(0)
    for sizes in ([37], [1] * 37, list(rng.integers(1, 9, 20))):
        pieces = []
        for path, spans in ((short, [(0, 3)]), (long, segments)):
            placed = [place_windows(layout, a, b, WINDOW) for a, b in spans]
            cutter = WindowCutter(np.concatenate([s for s, _ in placed]), np.concatenate([v for _, v in placed]),
                                  WINDOW, PAD)
            edges = np.cumsum([0, *sizes])
            for a, b in zip(edges[:-1], edges[1:]):
                pieces += cutter.feed(arrays[path][:, a:b])  # empty once the file has ended
            pieces += cutter.finish()
            assert cutter.frames == arrays[path].shape[1]
        np.testing.assert_array_equal(np.stack(pieces), cached)


def test_a_cutter_holds_about_one_block_and_one_window(tmp_path):
    features = np.random.default_rng(0).standard_normal((4, 10_000)).astype(np.float32)
    starts, valid = place_windows("non-overlapping", 0, 10_000, WINDOW)
    cutter = WindowCutter(starts, valid, WINDOW, PAD)
    held = []
    for first in range(0, 10_000, 100):
        cutter.feed(features[:, first:first + 100])
        held.append(cutter.held_frames)
    assert max(held) < 100 + WINDOW
    with pytest.raises(ValueError, match="non-decreasing"):
        WindowCutter([4, 2], [8, 8], WINDOW, PAD)


def test_statistics_stream_to_the_full_array_s_mean_and_std(tmp_path):
    entries, arrays = _store(tmp_path, [40, 13, 64, 9])
    clips = [Clip(f"c{i}", p, ()) for i, p in enumerate(entries)]
    dataset = WindowDataset(_index(entries, clips), WindowReader(PAD))
    stacked = dataset.windows(np.arange(len(dataset)))
    mean, std = feature_statistics(dataset, batch_size=3)
    np.testing.assert_allclose(mean, stacked.mean(axis=(0, 2), dtype=np.float64), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(std, stacked.std(axis=(0, 2), dtype=np.float64), rtol=1e-6, atol=1e-6)


def test_a_span_labeller_labels_each_window_for_the_span_it_covers(tmp_path):
    entries, _ = _store(tmp_path, [30])
    clip = Clip("c", next(iter(entries)), ("a",), segment=(0.0, 3.0))
    seen = []

    def labeller(clip, start, end):
        seen.append((start, end))
        return ("b",) if start >= 1.0 else ("a",)

    index = _index(entries, [clip], layout="covering", labeller=labeller)
    assert np.allclose(seen, [(0.0, 0.8), (0.7, 1.5), (1.5, 2.3), (2.2, 3.0)])  # 4 windows of 0.8 s over 3 s
    np.testing.assert_array_equal(index.targets, [[1, 0], [1, 0], [0, 1], [0, 1]])


def test_thousands_of_cached_files_stream_under_a_low_descriptor_limit(tmp_path):
    entries, arrays = _store(tmp_path, [12] * 3000, n_features=4)
    clips = [Clip(f"c{i}", p, ()) for i, p in enumerate(entries)]
    dataset = WindowDataset(_index(entries, clips), WindowReader(PAD))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 32
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 48, hard))
    try:
        seen = 0
        for windows, _, _ in _loader(dataset, 64, shuffle=True, seed=0):  # random order over 3,000 files
            seen += len(windows)
        assert seen == 3000
        assert len(dataset.reader._open) <= dataset.reader.max_open
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    first = next(iter(entries))
    np.testing.assert_array_equal(dataset.windows([0])[0], arrays[first][:, :WINDOW])


def test_a_batch_of_the_loader_is_the_stacked_items(tmp_path):
    entries, _ = _store(tmp_path, [17, 25, 9, 40])
    clips = [Clip(f"c{i}", p, ()) for i, p in enumerate(entries)]
    dataset = WindowDataset(_index(entries, clips), WindowReader(PAD))
    windows, targets, _ = next(iter(_loader(dataset, 4, shuffle=False, seed=0)))
    assert torch.equal(windows, torch.stack([dataset[i][0] for i in range(4)])) and targets.shape == (4, 2)
