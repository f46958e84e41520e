"""Feature extraction speed (pytest-benchmark): irbench's feature stage against plain librosa and against the
floor of the work itself (decode + mono mix + soxr resampling + torch log-mel, one core, nothing cached).

Timing runs with ``pytest tests/benchmarks --benchmark-enable -s``; in the normal test run each benchmark
executes once, as a smoke test. Figures are printed as clips per second; the cold single-worker figure over
the floor's is irbench's overhead per core (hashing, cache writes, checksums): the target is at most 1.3x.
"""

import itertools
import tempfile
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile
import soxr
import torch

from irbench.data.audio import RESAMPLER_QUALITY, mono_mix
from irbench.features.extract import extract_features, single_threaded
from irbench.features.logmel import LogMelConfig, LogMelSpectrogram

CONFIG = LogMelConfig()
_counter = itertools.count()
RATES: dict[str, float] = {}


@pytest.fixture(scope="module")
def clips(tiny_irmas):
    return sorted(tiny_irmas.glob("IRMAS-T*/*/*.wav"))


def _report(benchmark, clips, label):
    if benchmark.stats is not None and benchmark.stats.stats.mean:
        rate = len(clips) / benchmark.stats.stats.mean
        benchmark.extra_info["clips_per_second"] = round(rate, 1)
        RATES[label] = rate
        print(f"\n{label}: {rate:.1f} clips/s over {len(clips)} clips")
        if "floor" in RATES and "irbench-1" in RATES:
            print(f"irbench cold, 1 worker, takes {RATES['floor'] / RATES['irbench-1']:.2f}x the floor's time per clip")


@pytest.mark.parametrize("workers", [1, 2])
def test_irbench_cold_cache(benchmark, clips, workers):
    root = Path(tempfile.mkdtemp())

    def setup():
        return (clips, "log-mel", CONFIG.model_dump(), root / str(next(_counter)), workers), {"show_progress": False}

    result = benchmark.pedantic(extract_features, setup=setup, rounds=3)
    assert len(result.entries) == len(clips) and result.computed == len(clips)
    _report(benchmark, clips, f"irbench-{workers}")


def test_irbench_warm_cache(benchmark, clips, tmp_path):
    extract_features(clips, "log-mel", CONFIG.model_dump(), tmp_path, 2, show_progress=False)
    result = benchmark.pedantic(
        extract_features, args=(clips, "log-mel", CONFIG.model_dump(), tmp_path, 1), kwargs={"show_progress": False},
        rounds=3,
    )
    assert len(result.entries) == len(clips) and result.computed == 0 and result.hashed == 0
    _report(benchmark, clips, "irbench warm cache (memoised hashes, checksummed reads)")


def _floor(clips):
    """Decode, mono mix, resample and log-mel each clip, on one core, keeping nothing."""
    frontend = LogMelSpectrogram(CONFIG).eval()
    out = 0
    with single_threaded(), torch.inference_mode():
        for clip in clips:
            audio, rate = soundfile.read(str(clip), dtype="float32", always_2d=True)
            mono = soxr.resample(mono_mix(audio), rate, CONFIG.sample_rate, quality=RESAMPLER_QUALITY)
            out += frontend(torch.from_numpy(np.ascontiguousarray(mono))).shape[-1]
    return out


def test_floor_decode_mono_resample_logmel(benchmark, clips):
    assert benchmark.pedantic(_floor, args=(clips,), rounds=3) > 0
    _report(benchmark, clips, "floor")


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
