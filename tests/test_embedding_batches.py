"""Embedders and taggers over several files at once (the path a run on CUDA takes): pieces of one length
share a call, never padded, and every file gets the numbers it gets alone; a probe or zero-shot run on CUDA
puts its model on the run's device, recorded in the front end's options (the cache key)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hear_modules import hear_module
from irbench.baselines import get_baseline
from irbench.baselines.probe import model_device
from irbench.features import FRONTENDS
from irbench.features import extract as extract_module
from irbench.features.embedding import AUDIO_PER_CALL_SECONDS, EmbeddingFrontend
from irbench.features.extract import extract_features
from irbench.features.tagger_scores import SEGMENTS_PER_CALL, TaggerScores, TaggerScoresConfig
from irbench.taggers.base import Tagger

RATE = 16_000


@pytest.fixture
def embedding_frontend(tmp_path, monkeypatch):
    """The clean tiny HEAR module's front end, in chunks of 2 s; its ``embed`` calls are recorded as the
    shapes it received."""
    baseline = get_baseline(f"probe:hear:{hear_module(tmp_path, monkeypatch, 'clean')}")
    baseline.configure(baseline.training)
    frontend = EmbeddingFrontend(baseline.frontend_config.model_copy(update={"chunk_seconds": 2.0}))
    calls = []
    embed = type(frontend.embedder).embed
    monkeypatch.setattr(type(frontend.embedder), "embed", lambda self, audio: calls.append(audio.shape)
                        or embed(self, audio))
    return frontend, calls


def _waveforms(seconds: list[float], seed: int = 0) -> list[torch.Tensor]:
    rng = np.random.default_rng(seed)
    return [torch.from_numpy(rng.uniform(-0.5, 0.5, int(s * RATE)).astype(np.float32)) for s in seconds]


def test_files_embedded_together_equal_each_file_alone(embedding_frontend):
    frontend, calls = embedding_frontend
    waveforms = _waveforms([1.0, 1.0, 1.5, 5.0, 1.0])
    together = frontend.transform_files(waveforms)
    calls_together = list(calls)
    for waveform, features in zip(waveforms, together):
        alone = frontend(waveform[None])[0]
        assert features.shape == (4, 1 + len(waveform) // frontend.config.hop_length)
        assert torch.equal(features, alone)
    # pieces: three 1-s clips in one call, the 1.5-s clip alone, the 5-s file's three 2-s chunks in one call
    assert sorted(calls_together) == sorted([(3, RATE), (1, int(1.5 * RATE)), (3, 2 * RATE)])
    assert all(n * samples <= AUDIO_PER_CALL_SECONDS * RATE for n, samples in calls_together)  # no padding
    with pytest.raises(ValueError, match="one-dimensional"):
        frontend.transform_files([torch.zeros(2, 100)])


def test_a_call_holds_at_most_its_share_of_audio(embedding_frontend, monkeypatch):
    frontend, calls = embedding_frontend
    monkeypatch.setattr("irbench.features.embedding.AUDIO_PER_CALL_SECONDS", 2.5)
    frontend.transform_files(_waveforms([1.0] * 5))
    assert calls == [(2, RATE), (2, RATE), (1, RATE)]


class CountingTagger(Tagger):
    """Scores of three labels that depend on each segment alone (its mean, peak and a fixed 0.5)."""

    name, version, sample_rate, labels = "counting", "1", RATE, ("mean", "peak", "half")

    def __init__(self):
        self.calls: list[int] = []

    def compute(self, audio):
        self.calls.append(audio.shape[0])
        return torch.stack([audio.abs().mean(1), audio.abs().amax(1), torch.full((audio.shape[0],), 0.5)], 1)


def test_tagger_segments_of_several_files_share_calls_and_match_each_file_alone(monkeypatch):
    config = TaggerScoresConfig(tagger="counting", sample_rate=RATE, n_labels=3, segment_seconds=0.5,
                                hop_length=RATE // 4)
    frontend = TaggerScores(config)
    tagger = CountingTagger()
    monkeypatch.setattr(TaggerScores, "tagger", property(lambda self: tagger))
    waveforms = _waveforms([3.0, 3.0, 10.0, 0.1], seed=1)
    together = frontend.transform_files(waveforms)
    frames = [1 + len(w) // config.hop_length for w in waveforms]
    assert sum(tagger.calls) == sum(frames) and max(tagger.calls) == SEGMENTS_PER_CALL
    assert len(tagger.calls) == -(-sum(frames) // SEGMENTS_PER_CALL)  # calls filled across files
    for waveform, scores, n_frames in zip(waveforms, together, frames):
        assert scores.shape == (3, n_frames)
        torch.testing.assert_close(scores, frontend(waveform[None])[0], rtol=0, atol=1e-7)
    assert (together[0][2] == 0.5).all()


def test_batched_extraction_of_embeddings_equals_the_per_file_path(embedding_frontend, tmp_path, monkeypatch):
    import soundfile

    frontend, _ = embedding_frontend
    files = []
    for index, waveform in enumerate(_waveforms([1.0, 1.0, 2.5, 1.0], seed=2)):
        files.append(tmp_path / f"clip-{index}.wav")
        soundfile.write(files[-1], waveform.numpy(), RATE, subtype="FLOAT")
    config = frontend.config.model_dump()
    per_file = extract_features(files, "embedding", config, tmp_path / "a", 1, show_progress=False)
    seen = []
    transform = FRONTENDS.get("embedding").transform_files
    monkeypatch.setattr(FRONTENDS.get("embedding"), "transform_files",
                        lambda self, waveforms, device=None: seen.append(len(waveforms)) or transform(self, waveforms))
    monkeypatch.setattr(extract_module, "BATCH_FILES", 3)
    batched = extract_features(files, "embedding", config, tmp_path / "b", 1, show_progress=False, batch_on="cpu")
    assert seen and max(seen) <= 3 and sum(seen) == len(files)  # the batched path, not one file at a time
    for path in files:
        assert np.array_equal(per_file.array(path), batched.array(path))


def test_a_run_on_cuda_puts_the_embedder_and_tagger_there_and_keys_the_cache_by_it():
    assert model_device("run", "cuda") == "cuda" and model_device("run", "cuda:1") == "cuda:1"
    assert model_device("run", "cpu") == "cpu" and model_device("run", "mps") == "cpu"
    assert model_device("cpu", "cuda") == "cpu"  # a device by name is kept
    probe = get_baseline("probe:cnn14")
    probe.run_device = "cuda"
    assert probe.options(probe.training)["device"] == "cuda"
    probe.run_device = "cpu"
    assert probe.options(probe.training)["device"] == "cpu"
    assert get_baseline("zero-shot:cnn14-audioset").training.tagger_device == "run"
