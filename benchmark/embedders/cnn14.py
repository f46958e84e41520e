"""``cnn14``: PANNs Cnn14 (Kong, Cao, Iqbal, Wang, Wang, Plumbley 2020, IEEE/ACM TASLP 28:2880-2894), frozen,
as a frame-level embedder.

The network is :class:`irbench.baselines.networks.cnn14.Cnn14` with the cnn14 baseline's log-mel front end
(:attr:`irbench.baselines.cnn14.Cnn14Baseline.frontend_config`: 32 kHz, n_fft 1024, hop 320, 64 mel bands
50-14,000 Hz, ``10 log10``). A frame embedding is ``conv_block6``'s output averaged over frequency, 2048-d,
taken before PANNs' max + mean over time: one frame per 32 log-mel frames (320 ms), frame ``j`` centred at
``(32 j + 15.5) x 10 ms`` (the middle of the log-mel frames it pools; each log-mel frame is centred on its
sample). A clip of ``n`` samples gives ``(1 + n // 320) // 32`` frames, so clips must hold at least
:data:`MIN_SAMPLES` samples (0.31 s).

Weights (``weights=``): ``pretrained`` loads PANNs' AudioSet checkpoint (``Cnn14_mAP=0.431.pth``) found as
the cnn14 baseline finds it (:func:`irbench.baselines.panns_checkpoint.find_checkpoint`:
``$IRBENCH_CNN14_CHECKPOINT``, else ``<cache>/weights/`` after ``irbench data download cnn14-weights``), or
``model_file=PATH``; ``random`` initialises it as PANNs' code does (Xavier-uniform convolutions and linear
layers, zero biases, unit batch-norm scales) under ``seed``, for tests and as a chance-level reference.

Deviations from PANNs' inference: zero padding at the STFT's edges (PANNs pads by reflection), the mel
filterbank and STFT of irbench's front end (the checkpoint's ``spectrogram_extractor`` and
``logmel_extractor`` tensors are not used; both follow librosa), and frame embeddings in place of the clip
embedding (no pooling over time, no ``fc1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from irbench.embedders.base import Embedder, EmbedderError

if TYPE_CHECKING:
    import torch

VERSION = "1.0"
"""Version of this adapter's code: with ``weights_sha256`` (or the seed of random weights) its cache key."""
SAMPLE_RATE = 32_000
HOP_SAMPLES = 320
N_FFT = 1024
"""The cnn14 baseline's front end (``Cnn14Baseline.frontend_config``): 32 kHz, hop 320, n_fft 1024 samples."""
FRAMES_PER_EMBEDDING = 32
"""Log-mel frames pooled into one frame embedding: five 2x2 average poolings."""
MIN_SAMPLES = (FRAMES_PER_EMBEDDING - 1) * HOP_SAMPLES
"""Shortest clip with one frame embedding: 9,920 samples (0.31 s) give 32 log-mel frames."""
CONV_REACH_FRAMES = 2 * sum(2 ** k for k in range(6))
"""Log-mel frames a ``conv_block6`` position sees beyond its own 32 on each side: two 3x3 convolutions per
block, one position at each block's stride (1, 2, ..., 32 frames): 126."""
CONTEXT_MS = ((FRAMES_PER_EMBEDDING - 1) / 2 + CONV_REACH_FRAMES) * HOP_SAMPLES * 1000 / SAMPLE_RATE \
    + (N_FFT // 2) * 1000 / SAMPLE_RATE
"""How far (ms) from a frame embedding's centre the audio it depends on reaches: 141.5 log-mel frames of
10 ms, plus half an STFT window (512 samples, 16 ms): 1431 ms (``irbench validate``'s ``context_ms``)."""
WEIGHT_CHOICES = ("pretrained", "random")


@dataclass(frozen=True)
class LoadedCnn14:
    """A built Cnn14 and where its weights came from.

    model: the :class:`irbench.baselines.networks.cnn14.Cnn14`, in ``eval()`` mode, gradients off, on ``device``.
    frontend: the log-mel front end (:class:`irbench.features.logmel.LogMelSpectrogram`) on ``device``.
    weights_sha256: SHA-256 of the checkpoint (``None`` for random weights). model_file: its path (``None``
    for random weights). version: :data:`VERSION`, with ``-random-init-seed-<seed>`` for random weights.
    tensors_loaded: names of the checkpoint tensors copied into the model (empty for random weights).
    weights_notes: what a run record says about them
    (:func:`irbench.baselines.panns_checkpoint.describe_checkpoint`: ``initialisation``, ``weights``, the
    file's name, SHA-256 and MD5), or the seed of random weights.
    """

    model: Any
    frontend: Any
    weights_sha256: str | None
    model_file: Path | None
    version: str
    tensors_loaded: tuple[str, ...]
    weights_notes: dict[str, Any]


def panns_init(model: torch.nn.Module) -> None:
    """Initialise ``model`` in place as PANNs' ``init_layer``/``init_bn`` do (Kong et al. 2020's code):
    Xavier-uniform weights and zero biases for every convolution and linear layer, scale 1 and shift 0 for
    every batch norm. Draws from torch's global generator: seed it (or fork it) first."""
    import torch

    for module in model.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                module.bias.data.fill_(0.0)
        elif isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.fill_(1.0)
            module.bias.data.fill_(0.0)


def load_cnn14(owner: str, error: type[Exception], n_classes: int, weights: str = "pretrained",
               seed: int | str = 0, model_file: str = "", cache_dir: str = "", device: str = "cpu",
               audioset_head: bool = False) -> LoadedCnn14:
    """Build a frozen PANNs Cnn14 (``n_classes`` outputs) and the cnn14 baseline's log-mel front end.

    ``weights``: ``pretrained`` (``model_file``, else the checkpoint
    :func:`~irbench.baselines.panns_checkpoint.find_checkpoint` finds in ``cache_dir``, ``""`` for the
    default cache) or ``random`` (:func:`panns_init` under ``seed``, torch's global generator untouched).
    ``audioset_head``: also load the checkpoint's ``fc_audioset`` into the head (``n_classes`` must be 527).

    Raises ``error`` (the caller's ``EmbedderError`` or ``TaggerError``), naming ``owner`` and the file, when
    an option is invalid, no checkpoint is found (saying to run ``irbench data download cnn14-weights``), the
    file cannot be read, the downloaded copy in the cache differs from its published checksum, or the file
    lacks a tensor the model needs."""
    import torch
    from irbench.baselines.cnn14 import Cnn14Baseline
    from irbench.baselines.networks.cnn14 import Cnn14, with_audioset_head
    from irbench.baselines.panns_checkpoint import (
        CNN14_WEIGHTS,
        Checkpoint,
        describe_checkpoint,
        find_checkpoint,
        load_cnn14_state,
    )
    from irbench.data.weights import weights_folder
    from irbench.errors import ConfigError
    from irbench.features.logmel import LogMelSpectrogram

    choice = str(weights).strip().lower()
    if choice not in WEIGHT_CHOICES:
        raise error(f"{owner}: weights={weights!r} is not one of {', '.join(WEIGHT_CHOICES)}")
    if choice == "random" and model_file:
        raise error(f"{owner}: model_file={model_file!r} contradicts weights=random (it loads a checkpoint)")
    try:
        seed = int(seed)
        target = torch.device(device)
    except (TypeError, ValueError, RuntimeError) as bad:
        raise error(f"{owner}: bad option (seed={seed!r}, device={device!r}): {bad}") from bad
    with torch.random.fork_rng(devices=[]):  # the caller's generator (a probe's seed) stays where it was
        torch.manual_seed(seed)
        model = Cnn14(n_classes)
        if choice == "random":
            panns_init(model)
    notes: dict[str, Any] = {"initialisation": f"random (PANNs' initialisation, seed {seed})", "weights": None}
    sha256, path, loaded = None, None, ()
    version = f"{VERSION}-random-init-seed-{seed}"
    if choice == "pretrained":
        checkpoint = (Checkpoint(Path(model_file).expanduser(), "option") if model_file
                      else find_checkpoint(None, cache_dir or None))
        path = checkpoint.path
        if path is None:
            raise error(f"{owner}: no PANNs Cnn14 weights in {weights_folder(cache_dir or None)}: run `irbench "
                        f"data download {CNN14_WEIGHTS.name}` (327 MB), or pass model_file=PATH, or "
                        "weights=random")
        if not path.is_file():
            given = {"option": "model_file", "environment": "$IRBENCH_CNN14_CHECKPOINT"}.get(checkpoint.origin)
            raise error(f"{owner}: the Cnn14 checkpoint {path} ({given or 'the cache'}) does not exist")
        try:
            notes = describe_checkpoint(checkpoint)  # refuses a damaged download in the cache
            state = load_cnn14_state(path)
        except (ConfigError, OSError) as bad:
            raise error(f"{owner}: {bad}") from bad
        state = with_audioset_head(state) if audioset_head else state
        needed = {key for key in model.state_dict() if audioset_head or not key.startswith("head.")}
        loaded = tuple(model.load_pretrained(state))
        missing = sorted(needed - set(loaded))
        if missing:
            raise error(f"{owner}: {path} lacks {len(missing)} Cnn14 tensor(s) of the right shape, e.g. "
                        f"{', '.join(missing[:3])}")
        sha256, version = notes["weights_sha256"], VERSION
    model.eval().requires_grad_(False).to(target)
    frontend = LogMelSpectrogram(Cnn14Baseline.frontend_config).eval().to(target)
    return LoadedCnn14(model, frontend, sha256, path, version, loaded, notes)


def check_length(owner: str, error: type[Exception], samples: int) -> None:
    """Raise ``error`` naming ``owner`` when a clip of ``samples`` samples is shorter than :data:`MIN_SAMPLES`."""
    if samples < MIN_SAMPLES:
        raise error(f"{owner}: clips of {samples} samples ({1000 * samples / SAMPLE_RATE:.0f} ms) are shorter "
                    f"than Cnn14's {MIN_SAMPLES} samples ({1000 * MIN_SAMPLES / SAMPLE_RATE:.0f} ms at "
                    f"{SAMPLE_RATE} Hz): pad them first")


def frame_timestamps_ms(frames: int) -> np.ndarray:
    """Centres (ms) of ``frames`` Cnn14 frame embeddings: ``(32 j + 15.5) x 320 / 32000 x 1000``, shape
    ``(frames,)`` float64."""
    centre = FRAMES_PER_EMBEDDING * np.arange(frames, dtype=np.float64) + (FRAMES_PER_EMBEDDING - 1) / 2
    return centre * HOP_SAMPLES * 1000.0 / SAMPLE_RATE


class Cnn14Embedder(Embedder):
    """``cnn14``: PANNs Cnn14's frame embeddings (Kong et al. 2020); see the module docstring.

    Options (strings from ``--config`` are converted): ``weights`` ``pretrained`` or ``random``; ``seed``
    (random weights); ``model_file`` (a Cnn14 checkpoint, overriding the lookup); ``cache_dir`` (the irbench
    cache, ``""``: ``$IRBENCH_CACHE_DIR`` or ``.cache/irbench``); ``device`` (``cpu``, ``cuda``, ...).

    :meth:`embed` takes ``(batch, samples)`` at 32 kHz, ``samples >= 9920``, and returns embeddings
    ``(batch, (1 + samples // 320) // 32, 2048)`` float32 with timestamps (ms) at each frame's centre.
    ``context_ms`` (:data:`CONTEXT_MS`): a frame depends on the audio up to 1431 ms either side of its centre,
    so the last frames of a clip change when it is zero-padded (``irbench validate`` allows for it).
    Beyond the contract: ``model_file`` (the checkpoint's path, ``None`` for random weights) and
    ``weights_notes`` (what a run record says about the weights, :class:`LoadedCnn14`).

    Raises ``EmbedderError`` (naming ``cnn14``) when the weights are not found or cannot be read, an option
    is invalid, or a clip is too short.
    """

    name = "cnn14"
    description = "PANNs Cnn14 frames (Kong et al. 2020): conv_block6 averaged over frequency, 2048-d every 320 ms"
    sample_rate = SAMPLE_RATE
    embedding_size = 2048
    context_ms = CONTEXT_MS

    def __init__(self, weights: str = "pretrained", seed: int | str = 0, model_file: str = "",
                 cache_dir: str = "", device: str = "cpu"):
        from irbench.baselines.cnn14 import AUDIOSET_CLASSES

        loaded = load_cnn14(self.name, EmbedderError, AUDIOSET_CLASSES, weights, seed, model_file, cache_dir,
                            device)
        self.model, self.frontend, self.weights_notes = loaded.model, loaded.frontend, loaded.weights_notes
        self.weights_sha256, self.model_file, self.version = loaded.weights_sha256, loaded.model_file, loaded.version
        self.device = str(device)

    def compute(self, audio: torch.Tensor) -> tuple[Any, Any]:
        """``(batch, samples)`` float32 at 32 kHz -> embeddings ``(batch, frames, 2048)`` and timestamps
        ``(batch, frames)`` in ms; raises ``EmbedderError`` for clips under :data:`MIN_SAMPLES` samples."""
        import torch

        check_length(self.name, EmbedderError, audio.shape[1])
        with torch.inference_mode():
            features = self.frontend(audio.to(next(self.model.parameters()).device))
            embeddings = self.model.frame_embeddings(features).cpu()
        times = frame_timestamps_ms(embeddings.shape[1])
        return embeddings, np.broadcast_to(times, embeddings.shape[:2])
