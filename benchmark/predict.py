"""Predictions on a user's own audio from a finished run: its best checkpoint and its front end.

Any file soundfile reads (WAV, FLAC, OGG, ...; librosa/audioread for the rest, e.g. MP3), any sample rate,
mono or stereo, any length: decoded like the training data (channel mean, soxr resampling) and streamed in
bounded memory (:mod:`irbench.streaming`), cut into the model's windows covering the whole file (the last
one ends at the file's end; a file shorter than one window is padded with silence, and the result says
so), scored per window, and aggregated for the whole file with the run's own rule and threshold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch

from irbench import __version__
from irbench.audio import load_audio
from irbench.baselines import get_baseline
from irbench.baselines.base import Baseline, ModelSpec
from irbench.errors import AudioDecodeError, IrbenchError
from irbench.evaluation.aggregation import aggregate
from irbench.features import FRONTENDS
from irbench.records import RunRecord, read_record
from irbench.streaming import quiet_native_stderr, stream_features
from irbench.tasks import get_task
from irbench.training import predict as predict_windows


@dataclass
class LoadedRun:
    """A run ready to predict: its record, baseline, front end, model, class labels and their names."""

    record: RunRecord
    baseline: Baseline
    frontend: torch.nn.Module
    model: torch.nn.Module
    labels: tuple[str, ...]
    label_names: tuple[str, ...] = ()


@dataclass
class FilePrediction:
    """Predictions for one file: ``overall`` ``(n_classes,)`` whole-file scores (the run's aggregation),
    ``windows`` ``(start s, end s, probabilities (n_classes,))`` covering the file, ``decision`` ``(n_classes,)``
    bool under the run's threshold, ``padded`` when the file is shorter than one window (``window_seconds``)."""

    path: Path
    overall: np.ndarray
    windows: list[tuple[float, float, np.ndarray]]
    decision: np.ndarray
    padded: bool = False
    window_seconds: float = 0.0

    def most_present(self, column: int) -> tuple[float, float]:
        """``(start, end)`` seconds of the window where class ``column`` scores highest."""
        best = max(range(len(self.windows)), key=lambda i: self.windows[i][2][column])
        return self.windows[best][0], self.windows[best][1]


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
    described = record.config.baseline
    frontend_name = described.frontend
    if frontend_name is not None and frontend_name != baseline.frontend_name:
        baseline.use_frontend(frontend_name)
    current = baseline.frontend_config.model_dump() if baseline.frontend_config is not None else None
    if described.frontend_config != current or described.input_frames != baseline.input_frames:
        raise IrbenchError(
            f"{record_path} was made by irbench {record.provenance.irbench_version} with front end "
            f"{frontend_name} {described.frontend_config} and {described.input_frames}-frame windows; "
            f"irbench {__version__}'s {record.baseline} computes different features, so its checkpoint cannot "
            "be used here"
        )
    try:
        payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        raise IrbenchError(f"cannot read checkpoint {checkpoint}: {error}") from error
    task = get_task(record.task)
    labels = task.metadata.labels
    frontend = FRONTENDS.get(frontend_name)(baseline.frontend_config) if frontend_name is not None else None
    recorded = record.config.training
    config = type(baseline.training).model_validate({**recorded, **({"checkpoint": None} if "checkpoint" in recorded
                                                                     else {})})
    spec = _spec(payload, task, baseline, frontend)
    model = baseline.assemble(spec, config).module
    try:
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError) as error:
        raise IrbenchError(f"checkpoint {checkpoint} does not fit {record.baseline}: {error}") from error
    return LoadedRun(record, baseline, frontend, model.eval(), labels, task.metadata.label_names)


def _spec(payload: dict, task, baseline: Baseline, frontend) -> ModelSpec:
    """The model's ``ModelSpec`` as it was trained: stored in the checkpoint since record schema 2 (input
    shape, class priors, feature statistics); rebuilt with neutral statistics for older checkpoints (their
    weights hold what matters; a baseline that standardises its input stores its statistics as buffers)."""
    labels = task.metadata.labels
    stored = payload.get("spec")
    if isinstance(stored, dict):
        return ModelSpec(
            len(labels), task.metadata.train_prediction_type, tuple(stored["input_shape"]),
            np.asarray(stored["class_priors"], dtype=np.float32), np.asarray(stored["feature_mean"], np.float32),
            np.asarray(stored["feature_std"], np.float32))
    n_features = _n_features(frontend) if frontend is not None else 1
    return ModelSpec(len(labels), task.metadata.train_prediction_type, (n_features, baseline.input_frames),
                     np.full(len(labels), 1 / len(labels)), np.zeros(n_features), np.ones(n_features))


def _n_features(frontend) -> int:
    """Feature rows the front end gives for one second of silence."""
    silence = torch.zeros(int(frontend.sample_rate))
    return int(frontend(silence).shape[0])


def _whole_file(path: Path, sample_rate: int) -> np.ndarray:
    """``(samples,)`` mono float32 of a whole file at ``sample_rate``: soundfile, else librosa/audioread for
    formats libsndfile lacks (MP3 on old builds, M4A). Raises ``AudioDecodeError`` naming the problem."""
    try:
        with quiet_native_stderr():
            return load_audio(path, sample_rate)
    except AudioDecodeError as first:
        try:
            import warnings

            import librosa

            with warnings.catch_warnings(), quiet_native_stderr():  # its warnings say what the error says
                warnings.simplefilter("ignore")
                audio, _ = librosa.load(str(path), sr=sample_rate, mono=True)
        except Exception:
            raise AudioDecodeError(path, "not a readable audio file (neither libsndfile nor audioread "
                                   "recognises its format)") from first
        if audio.size == 0:
            raise AudioDecodeError(path, "not a readable audio file (it holds no audio samples)") from None
        return audio.astype(np.float32)


def _feature_blocks(run: LoadedRun, path: Path) -> Iterator[np.ndarray]:
    """Feature blocks ``(n_features, frames_i)`` of the file: streamed in bounded memory when the front end's
    frames are local and soundfile reads the format, else computed from the whole decoded file."""
    if run.frontend.frame_local:
        try:
            yield from stream_features(run.frontend, path)
            return
        except AudioDecodeError:
            pass  # a format for librosa/audioread: decoded whole below
    audio = _whole_file(path, run.frontend.sample_rate)
    with torch.inference_mode():
        features = run.frontend(torch.from_numpy(audio))
    yield features.numpy() if isinstance(features, torch.Tensor) else np.asarray(features)


def _windows(blocks: Iterator[np.ndarray], window: int, pad_value: float) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(first frame, valid frames, window (n_features, window))`` covering the whole file: consecutive
    windows, then one more ending at the file's last frame when a remainder is left (it overlaps the one
    before), or a single padded window when the file is shorter than one window."""
    held = None  # frames not yet windowed, plus the last full window's frames for a final overlapping one
    first_held = 0
    for block in blocks:
        held = block if held is None else np.concatenate([held, block], axis=1)
        while held.shape[1] - window >= window:  # keep at least one window for the end
            yield first_held, window, np.ascontiguousarray(held[:, :window])
            held, first_held = held[:, window:], first_held + window
    if held is None:
        return
    frames = held.shape[1]
    if frames < window:
        padded = np.full((held.shape[0], window), pad_value, dtype=np.float32)
        padded[:, :frames] = held
        yield first_held, frames, padded
        return
    yield first_held, window, np.ascontiguousarray(held[:, :window])
    if frames > window:
        yield first_held + frames - window, window, np.ascontiguousarray(held[:, frames - window:])


def predict_file(run: LoadedRun, path: Path, batch_size: int = 16) -> FilePrediction:
    """Window and whole-file probabilities for one audio file, in bounded memory.

    Windows cover the whole file (the last one ends at the file's end); the whole-file score aggregates them
    with the run's rule (IRMAS: S2, sum normalised by its maximum; others: the mean) and the decision applies
    the run's threshold, chosen on validation (arg-max for single-label tasks).

    Raises ``AudioDecodeError`` naming the file: "no such file", or "not a readable audio file".
    """
    path = Path(path)
    if not path.exists():
        raise AudioDecodeError(path, "no such file")
    if not path.is_file():
        raise AudioDecodeError(path, "not a file")
    task = get_task(run.record.task)
    prediction_type = task.metadata.train_prediction_type
    if run.frontend is None:  # a model that reads no feature: one window over the whole file
        return _featureless(run, path, prediction_type)
    fps = run.frontend.frames_per_second
    spans, scores, batch, valid_frames = [], [], [], []
    for first, valid, window in _windows(_feature_blocks(run, path), run.baseline.input_frames,
                                         run.frontend.pad_value):
        spans.append((first / fps, (first + valid) / fps))
        valid_frames.append(valid)
        batch.append(window)
        if len(batch) == batch_size:
            scores.append(predict_windows(run.model, np.stack(batch), prediction_type, "cpu", batch_size))
            batch = []
    if batch:
        scores.append(predict_windows(run.model, np.stack(batch), prediction_type, "cpu", batch_size))
    probabilities = np.concatenate(scores)
    rule = run.record.threshold
    overall = aggregate(rule.aggregation, [probabilities])[0]
    decision = rule.decide(overall)
    return FilePrediction(path, overall, [(a, b, p) for (a, b), p in zip(spans, probabilities)], decision,
                          padded=valid_frames[0] < run.baseline.input_frames,
                          window_seconds=run.baseline.input_frames / fps)


def _featureless(run: LoadedRun, path: Path, prediction_type) -> FilePrediction:
    """The constant predictor on a file: its priors over one window spanning the file (read from the header)."""
    try:
        with quiet_native_stderr():
            seconds = soundfile.info(str(path)).duration
    except (soundfile.LibsndfileError, RuntimeError) as error:
        raise AudioDecodeError(path, "not a readable audio file (libsndfile does not recognise its format)") \
            from error
    probabilities = predict_windows(run.model, np.zeros((1, 1, run.baseline.input_frames), np.float32),
                                    prediction_type, "cpu", 1)[0]
    decision = run.record.threshold.decide(probabilities)
    return FilePrediction(path, probabilities, [(0.0, seconds, probabilities)], decision, False, seconds)
