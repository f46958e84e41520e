"""The built-in ``cnn14`` embedder (PANNs Cnn14 frames) and the Cnn14 weights path shared with the
``cnn14-audioset`` tagger: random weights pass every embedder check, shapes and timestamps follow the pooling,
the PANNs checkpoint is found (or its absence explained) and loaded by name. No network, CPU only; a
checkpoint is written by the tests from a random model."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from irbench.embedders import EMBEDDERS, get_embedder
from irbench.embedders.base import EmbedderError
from irbench.embedders.cnn14 import CONTEXT_MS, MIN_SAMPLES, Cnn14Embedder
from irbench.embedders.validate import (
    Session,
    check_padding,
    check_sample_rate,
    run_check,
    run_embedder_checks,
)
from irbench.errors import ConfigError

SR = 32_000


@pytest.fixture(scope="module")
def embedder() -> Cnn14Embedder:
    return get_embedder("cnn14", weights="random", seed="0")


def noise(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.5, 0.5, (1, round(seconds * SR))).astype(np.float32)


def test_random_weights_pass_every_embedder_check(embedder):
    checks = run_embedder_checks(embedder)
    assert [c.name for c in checks if not c.passed] == [], [c for c in checks if not c.passed]
    assert len(checks) == 8
    padding = next(c for c in checks if c.name.startswith("padding"))
    assert f"up to {4000 - CONTEXT_MS:.0f} ms" in padding.found  # the declared receptive field was used


@pytest.mark.parametrize("seconds", [0.31, 1.0, 2.37, 3.0])
def test_frames_timestamps_and_size_follow_the_five_poolings(embedder, seconds):
    audio = np.concatenate([noise(seconds, 1), noise(seconds, 2)])
    embeddings, timestamps = embedder.embed(audio)
    frames = (1 + audio.shape[1] // 320) // 32
    assert embeddings.shape == (2, frames, 2048) and embeddings.dtype == np.float32
    assert timestamps.shape == (2, frames)
    centres = (32 * np.arange(frames) + 15.5) * 10.0  # the middle of the 32 log-mel frames (10 ms) pooled
    np.testing.assert_allclose(timestamps[1], centres)
    assert not np.array_equal(embeddings[0], embeddings[1])


def test_declarations_version_and_determinism_by_seed(embedder):
    assert (embedder.sample_rate, embedder.embedding_size, embedder.weights_sha256) == (SR, 2048, None)
    assert embedder.version.endswith("random-init-seed-0") and embedder.model_file is None
    assert not embedder.model.training
    state = torch.random.get_rng_state()
    other = Cnn14Embedder(weights="random", seed=1)
    assert torch.equal(state, torch.random.get_rng_state())  # the caller's generator is left where it was
    assert other.version.endswith("random-init-seed-1")
    audio = noise(1.0, 3)
    first, again = embedder.embed(audio), embedder.embed(audio.copy())
    assert np.array_equal(first.embeddings, again.embeddings)
    assert not np.allclose(first.embeddings, other.embed(audio).embeddings)


def test_the_checks_can_fail_a_cnn14_that_declares_the_wrong_rate_or_no_receptive_field(embedder):
    class Rebuilt(Cnn14Embedder):
        def __init__(self, built: Cnn14Embedder):  # the same model: building another takes seconds
            self.model, self.frontend, self.version = built.model, built.frontend, built.version

    class WrongRate(Rebuilt):
        sample_rate = 16_000  # but its timestamps and front end assume 32 kHz

    class NoContext(Rebuilt):
        context_ms = None  # frames within 1.43 s of the end see the padding

    wrong, blind = WrongRate(embedder), NoContext(embedder)
    rate = run_check(check_sample_rate, Session(wrong))
    assert not rate.passed and "off by" in rate.found and rate.value > rate.tolerance
    padding = run_check(check_padding, Session(blind))
    assert not padding.passed and "of the embeddings' RMS" in padding.found and padding.value > 1e-3


def test_short_clips_and_bad_options_are_named_errors(embedder):
    with pytest.raises(EmbedderError, match=f"cnn14.*shorter than Cnn14's {MIN_SAMPLES} samples"):
        embedder.embed(np.zeros((1, MIN_SAMPLES - 1), np.float32))
    with pytest.raises(EmbedderError, match="weights='imagenet' is not one of pretrained, random"):
        get_embedder("cnn14", weights="imagenet")
    with pytest.raises(EmbedderError, match="seed='x'"):
        get_embedder("cnn14", weights="random", seed="x")
    with pytest.raises(ConfigError, match="no option 'colour'.*known: weights, seed, model_file, cache_dir, device"):
        get_embedder("cnn14", colour="red")
    with pytest.raises(EmbedderError, match="model_file='w.pth' contradicts weights=random"):
        get_embedder("cnn14", weights="random", model_file="w.pth")
    assert EMBEDDERS.get("cnn14") is Cnn14Embedder


def test_the_frame_arithmetic_is_the_cnn14_baselines_front_end():
    from irbench.baselines.cnn14 import Cnn14Baseline
    from irbench.embedders import cnn14

    config = Cnn14Baseline.frontend_config
    assert (config.sample_rate, config.hop_length, config.n_fft, config.n_mels, config.scale) == (
        cnn14.SAMPLE_RATE, cnn14.HOP_SAMPLES, cnn14.N_FFT, 64, "db")
    assert CONTEXT_MS == pytest.approx(1431.0) and MIN_SAMPLES == 9920


def test_pretrained_weights_missing_from_an_empty_cache_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.delenv("IRBENCH_CNN14_CHECKPOINT", raising=False)
    with pytest.raises(EmbedderError, match="irbench data download cnn14-weights") as raised:
        get_embedder("cnn14", cache_dir=str(tmp_path))
    assert str(tmp_path / "weights") in str(raised.value) and "cnn14" in str(raised.value)
    with pytest.raises(EmbedderError, match=r"nowhere.pth \(model_file\) does not exist"):
        get_embedder("cnn14", model_file=str(tmp_path / "nowhere.pth"))
    monkeypatch.setenv("IRBENCH_CNN14_CHECKPOINT", str(tmp_path / "elsewhere.pth"))
    with pytest.raises(EmbedderError, match=r"elsewhere.pth \(\$IRBENCH_CNN14_CHECKPOINT\) does not exist"):
        get_embedder("cnn14", cache_dir=str(tmp_path))
    monkeypatch.delenv("IRBENCH_CNN14_CHECKPOINT")
    damaged = tmp_path / "damaged.pth"
    damaged.write_bytes(b"not a checkpoint")
    with pytest.raises(EmbedderError, match="cannot read the Cnn14 checkpoint .*damaged.pth"):
        get_embedder("cnn14", model_file=str(damaged))
    partial = tmp_path / "partial.pth"
    torch.save({"model": {"conv_block1.conv1.weight": torch.zeros(64, 1, 3, 3)}}, partial)
    with pytest.raises(EmbedderError, match="partial.pth lacks .* Cnn14 tensor"):
        get_embedder("cnn14", model_file=str(partial))


def test_a_panns_checkpoint_loads_by_name_into_the_embedder_and_the_tagger(embedder, tmp_path, monkeypatch):
    """A checkpoint in PANNs' layout (``{"model": state}``, AudioSet head named ``fc_audioset``), written from
    random weights of seed 0 and given by ``$IRBENCH_CNN14_CHECKPOINT`` or ``model_file``: the same frames and
    AudioSet scores as seed 0's random model, and its SHA-256 declared. The same file where the download
    goes is refused: it is not the published one."""
    from irbench.taggers import get_tagger

    monkeypatch.delenv("IRBENCH_CNN14_CHECKPOINT", raising=False)
    tagger_random = get_tagger("cnn14-audioset", weights="random", seed=0)
    state = {key.replace("head.", "fc_audioset."): value for key, value in tagger_random.model.state_dict().items()}
    path = tmp_path / "weights" / "Cnn14_mAP=0.431.pth"
    path.parent.mkdir()
    torch.save({"model": state, "iteration": 0}, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(EmbedderError, match="differs from the published md5.*irbench data download cnn14-weights"):
        get_embedder("cnn14", cache_dir=str(tmp_path))
    monkeypatch.setenv("IRBENCH_CNN14_CHECKPOINT", str(path))
    loaded = get_embedder("cnn14", cache_dir=str(tmp_path / "empty"))
    monkeypatch.delenv("IRBENCH_CNN14_CHECKPOINT")
    assert (loaded.weights_sha256, loaded.model_file, loaded.version) == (digest, path, "1.0")
    assert loaded.weights_notes["initialisation"] == f"checkpoint {digest}"
    audio = noise(1.5, 4)
    assert np.array_equal(loaded.embed(audio).embeddings, embedder.embed(audio).embeddings)
    tagger = get_tagger("cnn14-audioset", model_file=str(path))
    assert tagger.weights_sha256 == digest
    assert np.array_equal(tagger.predict(audio), tagger_random.predict(audio))
    del state["fc_audioset.weight"]
    torch.save({"model": state}, path)
    get_embedder("cnn14", model_file=str(path))  # the embedder needs no head
    from irbench.taggers import TaggerError

    with pytest.raises(TaggerError, match="cnn14-audioset.*lacks 1 Cnn14 tensor.*head.weight"):
        get_tagger("cnn14-audioset", model_file=str(path))
