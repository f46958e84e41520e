"""``cnn14-audioset``: PANNs Cnn14 with its AudioSet head (Kong, Cao, Iqbal, Wang, Wang, Plumbley 2020, IEEE/ACM
TASLP 28:2880-2894), frozen, as a tagger of AudioSet's 527 classes (:mod:`irbench.taggers.audioset`).

Scores are PANNs' ``clipwise_output``: ``sigmoid(fc_audioset(relu(fc1(max_t + mean_t of conv_block6 averaged
over frequency))))``, computed by :class:`irbench.baselines.networks.cnn14.Cnn14` (its ``head`` holds the checkpoint's
``fc_audioset``, :func:`irbench.baselines.networks.cnn14.with_audioset_head`) on the cnn14 baseline's log-mel front end
(32 kHz, hop 320, 64 mel bands). Weights and options are those of the ``cnn14`` embedder
(:func:`irbench.embedders.cnn14.load_cnn14`): ``pretrained`` (PANNs' ``Cnn14_mAP=0.431.pth``, from
``irbench data download cnn14-weights`` or ``model_file=PATH``) or ``random`` (seeded, PANNs' initialisation).

Deviations from PANNs' inference: zero padding at the STFT's edges (PANNs pads by reflection) and irbench's
librosa-based mel filterbank in place of the checkpoint's ``logmel_extractor``; clips shorter than 0.31 s
(32 log-mel frames) are refused instead of failing inside the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from irbench.taggers.audioset import audioset_labels
from irbench.taggers.base import Tagger, TaggerError

if TYPE_CHECKING:
    import torch


class Cnn14AudiosetTagger(Tagger):
    """``cnn14-audioset``: PANNs Cnn14's 527 AudioSet scores (Kong et al. 2020); see the module docstring.

    Options (strings from ``--config`` are converted): ``weights`` ``pretrained`` or ``random``; ``seed``
    (random weights); ``model_file`` (a Cnn14 checkpoint, overriding the lookup); ``cache_dir`` (the irbench
    cache, ``""``: ``$IRBENCH_CACHE_DIR`` or ``.cache/irbench``); ``device``.

    :meth:`predict` takes ``(batch, samples)`` at 32 kHz, ``samples >= 9920``, and returns ``(batch, 527)``
    float32 sigmoid scores, column ``k`` for AudioSet class ``k``. Beyond the contract: ``model_file`` (the
    checkpoint's path, ``None`` for random weights) and ``weights_notes`` (what a run record says about the
    weights, :class:`irbench.embedders.cnn14.LoadedCnn14`).

    Raises ``TaggerError`` (naming ``cnn14-audioset``) when the weights are not found or cannot be read, the
    checkpoint has no ``fc_audioset``, an option is invalid, or a clip is too short.
    """

    name = "cnn14-audioset"
    description = "PANNs Cnn14 (Kong et al. 2020) AudioSet tagger: 527 sigmoid clip scores, 32 kHz"
    sample_rate = 32_000
    labels = audioset_labels()

    def __init__(self, weights: str = "pretrained", seed: int | str = 0, model_file: str = "",
                 cache_dir: str = "", device: str = "cpu"):
        from irbench.baselines.cnn14 import AUDIOSET_CLASSES
        from irbench.embedders.cnn14 import load_cnn14

        loaded = load_cnn14(self.name, TaggerError, AUDIOSET_CLASSES, weights, seed, model_file, cache_dir,
                            device, audioset_head=True)
        self.model, self.frontend, self.weights_notes = loaded.model, loaded.frontend, loaded.weights_notes
        self.weights_sha256, self.model_file, self.version = loaded.weights_sha256, loaded.model_file, loaded.version
        self.device = str(device)

    def compute(self, audio: torch.Tensor) -> Any:
        """``(batch, samples)`` float32 at 32 kHz -> ``(batch, 527)`` sigmoid scores; raises ``TaggerError``
        for clips under 9,920 samples."""
        import torch
        from irbench.embedders.cnn14 import check_length

        check_length(self.name, TaggerError, audio.shape[1])
        with torch.inference_mode():
            features = self.frontend(audio.to(next(self.model.parameters()).device))
            return torch.sigmoid(self.model(features)).cpu()
