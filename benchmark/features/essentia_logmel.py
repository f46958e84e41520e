"""IRMAS_Deep_Learning's log-mel computed with Essentia itself (``pip install irbench[essentia]``), to check the torch
front end against the original tool. CPU only; Essentia is imported on first use, never at import time.

Essentia chain (IRMAS_Deep_Learning): ``FrameGenerator(frameSize=1024, hopSize=512)`` -> ``Windowing(type="hann",
normalized=False)`` -> ``Spectrum`` -> ``MelBands(type="power", 64 bands, 0-8,000 Hz,
warpingFormula="slaneyMel", normalize="unit_tri")`` -> log10 with the torch front end's floor.
"""

from __future__ import annotations

import numpy as np
import torch

from irbench.errors import ConfigError
from irbench.features.base import FrameGrid, Frontend
from irbench.features.configs import LogMelConfig


class EssentiaLogMel(Frontend):
    """Waveform ``(samples,)`` -> ``(n_mels, frames)`` log10 mel bands computed by Essentia.

    Raises ``ConfigError`` when Essentia is not installed.
    """

    name = "log-mel-essentia"
    config_class = LogMelConfig

    @classmethod
    def grid(cls, config: LogMelConfig) -> FrameGrid:
        """Frames every ``hop_length`` samples; silence is ``log10(floor)``."""
        return FrameGrid(config.sample_rate, config.hop_length, float(np.log10(config.floor)))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(samples,)`` float -> ``(n_mels, frames)`` float32; frames centred like the torch front end.
        One clip at a time: Essentia has no batch axis."""
        try:
            import essentia.standard as es
        except ImportError as error:
            raise ConfigError("the log-mel-essentia front end needs `pip install irbench[essentia]`") from error
        c = self.config
        audio = waveform.detach().cpu().numpy().astype(np.float32)
        padded = np.pad(audio, (c.n_fft // 2, c.n_fft // 2))
        window = es.Windowing(type="hann", size=c.n_fft, normalized=False, zeroPhase=False)
        spectrum = es.Spectrum(size=c.n_fft)
        bands = es.MelBands(inputSize=c.n_fft // 2 + 1, numberBands=c.n_mels, sampleRate=c.sample_rate,
                            lowFrequencyBound=c.f_min, highFrequencyBound=c.f_max, type="power",
                            warpingFormula="slaneyMel", normalize="unit_tri", weighting="linear")
        frames = [bands(spectrum(window(frame))) for frame in
                  es.FrameGenerator(padded, frameSize=c.n_fft, hopSize=c.hop_length, startFromZero=True,
                                    lastFrameToEndOfFile=False, validFrameThresholdRatio=1)]
        mel = np.stack(frames, axis=1)[:, : 1 + len(audio) // c.hop_length]
        return torch.from_numpy(np.log10(mel + c.floor).astype(np.float32))
