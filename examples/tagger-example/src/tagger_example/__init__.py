"""Register band energies: a complete, tiny irbench tagger (no training, no download).

A clip's power spectrum (Hann windows of 1024 samples every 256, at 16 kHz) is split into three registers,
and each score is the share of the clip's power in one of them: ``low register`` below 250 Hz, ``mid
register`` 250-2,000 Hz, ``high register`` above 2,000 Hz. ``tonal`` is one minus the spectral flatness of
the clip's mean power spectrum (geometric over arithmetic mean, Gray and Markel 1974; 0 for white noise's
expected spectrum and silence, near 1 for a few sinusoids). Every score lies in ``[0, 1]`` by construction.

It keeps the tagger contract (:class:`irbench.taggers.Tagger`): declared name, version, sample rate and
labels; ``compute`` returns ``(batch, 4)`` scores in ``[0, 1]``, each clip computed from its own samples
only. ``irmas.toml`` maps its labels to IRMAS's classes (:meth:`irbench.taggers.label_maps.LabelMap.from_file`);
the class names it in ``label_map_files``, so ``label_map("tiny-bands", "irmas")`` finds it.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from irbench.taggers import Tagger

__version__ = "0.1.0"

SAMPLE_RATE = 16000  # Hz
N_FFT, HOP = 1024, 256  # samples
LOW_HZ, HIGH_HZ = 250.0, 2000.0  # register edges
FLOOR = 1e-12  # keeps the logarithm and the divisions finite on silence


class TinyBandsTagger(Tagger):
    """``tiny-bands``: shares of a clip's power in three registers, and its tonality (see the module
    docstring). Takes no option; :meth:`predict` takes ``(batch, samples)`` at 16 kHz, ``samples >= 1``, and
    returns ``(batch, 4)`` float32 scores in ``[0, 1]`` in the order of :attr:`labels`."""

    name = "tiny-bands"
    description = "Register band energies and tonality of a clip (a tiny example tagger, no weights)"
    version = __version__
    sample_rate = SAMPLE_RATE
    labels = ("low register", "mid register", "high register", "tonal")
    label_map_files: ClassVar[dict[str, str]] = {"irmas": "irmas.toml"}  # shipped beside this module

    def __init__(self) -> None:
        frequencies = torch.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
        self.registers = torch.stack([frequencies < LOW_HZ, (frequencies >= LOW_HZ) & (frequencies < HIGH_HZ),
                                      frequencies >= HIGH_HZ]).to(torch.float32)  # (3, bins)
        self.window = torch.hann_window(N_FFT)

    def compute(self, audio: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` float32 -> ``(batch, 4)``: register shares of power, then tonality."""
        spectrum = torch.stft(audio, N_FFT, HOP, window=self.window.to(audio.device), center=True,
                              pad_mode="constant", return_complex=True)
        power = spectrum.abs().square().mean(dim=-1)  # (batch, bins): mean power spectrum of each clip
        shares = (power @ self.registers.T.to(audio.device)) / (power.sum(dim=-1, keepdim=True) + FLOOR)
        flatness = torch.exp(torch.log(power + FLOOR).mean(dim=-1)) / (power.mean(dim=-1) + FLOOR)
        return torch.cat([shares, (1.0 - flatness)[:, None]], dim=-1).clamp(0.0, 1.0)
