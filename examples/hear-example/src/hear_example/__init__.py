"""Framed log band energies: a complete, tiny HEAR 2021 API module (no training, no download).

Every 25 ms a 50 ms Hann window (centred, the clip zero-padded at both ends) is transformed by an FFT and
its power summed in 16 bands between 50 Hz and 8 kHz, equally spaced in log frequency; the embedding is the
log10 of the band powers. It follows the HEAR 2021 API (hearbenchmark.com ``docs/hear-api.md``):

- ``load_model(model_file_path="")`` returns a ``torch.nn.Module`` with ``sample_rate`` (16000 Hz),
  ``scene_embedding_size`` and ``timestamp_embedding_size`` (16); a ``model_file_path`` is a state dict saved
  from this model (``torch.save(model.state_dict(), path)``), the band matrix being its only tensor;
- ``get_timestamp_embeddings(audio (n_sounds, n_samples), model)`` returns embeddings ``(n_sounds,
  n_timestamps, 16)`` float32 and timestamps ``(n_sounds, n_timestamps)`` in ms, 0, 25, 50, ... up to the
  clip's end;
- ``get_scene_embeddings(audio, model)`` returns the mean over timestamps, ``(n_sounds, 16)``.

Each clip is computed on its own numbers only (no batch statistics), and zero padding after a clip changes
only the frames within 25 ms of its end: ``irbench validate hear:hear_example`` passes.
"""

from __future__ import annotations

import math

import torch

__version__ = "0.1.0"

SAMPLE_RATE = 16000  # Hz
HOP = 400  # samples: 25 ms
WINDOW = 800  # samples: 50 ms
BANDS = 16
LOWEST_HZ, HIGHEST_HZ = 50.0, 8000.0
FLOOR = 1e-10  # added to band powers before the log, so silence stays finite


def band_matrix() -> torch.Tensor:
    """``(BANDS, WINDOW // 2 + 1)``: 1 where an FFT bin's frequency lies in a band, edges log-spaced."""
    edges = torch.logspace(math.log10(LOWEST_HZ), math.log10(HIGHEST_HZ), BANDS + 1, dtype=torch.float64)
    frequencies = torch.arange(WINDOW // 2 + 1, dtype=torch.float64) * SAMPLE_RATE / WINDOW
    inside = (frequencies[None, :] >= edges[:-1, None]) & (frequencies[None, :] < edges[1:, None])
    inside[-1, -1] = True  # the Nyquist bin closes the top band
    return inside.to(torch.float32)


class LogBands(torch.nn.Module):
    """The model: no trainable parameters, a fixed window and band matrix as buffers."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = BANDS
    timestamp_embedding_size = BANDS

    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(WINDOW, periodic=True))
        self.register_buffer("bands", band_matrix())

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``(n_sounds, n_samples)`` -> ``(n_sounds, 1 + n_samples // HOP, BANDS)`` log10 band powers."""
        spectrum = torch.stft(audio, n_fft=WINDOW, hop_length=HOP, window=self.window, center=True,
                              pad_mode="constant", return_complex=True)
        power = spectrum.real.square() + spectrum.imag.square()  # (n_sounds, bins, frames)
        return torch.log10(torch.einsum("kb,nbf->nfk", self.bands, power) + FLOOR)


def load_model(model_file_path: str = "") -> LogBands:
    """The model, its buffers read from ``model_file_path`` when one is given (a saved state dict)."""
    model = LogBands()
    if model_file_path:
        model.load_state_dict(torch.load(model_file_path, map_location="cpu", weights_only=True))
    return model.eval()


def get_timestamp_embeddings(audio: torch.Tensor, model: LogBands) -> tuple[torch.Tensor, torch.Tensor]:
    """Embeddings ``(n_sounds, n_timestamps, 16)`` float32 and their centres ``(n_sounds, n_timestamps)`` in
    ms for ``audio`` ``(n_sounds, n_samples)`` at 16 kHz in [-1, 1]."""
    if audio.ndim != 2:
        raise ValueError(f"audio must be (n_sounds, n_samples), got shape {tuple(audio.shape)}")
    embeddings = model(audio.to(torch.float32))
    frames = torch.arange(embeddings.shape[1], device=audio.device, dtype=torch.float32)
    timestamps = (frames * (1000.0 * HOP / SAMPLE_RATE)).expand(audio.shape[0], -1)
    return embeddings, timestamps


def get_scene_embeddings(audio: torch.Tensor, model: LogBands) -> torch.Tensor:
    """``(n_sounds, 16)``: the mean of the timestamp embeddings over time."""
    embeddings, _ = get_timestamp_embeddings(audio, model)
    return embeddings.mean(dim=1)
