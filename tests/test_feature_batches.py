"""Feature extraction's fast paths give the numbers of the plain path, bit for bit (issue 20, items 5a and 4):
cached features equal a direct computation (plain soundfile float32 decode, mono mix, soxr, the front end),
16-bit PCM decoded as integers equals libsndfile's floats, built-in torch front ends run in threads (no
process), written entries are not read back, and several files transformed at once on a device equal each
file transformed alone."""

import threading

import numpy as np
import pytest
import soundfile
import soxr
import torch

from irbench.data.audio import RESAMPLER_QUALITY, mono_mix, pcm16_mono
from irbench.features import FRONTENDS
from irbench.features import extract as extract_module
from irbench.features.cache import FeatureCache, frontend_key, lock_batches, lock_group
from irbench.features.extract import batch_device, extract_features, single_threaded

NAMES = ["log-mel", "mfcc", "multi-stft", "resized-stft"]


@pytest.fixture
def clips(tmp_path):
    """Stereo, mono and three-channel 16-bit WAV, 16-bit FLAC, float and 24-bit WAV, of several lengths."""
    rng = np.random.default_rng(1)
    specs = [(44100, 2, "PCM_16", "wav", 3.0), (8000, 1, "PCM_16", "wav", 1.3), (48000, 3, "PCM_16", "wav", 0.7),
             (44100, 2, "PCM_16", "flac", 2.1), (22050, 2, "FLOAT", "wav", 1.0), (16000, 2, "PCM_24", "wav", 0.5)]
    paths = []
    for i, (rate, channels, subtype, kind, seconds) in enumerate(specs):
        audio = np.clip(rng.standard_normal((int(rate * seconds), channels)) * 0.3, -1, 1).astype(np.float32)
        audio[:3] = [[-1.0] * channels, [1.0] * channels, [0.0] * channels]
        path = tmp_path / f"clip {i}.{kind}"
        soundfile.write(path, audio, rate, subtype=subtype)
        paths.append(path)
    return paths


def _direct(frontend, path):
    """The plain path: soundfile float32, mono mix, soxr HQ, the front end on one torch thread."""
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    mono = mono_mix(audio)
    if rate != frontend.sample_rate:
        mono = soxr.resample(mono, rate, frontend.sample_rate, quality=RESAMPLER_QUALITY)
    with single_threaded(), torch.inference_mode():
        return frontend(torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32))).numpy()


def _frontend(name):
    cls = FRONTENDS.get(name)
    return cls(cls.config_class()).eval(), cls.config_class().model_dump()


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", NAMES)
def test_cached_features_equal_a_direct_computation_bit_for_bit(tmp_path, clips, name, workers):
    frontend, config = _frontend(name)
    result = extract_features(clips, name, config, tmp_path / "cache", workers, show_progress=False)
    assert result.computed == len(clips)
    cache = FeatureCache(tmp_path / "cache", name, config)
    for path in clips:
        direct = _direct(frontend, path)
        assert np.array_equal(result.array(path), direct), path.name
        assert np.array_equal(cache.load(result.audio_sha256[path]), direct)  # verified read of the entry


@pytest.mark.parametrize("channels", [1, 2, 3, 6])
def test_pcm16_read_as_integers_equals_libsndfile_floats(tmp_path, channels):
    rng = np.random.default_rng(channels)
    samples = rng.integers(-32768, 32768, (5000, channels), dtype=np.int16)
    samples[:2] = [[-32768] * channels, [32767] * channels]
    path = tmp_path / "pcm.wav"
    soundfile.write(path, samples, 8000, subtype="PCM_16")
    floats, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    integers, _ = soundfile.read(str(path), dtype="int16", always_2d=True)
    mono = pcm16_mono(integers)
    assert mono.dtype == np.float32 and np.array_equal(mono, mono_mix(floats))


def test_lock_batches_hold_whole_lock_groups(tmp_path):
    class Job:
        def __init__(self, digest):
            self.digest = digest

    jobs = [Job(f"{a}{b}" + "0" * 62) for a in "0123abcf" for b in "05a"]
    for size in (1, 2, 4, 100):
        batches = lock_batches(jobs, size)
        assert [j for batch in batches for j in batch] == jobs
        groups = [{lock_group(j.digest) for j in batch} for batch in batches]
        assert all(not (a & b) for i, a in enumerate(groups) for b in groups[i + 1:])  # no lock in two batches
        assert all(len(batch) >= size for batch in batches[:-1])
    with pytest.raises(ValueError):
        lock_batches(jobs, 0)


def test_torch_front_ends_run_in_threads_and_entries_are_not_read_back(tmp_path, clips, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a worker process pool was started for a thread-safe built-in front end")

    threads, verified = set(), []
    compute = extract_module._compute_batch
    verify = FeatureCache.verify

    def recording(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return compute(*args, **kwargs)

    monkeypatch.setattr(extract_module, "parallel_map", refuse)
    monkeypatch.setattr(extract_module, "_compute_batch", recording)
    monkeypatch.setattr(FeatureCache, "verify", lambda self, digest: verified.append(digest) or verify(self, digest))
    _, config = _frontend("log-mel")
    many = list(clips) + [tmp_path / f"copy {i}.wav" for i in range(12)]
    for i, copy in enumerate(many[len(clips):]):
        soundfile.write(copy, np.full((800 + 10 * i, 1), i / 20, np.float32), 8000)
    result = extract_features(many, "log-mel", config, tmp_path / "cache", 2, show_progress=False)
    assert result.computed == len(many) and not verified  # the entries written were checksummed, not re-read
    assert threads and all(name.startswith("irbench-features") for name in threads)
    for path, entry in result.entries.items():
        assert FeatureCache(tmp_path / "cache", "log-mel", config).verify(result.audio_sha256[path]) == entry


@pytest.mark.parametrize("name", NAMES)
def test_files_transformed_together_equal_each_file_alone(name):
    frontend, _ = _frontend(name)
    rng = np.random.default_rng(2)
    lengths = [48000, 48000 - 77, 5000, 48000 + 511, 2048, 2100, 16000 * 7 + 3]
    waveforms = [torch.from_numpy(rng.standard_normal(n).astype(np.float32) * 0.1) for n in lengths]
    with single_threaded(), torch.inference_mode():
        alone = [frontend(w) for w in waveforms]
        together = frontend.transform_files(waveforms, "cpu")
    for one, many in zip(alone, together):
        assert one.shape == many.shape and torch.equal(one, many)  # exact on CPU: no tolerance needed


def test_transform_files_makes_its_tensors_on_the_given_device():
    frontend, _ = _frontend("log-mel")
    waveforms = [torch.zeros(16000), torch.zeros(8000)]
    with torch.inference_mode():
        out = frontend.transform_files(waveforms, torch.device("meta"))
    assert [o.device.type for o in out] == ["meta", "meta"] and frontend.window.device.type == "meta"
    assert [tuple(o.shape) for o in out] == [(64, 32), (64, 16)]
    with pytest.raises(ValueError):
        frontend.transform_files([torch.zeros(2, 100)])


def test_batched_extraction_on_a_device_equals_the_per_file_path(tmp_path, clips, monkeypatch):
    _, config = _frontend("log-mel")
    per_file = extract_features(clips, "log-mel", config, tmp_path / "a", 1, show_progress=False)
    devices = []
    transform = FRONTENDS.get("log-mel").transform_files

    def recording(self, waveforms, device=None):
        devices.append((len(waveforms), torch.device(device)))
        return transform(self, waveforms, device)

    monkeypatch.setattr(FRONTENDS.get("log-mel"), "transform_files", recording)
    monkeypatch.setattr(extract_module, "BATCH_FILES", 2)
    batched = extract_features(clips, "log-mel", config, tmp_path / "b", 2, show_progress=False, batch_on="cpu")
    assert devices and all(device.type == "cpu" and n <= 2 for n, device in devices) and sum(n for n, _ in devices) == 6
    for path in clips:
        assert np.array_equal(per_file.array(path), batched.array(path))


def test_the_run_device_chooses_the_batched_path_and_its_own_cache_folder():
    assert batch_device("cpu") is None and batch_device(torch.device("cpu")) is None
    assert batch_device("cuda:1") == torch.device("cuda:1")
    config = {"n_mels": 64}
    assert frontend_key("log-mel", config, "cpu") == frontend_key("log-mel", config)  # CPU keys unchanged
    assert frontend_key("log-mel", config, "cuda") != frontend_key("log-mel", config)


def test_a_run_on_a_batching_device_extracts_in_batches_and_gives_the_per_file_records(
        tmp_path, micro_stand_in, monkeypatch, capsys):
    """A run whose device batches (CUDA; here CPU stands in for it) computes its features through
    ``transform_files`` and ends with the same metrics and per-class scores as the per-file path."""
    import json

    from helpers import run_cli, record_file
    from irbench.run import prepare as prepare_module

    home = micro_stand_in("irmas")
    common = ("run", "--task", "irmas", "--baseline", "mlp", "--data-home", str(home), "--max-epochs", "1",
              "--threads", "1", "--device", "cpu")
    assert run_cli(monkeypatch, capsys, *common, "--results-dir", str(tmp_path / "a"),
                   "--cache-dir", str(tmp_path / "cache-a"))[0] == 0
    calls = []
    frontend = FRONTENDS.get("resized-stft")  # the mlp's
    transform = frontend.transform_files

    def recording(self, waveforms, device=None):
        calls.append(len(waveforms))
        return transform(self, waveforms, device)

    monkeypatch.setattr(frontend, "transform_files", recording)
    monkeypatch.setattr(prepare_module, "batch_device", lambda device: torch.device("cpu"))
    code, _, err = run_cli(monkeypatch, capsys, *common, "--results-dir", str(tmp_path / "b"),
                           "--cache-dir", str(tmp_path / "cache-b"))
    assert code == 0, err
    assert calls and sum(calls) == 28  # every file of the micro stand-in, in batches
    a, b = (json.loads(record_file(tmp_path / x, "irmas", "mlp").read_text()) for x in "ab")
    assert a["metrics"] == b["metrics"] and a["per_class"] == b["per_class"]
