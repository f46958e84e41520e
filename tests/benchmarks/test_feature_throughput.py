"""Feature extraction speed (pytest-benchmark): irbench's feature stage against plain librosa and against the
floor of the work itself (decode + mono mix + soxr resampling + torch log-mel, one core, nothing cached).

Timing runs with ``pytest tests/benchmarks/test_feature_throughput.py --benchmark-enable -s``; skipped
otherwise (``tests/benchmarks/conftest.py``). Every round's CPU seconds (this process and its
reaped children: worker processes included) and wall seconds are kept, and the module prints one table side
by side: ms of CPU per clip and clips/s of wall time (best round each), and the CPU per clip over the
floor's. The cold single-worker CPU over the floor's is irbench's cost per core (hashing, cache writes,
checksums): the target is at most 1.3x. This machine's CPU seconds for the same work drift by up to 1.7x
between minutes (the floor took 2.97 to 5.20 ms per clip in one afternoon, and best-of-3 rounds measured in
separate tests put the ratio at 1.03x, 1.45x and 1.51x), so the ratio is measured round by round: each round
runs irbench (cold, one worker) and then the floor on the same clips, and the table prints the median of the
rounds' ratios with their range. Two workers should give about the same CPU per clip at up to twice the
clips/s (on a machine whose two cores are free). The floor is measured twice: as the plain code anyone
would write (``soundfile`` float32 read, the issue's floor), and with irbench's exact 16-bit PCM decode
(:func:`irbench.data.audio.pcm16_mono`), so the table also shows what irbench adds over its own decode.
"""

import itertools
import resource
import statistics
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile
import soxr
import torch

from irbench.data.audio import RESAMPLER_QUALITY, mono_mix, pcm16_mono
from irbench.features.extract import extract_features, single_threaded
from irbench.features.configs import LogMelConfig
from irbench.features.logmel import LogMelSpectrogram

CONFIG = LogMelConfig()
_counter = itertools.count()
ROWS = {"irbench-1": "irbench, cold cache, 1 worker", "irbench-2": "irbench, cold cache, 2 workers",
        "librosa": "plain librosa, serial, no cache", "floor": "floor (soundfile float32 + soxr + torch)",
        "floor-int16": "floor with irbench's int16 PCM decode", "warm": "irbench, warm cache, 1 worker"}
MEASURED: dict[str, list[tuple[float, float]]] = {}  # label -> (CPU s, wall s) per round
PAIRED: list[tuple[float, float]] = []  # (irbench cold 1-worker CPU s, floor CPU s) of each paired round
PAIRED_ROUNDS = 7
"""Paired rounds of irbench and the floor; the first is a warm-up, left out of the ratio."""
CLIPS: list[int] = []


@pytest.fixture(scope="module")
def clips(tiny_irmas):
    found = sorted(tiny_irmas.glob("IRMAS-T*/*/*.wav"))
    CLIPS[:] = [len(found)]
    return found


@pytest.fixture(scope="module", autouse=True)
def table():
    yield
    print_table()


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(label, function):
    """``function`` wrapped to record each call's CPU and wall seconds under ``label``."""

    def run(*args, **kwargs):
        cpu, wall = _cpu_seconds(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            MEASURED.setdefault(label, []).append((_cpu_seconds() - cpu, time.perf_counter() - wall))

    return run


def print_table():
    """One table of every measured row: best-round ms CPU per clip, clips/s wall, CPU over the floor's."""
    if not MEASURED or not CLIPS:
        return
    clips = CLIPS[0]
    best = {label: (min(c for c, _ in rounds) / clips, clips / min(w for _, w in rounds))
            for label, rounds in MEASURED.items()}
    floor = best.get("floor", (None,))[0]
    print(f"\nfeature extraction, {clips} clips (best of each row's rounds; CPU = this process + its workers)")
    print(f"{'':44s} {'ms CPU/clip':>11s} {'clips/s':>9s} {'CPU/floor':>9s}")
    for label, name in ROWS.items():
        if label in best:
            cpu, rate = best[label]
            ratio = f"{cpu / floor:8.2f}x" if floor else ""
            print(f"{name:44s} {1000 * cpu:11.2f} {rate:9.1f} {ratio:>9s}")
    if len(PAIRED) > 1:
        ratios = sorted(ours / theirs for ours, theirs in PAIRED[1:])
        print(f"cold, 1 worker: {statistics.median(ratios):.2f}x the floor's CPU per clip, median of "
              f"{len(ratios)} paired rounds ({ratios[0]:.2f}-{ratios[-1]:.2f}x; target <= 1.30x)")


def test_irbench_cold_cache_two_workers(benchmark, clips):
    root = Path(tempfile.mkdtemp())

    def setup():
        return (clips, "log-mel", CONFIG.model_dump(), root / str(next(_counter)), 2), {"show_progress": False}

    result = benchmark.pedantic(measured("irbench-2", extract_features), setup=setup, rounds=3)
    assert len(result.entries) == len(clips) and result.computed == len(clips)


def test_irbench_cold_cache_one_worker_against_the_floor_round_by_round(benchmark, clips):
    """Each round: irbench's cold extraction with one worker into a new cache, then the floor on the same
    clips; both rows of the table and the paired ratio come from these rounds."""
    root = Path(tempfile.mkdtemp())
    ours, floor = measured("irbench-1", extract_features), measured("floor", _floor)

    def paired_round():
        result = ours(clips, "log-mel", CONFIG.model_dump(), root / str(next(_counter)), 1, show_progress=False)
        assert len(result.entries) == len(clips) and result.computed == len(clips)
        assert floor(clips) > 0
        PAIRED.append((MEASURED["irbench-1"][-1][0], MEASURED["floor"][-1][0]))

    benchmark.pedantic(paired_round, rounds=PAIRED_ROUNDS)


def test_irbench_warm_cache(benchmark, clips, tmp_path):
    extract_features(clips, "log-mel", CONFIG.model_dump(), tmp_path, 2, show_progress=False)
    result = benchmark.pedantic(
        measured("warm", extract_features), args=(clips, "log-mel", CONFIG.model_dump(), tmp_path, 1),
        kwargs={"show_progress": False}, rounds=3,
    )
    assert len(result.entries) == len(clips) and result.computed == 0 and result.hashed == 0


def _floor(clips, integers=False):
    """Decode, mono mix, resample and log-mel each clip, on one core, keeping nothing; ``integers``: read
    16-bit PCM as integers and mix with :func:`pcm16_mono` (the same numbers)."""
    frontend = LogMelSpectrogram(CONFIG).eval()
    out = 0
    with single_threaded(), torch.inference_mode():
        for clip in clips:
            if integers:
                audio, rate = soundfile.read(str(clip), dtype="int16", always_2d=True)
                mono = pcm16_mono(audio)
            else:
                audio, rate = soundfile.read(str(clip), dtype="float32", always_2d=True)
                mono = mono_mix(audio)
            mono = soxr.resample(mono, rate, CONFIG.sample_rate, quality=RESAMPLER_QUALITY)
            out += frontend(torch.from_numpy(np.ascontiguousarray(mono))).shape[-1]
    return out


def test_floor_with_integer_decode(benchmark, clips):
    assert benchmark.pedantic(measured("floor-int16", _floor), args=(clips, True), rounds=3) > 0


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
    result = benchmark.pedantic(measured("librosa", _librosa_features), args=(clips,), rounds=3)
    assert len(result) == len(clips)
