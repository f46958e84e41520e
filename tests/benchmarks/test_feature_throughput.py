"""Feature extraction speed (pytest-benchmark): irbench's cached, parallel torch front end against plain
librosa on the same clips. Timing runs with ``pytest tests/benchmarks --benchmark-enable``; in the normal
test run each benchmark executes once, as a smoke test. Figures are printed as clips per second."""

import itertools
import tempfile
from pathlib import Path

import librosa
import numpy as np
import pytest

from irbench.features.extract import extract_features
from irbench.features.logmel import LogMelConfig

CONFIG = LogMelConfig()
_counter = itertools.count()


@pytest.fixture(scope="module")
def clips(tiny_irmas):
    return sorted(tiny_irmas.glob("IRMAS-T*/*/*.wav"))


def _report(benchmark, clips, label):
    if benchmark.stats is not None and benchmark.stats.stats.mean:
        rate = len(clips) / benchmark.stats.stats.mean
        benchmark.extra_info["clips_per_second"] = round(rate, 1)
        print(f"\n{label}: {rate:.1f} clips/s over {len(clips)} clips")


@pytest.mark.parametrize("workers", [1, 2])
def test_irbench_cold_cache(benchmark, clips, workers):
    root = Path(tempfile.mkdtemp())

    def setup():
        return (clips, "log-mel", CONFIG.model_dump(), root / str(next(_counter)), workers), {"show_progress": False}

    result = benchmark.pedantic(extract_features, setup=setup, rounds=3)
    assert len(result.features) == len(clips)
    _report(benchmark, clips, f"irbench, cold cache, {workers} worker(s)")


def test_irbench_warm_cache(benchmark, clips, tmp_path):
    extract_features(clips, "log-mel", CONFIG.model_dump(), tmp_path, 2, show_progress=False)
    result = benchmark.pedantic(
        extract_features, args=(clips, "log-mel", CONFIG.model_dump(), tmp_path, 1), kwargs={"show_progress": False},
        rounds=3,
    )
    assert len(result.features) == len(clips)
    _report(benchmark, clips, "irbench, warm cache (hash + memory-map)")


def _librosa_features(clips):
    out = []
    for clip in clips:
        audio, _ = librosa.load(clip, sr=CONFIG.sample_rate, mono=True)
        mel = librosa.feature.melspectrogram(
            y=audio, sr=CONFIG.sample_rate, n_fft=CONFIG.n_fft, hop_length=CONFIG.hop_length, n_mels=CONFIG.n_mels,
            fmin=CONFIG.f_min, fmax=CONFIG.f_max, pad_mode="constant",
        )
        out.append(np.log10(mel + CONFIG.floor))
    return out


def test_plain_librosa(benchmark, clips):
    result = benchmark.pedantic(_librosa_features, args=(clips,), rounds=3)
    assert len(result) == len(clips)
    _report(benchmark, clips, "plain librosa, serial, no cache")
