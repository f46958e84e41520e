"""The mlp's input against an independent run of its source's pipeline (Multi-Instrument-Detection:
librosa STFT, ``cv2.resize(..., INTER_AREA)`` to 150 x 150, ``librosa.amplitude_to_db(ref=np.max)``), and
the optimizer notes its record carries."""

import cv2
import librosa
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from irbench.data.audio import load_audio
from irbench.baselines.base import ModelSpec
from irbench.baselines.mlp import MlpBaseline
from irbench.baselines.networks.mlp import MlpNet
from irbench.errors import ConfigError
from irbench.features.cache import frontend_key
from irbench.features.configs import ResizedStftConfig
from irbench.features.resized_stft import ResizedStft, opencv_area_weights
from irbench.features.spectral import amplitude_to_db_relative_to_max
from irbench.task import PredictionType

# Stated tolerance, dB per pixel of the 150 x 150 image: mean under 0.01 and every pixel within 0.1 (measured
# on the real clips: 0.00003 mean, 0.007 max; the torch area pooling used before was off by 3-11 dB mean).
MEAN_DB, MAX_DB = 0.01, 0.1
SAMPLES = 65_536  # one Medley-solos-DB clip at 22,050 Hz: 129 frames


def source_image(audio: np.ndarray) -> np.ndarray:
    """The source's ``Spectogram.signal_to_spectogram`` + ``compress_spectogram`` + dB step, in float32
    (librosa >= 0.10 pads centred frames with zeros)."""
    spectrum = librosa.stft(audio, n_fft=2048, hop_length=512)
    image = cv2.resize(np.abs(spectrum), (150, 150), interpolation=cv2.INTER_AREA)
    return librosa.amplitude_to_db(image, ref=np.max, top_db=80)


def mlp_image(audio: np.ndarray) -> np.ndarray:
    """irbench's: the cached front end, then the MLP's own resize and dB step on one 129-frame window."""
    features = ResizedStft()(torch.from_numpy(audio))[None]
    with torch.no_grad():
        return MlpNet(8, 4, frames=features.shape[-1]).image(features)[0].numpy()


def _tones(seed: int) -> np.ndarray:
    """2.97 s at 22,050 Hz: a decaying harmonic tone with vibrato over quiet noise and a silent gap."""
    rng = np.random.default_rng(seed)
    t = np.arange(SAMPLES) / 22_050
    f0 = rng.uniform(110, 880) * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / 22_050
    audio = sum(np.sin(k * phase) / k ** 1.5 for k in range(1, 12)) * np.exp(-t * rng.uniform(0.2, 2))
    audio = audio * (t < 2.2) + 1e-3 * rng.standard_normal(SAMPLES)
    return (0.3 * audio / np.abs(audio).max()).astype(np.float32)


def _gap(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    assert ours.shape == theirs.shape == (150, 150)
    difference = np.abs(ours.astype(np.float64) - theirs)
    return float(difference.mean()), float(difference.max())


def test_the_weights_are_opencvs_own_resize():
    rng = np.random.default_rng(0)
    image = (np.abs(rng.standard_normal((1025, 129))) ** 3).astype(np.float32)
    reference = cv2.resize(image, (150, 150), interpolation=cv2.INTER_AREA)
    rows, columns = opencv_area_weights(1025, 150), opencv_area_weights(129, 150)
    assert rows.shape == (150, 1025) and columns.shape == (150, 129)
    np.testing.assert_allclose(rows @ image @ columns.T, reference, rtol=0, atol=1e-6 * reference.max())
    assert (np.count_nonzero(rows, axis=1) <= 2).all()  # OpenCV's branch when the image is enlarged in time
    np.testing.assert_allclose(rows.sum(axis=1), 1, atol=1e-6)
    with pytest.raises(ValueError):
        opencv_area_weights(0, 150)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_mlp_input_is_the_sources_image(seed):
    audio = _tones(seed)
    theirs = source_image(audio)
    mean, worst = _gap(mlp_image(audio), theirs)
    assert mean < MEAN_DB and worst < MAX_DB, (mean, worst)
    # the test tells the resizes apart: torch area pooling on both axes (what irbench did before) fails it
    magnitude = torch.from_numpy(np.abs(librosa.stft(audio, n_fft=2048, hop_length=512)))[None, None]
    pooled = amplitude_to_db_relative_to_max(F.interpolate(magnitude, size=(150, 150), mode="area")[:, 0])
    assert _gap(pooled[0].numpy(), theirs)[0] > 10 * MEAN_DB


def test_the_mlp_input_is_the_sources_image_on_real_medley_clips(real_data):
    clips = sorted((real_data / "medley_solos_db").rglob("*.wav"))[:3]
    if not clips:
        pytest.skip("no real Medley-solos-DB clips in ../shared")
    for clip in clips:
        theirs = source_image(librosa.load(clip)[0])  # the source's decoding: librosa's own resampling
        mean, worst = _gap(mlp_image(load_audio(clip, 22_050)), theirs)
        assert mean < MEAN_DB and worst < MAX_DB, (clip.name, mean, worst)


def test_the_cache_key_names_the_resize():
    config = ResizedStftConfig().model_dump()
    assert config["resize"] == "opencv-inter-area"
    pooled_before = {k: v for k, v in config.items() if k != "resize"}  # how torch-pooled features were keyed
    assert frontend_key("resized-stft", config) != frontend_key("resized-stft", pooled_before)


def _spec(n_classes: int, rows: int = 150) -> ModelSpec:
    return ModelSpec(n_classes, PredictionType.SINGLE_LABEL, (rows, 129), np.full(n_classes, 1 / n_classes))


def test_the_record_states_the_optimizer_against_the_sources():
    baseline = MlpBaseline()
    binary = baseline.assemble(_spec(2), baseline.training)
    notes = baseline.describe(binary.notes)["notes"]
    assert notes["optimizer"] == "SGD lr 0.001, momentum 0.9"
    assert notes["source_optimizer"].startswith("SGD lr 0.0001, momentum 0.0001")
    assert notes["step_vs_source"] == pytest.approx(100, rel=1e-3)  # (1e-3 / 0.1) / (1e-4 / 0.9999)
    assert baseline.build(_spec(8), baseline.training).notes["step_vs_source"] == pytest.approx(10, rel=1e-3)
    as_source = baseline.training.model_copy(update={"learning_rate": 1e-4, "momentum": 1e-4})
    assert baseline.build(_spec(2), as_source).notes["step_vs_source"] == 1.0
    with torch.no_grad():
        assert binary.module(torch.rand(3, 150, 129)).shape == (3, 2)


def test_a_front_end_of_other_rows_or_a_long_window_is_refused():
    baseline = MlpBaseline()
    with pytest.raises(ConfigError, match="n_bins"):
        baseline.build(_spec(2, rows=128), baseline.training)
    with pytest.raises(ConfigError, match="150"):
        MlpNet(2, 4, side=150, frames=150)
    with pytest.raises(ValueError, match="129"):
        MlpNet(2, 4).image(torch.rand(1, 150, 100))
