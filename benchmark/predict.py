"""Predictions on a user's own audio from a finished run: its best checkpoint and its front end.

Any file soundfile reads (WAV, FLAC, OGG, ...; librosa/audioread for the rest, e.g. MP3), any sample rate,
mono or stereo, any length: decoded like the training data (channel mean, soxr resampling), cut into the
model's non-overlapping windows (a clip shorter than one window is padded with silence), scored per window,
and averaged over windows for the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from irbench import __version__
from irbench.audio import load_audio
from irbench.baselines import get_baseline
from irbench.baselines.base import Baseline, ModelSpec
from irbench.errors import AudioDecodeError, IrbenchError
from irbench.evaluation.windows import non_overlapping_windows
from irbench.features import FRONTENDS
from irbench.records import RunRecord, read_record
from irbench.tasks import get_task
from irbench.training import predict as predict_windows


@dataclass
class LoadedRun:
    """A run ready to predict: its record, baseline, front end, model, class labels and device."""

    record: RunRecord
    baseline: Baseline
    frontend: torch.nn.Module
    model: torch.nn.Module
    labels: tuple[str, ...]


@dataclass
class FilePrediction:
    """Probabilities for one file: ``overall`` ``(n_classes,)`` and per window ``(start s, end s, (n_classes,))``."""

    path: Path
    overall: np.ndarray
    windows: list[tuple[float, float, np.ndarray]]


def load_run(record_path: Path) -> LoadedRun:
    """Rebuild a run's model from its record and checkpoint.

    Raises
    ------
    IrbenchError: the checkpoint is missing or unreadable, or the record's front end (name, configuration)
        differs from what this irbench version computes for its baseline, so its features would not match.
    """
    record = read_record(record_path)
    checkpoint = Path(record_path).with_name(record.checkpoint_file or "")
    if not record.checkpoint_file or not checkpoint.is_file():
        raise IrbenchError(f"the checkpoint of {record_path} is missing (expected {checkpoint}); re-run "
                           f"`irbench run --task {record.task} --baseline {record.baseline} --overwrite`")
    baseline = get_baseline(record.baseline)
    described = record.config["baseline"]
    frontend_name = described["frontend"]
    if frontend_name != baseline.frontend_name:
        baseline.use_frontend(frontend_name)
    if described["frontend_config"] != baseline.frontend_config.model_dump() or \
            described["input_frames"] != baseline.input_frames:
        raise IrbenchError(
            f"{record_path} was made by irbench {record.provenance.irbench_version} with front end "
            f"{frontend_name} {described['frontend_config']} and {described['input_frames']}-frame windows; "
            f"irbench {__version__}'s {record.baseline} computes different features, so its checkpoint cannot "
            "be used here"
        )
    try:
        payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        raise IrbenchError(f"cannot read checkpoint {checkpoint}: {error}") from error
    task = get_task(record.task)
    labels = task.metadata.labels
    frontend = FRONTENDS.get(frontend_name)(baseline.frontend_config)
    config = type(baseline.training).model_validate({**record.config["training"], **(
        {"checkpoint": None} if "checkpoint" in record.config["training"] else {})})
    n_features = _n_features(frontend)
    spec = ModelSpec(len(labels), task.metadata.train_prediction_type, (n_features, baseline.input_frames),
                     np.full(len(labels), 1 / len(labels)), np.zeros(n_features), np.ones(n_features))
    model = baseline.build(spec, config)
    try:
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError) as error:
        raise IrbenchError(f"checkpoint {checkpoint} does not fit {record.baseline}: {error}") from error
    return LoadedRun(record, baseline, frontend, model.eval(), labels)


def _n_features(frontend) -> int:
    """Feature rows the front end gives for one second of silence."""
    silence = torch.zeros(int(frontend.sample_rate))
    return int(frontend(silence).shape[0])


def _decode(path: Path, sample_rate: int) -> np.ndarray:
    try:
        return load_audio(path, sample_rate)
    except AudioDecodeError as first:
        if not Path(path).is_file():
            raise
        try:  # formats libsndfile lacks (MP3 on old builds, M4A) go through librosa/audioread
            import warnings

            import librosa

            with warnings.catch_warnings():  # its fallback warnings say what the error below says
                warnings.simplefilter("ignore")
                audio, _ = librosa.load(str(path), sr=sample_rate, mono=True)
        except Exception:
            raise first from None
        if audio.size == 0:
            raise first
        return audio.astype(np.float32)


def predict_file(run: LoadedRun, path: Path) -> FilePrediction:
    """Window and whole-file probabilities for one audio file.

    Raises ``AudioDecodeError`` naming the file when it cannot be read.
    """
    audio = _decode(path, run.frontend.sample_rate)
    with torch.inference_mode():
        features = run.frontend(torch.from_numpy(audio))
    features = features.numpy() if isinstance(features, torch.Tensor) else np.asarray(features)
    windows = non_overlapping_windows(features, run.baseline.input_frames, run.frontend.pad_value)
    prediction_type = get_task(run.record.task).metadata.train_prediction_type
    probabilities = predict_windows(run.model, windows, prediction_type, "cpu", batch_size=16)
    seconds = run.baseline.input_frames / run.frontend.frames_per_second
    duration = len(audio) / run.frontend.sample_rate
    spans = [(i * seconds, min((i + 1) * seconds, duration)) for i in range(len(windows))]
    return FilePrediction(Path(path), probabilities.mean(axis=0),
                          [(start, end, p) for (start, end), p in zip(spans, probabilities)])
