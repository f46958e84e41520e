"""The feature stage: cache keys, extraction, reuse, hashing once, damage detection, threads, bad audio."""

import json
import os

import numpy as np
import pytest
import soundfile
import torch

from irbench.errors import AudioDecodeError
from irbench.features import extract as extract_module
from irbench.features.cache import AudioDuration, CacheEntryDamaged, FeatureCache, frontend_key
from irbench.features.extract import extract_features
from irbench.features.hashes import AudioHashMemo
from irbench.features.configs import LogMelConfig

CONFIG = LogMelConfig().model_dump()


@pytest.fixture
def wavs(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i, (rate, channels) in enumerate([(44100, 2), (8000, 1), (48000, 2)]):
        path = tmp_path / f"clip {i} [x].wav"
        soundfile.write(path, rng.standard_normal((rate, channels)).astype(np.float32) * 0.1, rate)
        paths.append(path)
    return paths


def _extract(files, cache, workers=1, **options):
    return extract_features(files, "log-mel", CONFIG, cache, workers, show_progress=False, **options)


def test_every_input_of_the_key_changes_it():
    base = frontend_key("log-mel", CONFIG)
    assert frontend_key("log-mel", {**CONFIG, "hop_length": 256}) != base
    assert frontend_key("other", CONFIG) != base
    assert frontend_key("log-mel", dict(CONFIG)) == base


def test_extraction_caches_and_reuses_without_rehashing(tmp_path, wavs):
    cache = tmp_path / "cache"
    first = _extract(wavs, cache)
    assert first.computed == 3 and first.hashed == 3
    assert all(first.array(p).shape == (64, 32) for p in wavs)  # 1 s at 16 kHz, hop 512
    assert first.entries[wavs[0]].duration == AudioDuration(1.0, 44100, 44100)
    entry = first.entries[wavs[0]].path
    stamp = entry.stat().st_mtime_ns
    second = _extract(wavs, cache)
    assert second.computed == 0 and second.hashed == 0  # hashes memoised, features cached
    assert entry.stat().st_mtime_ns == stamp
    for path in wavs:
        np.testing.assert_array_equal(first.array(path), second.array(path))
    assert not list(cache.rglob("*.partial*"))


def test_a_warm_cache_starts_no_worker_process(tmp_path, wavs, monkeypatch):
    _extract(wavs, tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("a worker pool was started although nothing needed computing")

    monkeypatch.setattr(extract_module, "parallel_map", refuse)
    assert _extract(wavs, tmp_path, workers=2).computed == 0


def test_parallel_extraction_equals_serial_and_leaves_threads_alone(tmp_path, wavs):
    threads = torch.get_num_threads()
    serial = _extract(wavs, tmp_path / "a", workers=1)
    assert torch.get_num_threads() == threads  # extraction in this process restored the thread count
    many = [*wavs, *(tmp_path / f"copy{i}.wav" for i in range(3))]
    for source, copy in zip(wavs, many[3:]):
        copy.write_bytes(source.read_bytes())
    parallel = _extract(many, tmp_path / "b", workers=2)
    assert parallel.computed == 6 and torch.get_num_threads() == threads
    for path in wavs:
        np.testing.assert_array_equal(serial.array(path), parallel.array(path))


def test_edited_audio_is_never_served_stale(tmp_path, wavs):
    cache = tmp_path / "cache"
    before = _extract([wavs[0]], cache)
    soundfile.write(wavs[0], np.zeros((44100, 2), np.float32), 44100)
    after = _extract([wavs[0]], cache)
    assert after.hashed == 1 and not np.array_equal(before.array(wavs[0]), after.array(wavs[0]))


def test_the_hash_memo_trusts_size_mtime_and_inode(tmp_path, wavs):
    memo = AudioHashMemo(tmp_path / "cache", tmp_path)
    digest = memo.digest(wavs[0])
    assert memo.hashed == 1 and memo.known(wavs[0]) == digest
    stat = os.stat(wavs[0])
    os.utime(wavs[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert memo.known(wavs[0]) is None  # touched: hashed again
    memo.save()
    assert AudioHashMemo(tmp_path / "cache", tmp_path).known(wavs[1]) is None  # never hashed
    (tmp_path / "cache/audio-sha256").mkdir(exist_ok=True)
    for damaged in memo.path.parent.glob("*.json"):
        damaged.write_text("{not json")
    assert AudioHashMemo(tmp_path / "cache", tmp_path).known(wavs[0]) is None  # a damaged memo is ignored


@pytest.mark.parametrize("damage", ["truncate", "flip", "sidecar"])
def test_a_damaged_cache_entry_is_named_removed_and_recomputed(tmp_path, wavs, damage):
    cache = tmp_path / "cache"
    first = _extract(wavs, cache)
    entry = first.entries[wavs[1]].path
    data = bytearray(entry.read_bytes())
    if damage == "truncate":
        entry.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "flip":  # same size, other bytes: only the checksum can tell
        data[-5] ^= 0xFF
        entry.write_bytes(bytes(data))
    else:
        entry.with_suffix(".json").write_text("{}")
    again = _extract(wavs, cache)
    assert again.computed == 1 and len(again.repaired) == 1 and wavs[1].name in again.repaired[0]
    np.testing.assert_array_equal(first.array(wavs[1]), again.array(wavs[1]))


def test_a_damaged_entry_is_refused_by_verify(tmp_path):
    cache = FeatureCache(tmp_path, "log-mel", CONFIG)
    digest = "ab" * 32
    cache.store(digest, np.arange(12, dtype=np.float32).reshape(3, 4), AudioDuration(1.0, 10, 10))
    entry = cache.verify(digest)
    assert (entry.frames, entry.n_features) == (4, 3)  # stored time-major
    np.testing.assert_array_equal(cache.load(digest), np.arange(12).reshape(3, 4))
    assert json.loads((cache.directory / "frontend.json").read_text())["frontend"] == "log-mel"
    path = cache.path(digest)
    path.write_bytes(path.read_bytes() + b"extra")
    with pytest.raises(CacheEntryDamaged, match="appended"):
        cache.verify(digest)
    assert not cache.has(digest)  # removed


def test_corrupt_audio_names_the_file_or_is_skipped_when_asked(tmp_path, wavs):
    bad = tmp_path / "broken clip.wav"
    bad.write_bytes(b"RIFF\x00\x00not really audio")
    clips = [*wavs, bad]
    with pytest.raises(AudioDecodeError, match="broken clip.wav"):
        _extract(clips, tmp_path / "c")
    result = _extract(clips, tmp_path / "c", skip_bad=True)
    assert [p for p, _ in result.skipped] == [bad] and len(result.entries) == 3


def test_a_missing_file_is_named(tmp_path, wavs):
    with pytest.raises(AudioDecodeError, match="nowhere.wav"):
        _extract([*wavs, tmp_path / "nowhere.wav"], tmp_path / "c")
