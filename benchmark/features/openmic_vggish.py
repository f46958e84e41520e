"""OpenMIC-2018's own VGGish features as a front end: ``openmic-vggish`` (what ``probe:openmic-vggish`` reads).

OpenMIC-2018 ships, for every clip, the 128-d VGGish embedding (Hershey et al., ICASSP 2017; AudioSet's
quantised uint8 release) of each 0.96-s patch: ``vggish/NNN/<sample_key>.json`` beside ``audio/NNN/``
(Humphrey, Durand and McFee, ISMIR 2018). The official baseline and many papers use them, so irbench reads
them as they are instead of computing VGGish (whose weights cannot be downloaded here): frame ``k`` is the
patch starting at ``0.96 k`` s (the grid's "centre" is the patch's start, an offset of 0.48 s that no
window of whole clips sees). Values stay on the dataset's uint8 scale (0-255), as float32.

The features are read from the file beside the audio, not computed from it: ``irbench predict`` cannot use
this front end on other audio, and the cache entry is keyed by the audio's SHA-256 (a changed JSON beside
unchanged audio is not noticed; ``irbench cache clear`` removes such entries).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from irbench.errors import IrbenchError
from irbench.features.base import Frontend

HOP_SECONDS = 0.96
SAMPLE_RATE = 16_000  # VGGish's input rate: the grid's unit


class OpenMicVggishConfig(BaseModel):
    """The grid of OpenMIC's VGGish files: 16 kHz, a hop of 15,360 samples (0.96 s); ``source`` names them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["openmic-2018 vggish json"] = "openmic-2018 vggish json"
    sample_rate: int = Field(SAMPLE_RATE, gt=0)
    hop_length: int = Field(round(HOP_SECONDS * SAMPLE_RATE), gt=0)


def vggish_file(audio: Path) -> Path:
    """The VGGish JSON of an OpenMIC clip: ``<home>/audio/NNN/<key>.ogg`` -> ``<home>/vggish/NNN/<key>.json``."""
    audio = Path(audio)
    return audio.parent.parent.parent / "vggish" / audio.parent.name / f"{audio.stem}.json"


class OpenMicVggish(Frontend):
    """Reads ``(128, frames)`` VGGish features of an OpenMIC clip from the dataset (see the module docstring)."""

    name = "openmic-vggish"
    config_class = OpenMicVggishConfig
    frame_local: ClassVar[bool] = False
    from_file: ClassVar[bool] = True

    def file_features(self, audio: Path) -> np.ndarray:
        """``(128, frames)`` float32 of the clip at ``audio``.

        Raises ``DatasetLayoutError`` naming the JSON when it is missing, unreadable or of the wrong shape."""
        from irbench.tasks.openmic import read_vggish

        _, features = read_vggish(vggish_file(audio))
        return np.ascontiguousarray(features.T, dtype=np.float32)

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """Not available: raises ``IrbenchError`` (these features come from the dataset's files only)."""
        raise IrbenchError("openmic-vggish features are read from OpenMIC-2018's vggish/ files; they cannot be "
                           "computed from audio here")
