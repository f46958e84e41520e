import json

import numpy as np
import pytest
import soundfile

from irbench.errors import AudioDecodeError
from irbench.features.cache import FeatureCache, frontend_key
from irbench.features.extract import extract_features
from irbench.features.logmel import LogMelConfig

CONFIG = LogMelConfig().model_dump()


def _clip(path):
    return path


@pytest.fixture
def wavs(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i, (rate, channels) in enumerate([(44100, 2), (8000, 1), (48000, 2)]):
        path = tmp_path / f"clip {i} [x].wav"
        soundfile.write(path, rng.standard_normal((rate, channels)).astype(np.float32) * 0.1, rate)
        paths.append(path)
    return paths


def test_every_input_of_the_key_changes_it():
    base = frontend_key("log-mel", CONFIG)
    assert frontend_key("log-mel", {**CONFIG, "hop_length": 256}) != base
    assert frontend_key("other", CONFIG) != base
    assert frontend_key("log-mel", dict(CONFIG)) == base


def test_extraction_caches_and_reuses(tmp_path, wavs):
    cache = tmp_path / "cache"
    first = extract_features([_clip(p) for p in wavs], "log-mel", CONFIG, cache, workers=1, show_progress=False)
    assert all(f.shape == (64, 32) for f in first.features.values())  # 1 s at 16 kHz, hop 512
    entry = FeatureCache(cache, "log-mel", CONFIG).path(first.audio_sha256[wavs[0]])
    stamp = entry.stat().st_mtime_ns
    second = extract_features([_clip(p) for p in wavs], "log-mel", CONFIG, cache, workers=1, show_progress=False)
    assert entry.stat().st_mtime_ns == stamp
    for name in first.features:
        np.testing.assert_array_equal(first.features[name], second.features[name])
    assert not list(cache.rglob("*.partial*"))


def test_parallel_extraction_equals_serial(tmp_path, wavs):
    clips = [_clip(p) for p in wavs]
    serial = extract_features(clips, "log-mel", CONFIG, tmp_path / "a", workers=1, show_progress=False)
    parallel = extract_features(clips, "log-mel", CONFIG, tmp_path / "b", workers=2, show_progress=False)
    for name in serial.features:
        np.testing.assert_array_equal(serial.features[name], parallel.features[name])


def test_edited_audio_is_never_served_stale(tmp_path, wavs):
    cache = tmp_path / "cache"
    before = extract_features([_clip(wavs[0])], "log-mel", CONFIG, cache, 1, show_progress=False)
    soundfile.write(wavs[0], np.zeros((44100, 2), np.float32), 44100)
    after = extract_features([_clip(wavs[0])], "log-mel", CONFIG, cache, 1, show_progress=False)
    assert not np.array_equal(before.features[wavs[0]], after.features[wavs[0]])


def test_corrupt_audio_names_the_file_or_is_skipped_when_asked(tmp_path, wavs):
    bad = tmp_path / "broken clip.wav"
    bad.write_bytes(b"RIFF\x00\x00not really audio")
    clips = [_clip(p) for p in [*wavs, bad]]
    with pytest.raises(AudioDecodeError, match="broken clip.wav"):
        extract_features(clips, "log-mel", CONFIG, tmp_path / "c", 1, show_progress=False)
    result = extract_features(clips, "log-mel", CONFIG, tmp_path / "c", 1, skip_bad=True, show_progress=False)
    assert [p for p, _ in result.skipped] == [bad] and len(result.features) == 3


def test_cache_entries_are_plain_numpy_files(tmp_path):
    cache = FeatureCache(tmp_path, "log-mel", CONFIG)
    cache.store("ab" * 32, np.ones((2, 3)))
    loaded = cache.load("ab" * 32)
    assert isinstance(loaded, np.memmap) and loaded.dtype == np.float32
    assert json.loads(json.dumps(CONFIG)) == CONFIG
