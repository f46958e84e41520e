"""The embedder contract: a frozen audio model that turns clips into frame embeddings with timestamps.

An :class:`Embedder` is what "bring your own model" means in irbench: anything that maps mono audio at its
own sample rate to a sequence of ``D``-dimensional embeddings, each centred at a timestamp in milliseconds.
It follows the timestamp half of the HEAR 2021 API (``get_timestamp_embeddings``, hearbenchmark.com
``docs/hear-api.md``): HEAR modules become embedders through :mod:`irbench.embedders.hear`.

Subclasses declare what the record needs (``name``, ``version``, ``sample_rate``, ``embedding_size``,
``weights_sha256``) and implement :meth:`Embedder.compute`; callers use :meth:`Embedder.embed`, which checks
the audio going in and the arrays coming out, so a contract breach is named where it happens instead of
surfacing as a shape error in a probe.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from irbench.errors import IrbenchError

if TYPE_CHECKING:
    import torch

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class EmbedderError(IrbenchError):
    """An embedder cannot be built, or broke its contract (output of the wrong shape, NaN, ...); the message
    names the embedder and what was found."""


class EmbedderOutput(NamedTuple):
    """What :meth:`Embedder.embed` returns (a tuple: ``embeddings, timestamps_ms = embedder.embed(audio)``).

    embeddings: ``(batch, frames, D)`` float32, one row of ``frames`` embeddings per clip.
    timestamps_ms: ``(batch, frames)`` float64, the centre of each frame in milliseconds from the clip's
    first sample (HEAR 2021: "centered timestamps in milliseconds").
    """

    embeddings: np.ndarray
    timestamps_ms: np.ndarray


def to_numpy(value: Any) -> np.ndarray:
    """A torch tensor (any device, with or without grad) or array-like as a NumPy array."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return value.numpy()
    return np.asarray(value)


def audio_batch(audio: Any, owner: str = "embedder") -> torch.Tensor:
    """``audio`` as the float32 ``(batch, samples)`` torch tensor that :meth:`Embedder.compute` receives.

    Accepts a torch tensor (kept on its device) or a NumPy array of any floating dtype (cast to float32).

    Raises
    ------
    ValueError
        Not 2-D ``(batch, samples)``, empty, not floating point, not finite, or outside ``[-1, 1]`` (the
        HEAR 2021 range: clip or normalise before embedding, e.g. after resampling overshoots).
    """
    import torch

    where = f"{owner}: audio"
    if isinstance(audio, torch.Tensor):
        tensor, floating = audio.detach(), audio.is_floating_point()
    else:
        array = np.asarray(audio)
        floating = np.issubdtype(array.dtype, np.floating)
        tensor = torch.from_numpy(np.require(array, np.float32 if floating else None, ["C", "W"]))
    if tensor.ndim != 2:
        raise ValueError(f"{where} must be (batch, samples), got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0 or tensor.shape[1] == 0:
        raise ValueError(f"{where} is empty: shape {tuple(tensor.shape)}")
    if not floating:
        raise ValueError(f"{where} must be floating point in [-1, 1], got {tensor.dtype}")
    tensor = tensor.to(torch.float32)
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{where} holds NaN or infinite samples")
    peak = float(tensor.abs().max())
    if peak > 1.0:
        raise ValueError(f"{where} must lie in [-1, 1], found max |sample| {peak:.4g}")
    return tensor.contiguous()


class Embedder(ABC):
    """A frozen audio model: clips in, frame embeddings and their timestamps out.

    Attributes (class or instance attributes; :func:`irbench.embedders.validate.run_embedder_checks`
    checks them)
    ----------
    name: the name it is found by (``"hear:my_module"``, or its ``irbench.embedders`` entry-point name).
    description: one line for listings.
    version: version of the model code (a package's ``__version__``); ``"unknown"`` when not declared.
    sample_rate: the rate in Hz that :meth:`embed` expects its audio at; the caller resamples.
    embedding_size: ``D``, the size of one frame embedding.
    weights_sha256: SHA-256 (hex) of the weights file the model was loaded from, or ``None`` when the weights
        come with the code (or there are none).

    Subclasses implement :meth:`compute`; nothing keeps state between calls, and a clip's embedding must not
    depend on the other clips of its batch (``irbench validate`` checks both).
    """

    name: str
    description: str = ""
    version: str = "unknown"
    sample_rate: int
    embedding_size: int
    weights_sha256: str | None = None

    @abstractmethod
    def compute(self, audio: torch.Tensor) -> tuple[Any, Any]:
        """Embed a checked batch: ``audio`` is float32 ``(batch, samples)`` in ``[-1, 1]`` at
        :attr:`sample_rate` Hz.

        Returns ``(embeddings, timestamps)`` as torch tensors or NumPy arrays: embeddings ``(batch, frames,
        D)``, timestamps ``(batch, frames)`` in milliseconds, each the centre of its frame."""

    def embed(self, audio: Any) -> EmbedderOutput:
        """Embed ``audio`` (torch tensor or NumPy array, ``(batch, samples)``, float in ``[-1, 1]``, at
        :attr:`sample_rate` Hz; clips of one batch share a length, so pad or trim them first).

        Returns :class:`EmbedderOutput`: embeddings ``(batch, frames, D)`` float32 and timestamps
        ``(batch, frames)`` float64 in milliseconds.

        Raises
        ------
        ValueError
            The audio is not ``(batch, samples)`` floating point, finite and in ``[-1, 1]``.
        EmbedderError
            :meth:`compute` returned the wrong shapes, no frames, a non-float embedding, a size other than
            :attr:`embedding_size`, or NaN/infinite values; the message names the embedder.
        """
        batch = audio_batch(audio, owner=self.name)
        embeddings, timestamps = self.compute(batch)
        return self.check_output(embeddings, timestamps, batch.shape[0])

    def check_output(self, embeddings: Any, timestamps: Any, batch: int) -> EmbedderOutput:
        """``compute``'s result as float32 embeddings and float64 timestamps, after checking shapes, dtype
        and finiteness against the contract; raises :class:`EmbedderError` naming the breach."""
        embeddings, timestamps = to_numpy(embeddings), to_numpy(timestamps)
        problem = _output_problem(embeddings, timestamps, batch, self.embedding_size)
        if problem:
            raise EmbedderError(f"embedder {self.name!r}: {problem}")
        return EmbedderOutput(embeddings.astype(np.float32, copy=False), timestamps.astype(np.float64))

    def describe(self) -> dict[str, Any]:
        """What a record says about this embedder: name, version, sample rate (Hz), size ``D``, weights."""
        return {"name": self.name, "version": self.version, "sample_rate": self.sample_rate,
                "embedding_size": self.embedding_size, "weights_sha256": self.weights_sha256}


def _output_problem(embeddings: np.ndarray, timestamps: np.ndarray, batch: int, size: int) -> str | None:
    """What is wrong with a computed ``(embeddings, timestamps)`` pair, or ``None``."""
    if embeddings.ndim != 3:
        return f"embeddings must be (batch, frames, D), got shape {embeddings.shape}"
    if embeddings.shape[0] != batch:
        return f"a batch of {batch} clips gave {embeddings.shape[0]} rows of embeddings"
    if embeddings.shape[1] == 0:
        return "returned no frames"
    if embeddings.shape[2] != size:
        return f"embeddings have D = {embeddings.shape[2]}, but embedding_size is {size}"
    if timestamps.shape != embeddings.shape[:2]:
        return f"timestamps must be (batch, frames) = {embeddings.shape[:2]}, got shape {timestamps.shape}"
    if not np.issubdtype(embeddings.dtype, np.floating):
        return f"embeddings must be floating point, got {embeddings.dtype}"
    if not np.issubdtype(timestamps.dtype, np.number):
        return f"timestamps must be numbers of milliseconds, got {timestamps.dtype}"
    bad = sorted({int(i) for i in np.argwhere(~np.isfinite(embeddings))[:, 0]})
    if bad:
        return f"NaN or infinite embeddings for clip(s) {', '.join(map(str, bad[:5]))} of the batch"
    if not np.isfinite(timestamps).all():
        return "NaN or infinite timestamps"
    return None
