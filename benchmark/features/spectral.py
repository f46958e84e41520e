"""Torch implementations of the spectral operations the front ends share, each checked against librosa.

Filterbanks and transform matrices come from librosa and scipy; only the arithmetic runs in torch, so the
front ends run on CPU or GPU alike.
"""

from __future__ import annotations

import torch


def stft_power(waveform: torch.Tensor, n_fft: int, hop_length: int, window: torch.Tensor, power: float = 2.0,
               center: bool = True) -> torch.Tensor:
    """``|STFT|**power`` of ``(batch, samples)`` -> ``(batch, 1 + n_fft // 2, frames)``; centred frames use
    zero padding (librosa's ``pad_mode="constant"``), ``frames = 1 + samples // hop_length``."""
    spectrum = torch.stft(waveform, n_fft=n_fft, hop_length=hop_length, window=window, center=center,
                          pad_mode="constant", return_complex=True)
    return spectrum.abs().pow(power)


def power_to_db(power: torch.Tensor, amin: float = 1e-10, top_db: float | None = None,
                reference: torch.Tensor | float = 1.0) -> torch.Tensor:
    """``10 log10(max(power, amin) / reference)``, floored ``top_db`` below the maximum over the last two
    axes when given: ``librosa.power_to_db`` on ``(..., rows, frames)``."""
    db = 10.0 * torch.log10(torch.clamp(power, min=amin)) - 10.0 * torch.log10(
        torch.clamp(torch.as_tensor(reference, dtype=power.dtype, device=power.device), min=amin))
    if top_db is not None:
        peak = db.amax(dim=(-2, -1), keepdim=True)
        db = torch.maximum(db, peak - top_db)
    return db


def amplitude_to_db_relative_to_max(magnitude: torch.Tensor, top_db: float = 80.0, amin: float = 1e-5) -> torch.Tensor:
    """``librosa.amplitude_to_db(S, ref=np.max, top_db=80)`` per item of ``(batch, rows, frames)``: dB
    relative to each item's maximum (so the loudest bin is 0 dB), floored ``top_db`` below it."""
    reference = magnitude.amax(dim=(-2, -1), keepdim=True)
    power = torch.clamp(magnitude, min=amin).pow(2)
    db = 10.0 * torch.log10(power) - 10.0 * torch.log10(torch.clamp(reference, min=amin).pow(2))
    return torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - top_db)
