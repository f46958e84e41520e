"""Predictions on a user's own audio from a finished run, by the run's own protocol.

Any file soundfile reads (WAV, FLAC, OGG, ...; librosa/audioread for the rest, e.g. MP3), any sample rate,
mono or stereo, any length, is decoded like the training data (channel mean, soxr resampling) and then
treated as one of the task's test files, with the code evaluation uses:

- windows: the task's ``metadata.window_layout`` from :data:`irbench.windowing.layouts.LAYOUTS`, placed on
  the feature frame count known from the audio header before any feature is computed, then cut from the
  streamed features (:class:`irbench.streaming.WindowCutter`) in bounded memory. ``non-overlapping`` drops
  a trailing remainder shorter than a window, as evaluation does; a file shorter than one window gets one
  window padded with silence, and the result says so.
- clips: the whole file for tasks whose test clips are whole files (IRMAS, Medley-solos-DB, OpenMIC-2018).
  MusicNet's test clips are the consecutive 3-s segments of a recording (a remainder is dropped): predict
  scores each segment as evaluation does, and the whole-file row is the mean of the segments' scores, an
  instrument present when it is present in at least one segment.
- scores: the model's window probabilities, aggregated per clip by :func:`irbench.evaluation.aggregation.
  aggregate`: ``probability`` is S1, the mean window probability; ``score`` is the run's decision score
  (S2 for IRMAS: the sum over windows divided by its maximum, so the top instrument is always 1 and it is
  no probability); the decision applies the run's :class:`~irbench.store.record_parts.DecisionRule`.
- silence: a file whose loudest 400-ms block is under :data:`irbench.streaming.SILENCE_GATE_DBFS` holds
  "no sound": no instrument is present in it, whatever the scores.

For a test file of the run's own dataset, ``score`` equals the evaluated score in the run's predictions
file (``tests/test_predict_protocol.py`` checks every test clip of the stand-ins).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile
import torch
from pydantic import ValidationError

from irbench import __version__
from irbench.data.audio import check_finite, load_audio
from irbench.baselines.base import Baseline, ModelSpec
from irbench.errors import AudioDecodeError, IrbenchError
from irbench.evaluation.aggregation import aggregate
from irbench.features import FRONTENDS
from irbench.features.cache import AudioDuration, CachedFeatures
from irbench.store.records import RunRecord, read_record
from irbench.store.recorded_baseline import recorded_baseline
from irbench.streaming import SILENCE_GATE_DBFS, LevelMeter, WindowCutter, quiet_native_stderr, \
    resampled_blocks, stream_features
from irbench.task import Clip, Task
from irbench.tasks import get_task
from irbench.run.training import predict as predict_windows
from irbench.windowing.index import clip_frames
from irbench.windowing.layouts import place_windows

MAX_BATCH_SIZE = 16
"""Most windows scored at once: the evaluation's batch size up to this (a batch's activations are most of
predict's memory: VGG's 64 windows take about 70 MB more than 16; its window probabilities differ by about
2e-8 between batches of 1 and 64)."""


@dataclass
class LoadedRun:
    """A run ready to predict: its record, task, baseline, front end (``None`` for a model that reads no
    feature), model, class labels and their names, and windows scored at once (its evaluation's batch size,
    at most :data:`MAX_BATCH_SIZE`)."""

    record: RunRecord
    baseline: Baseline
    frontend: torch.nn.Module | None
    model: torch.nn.Module
    labels: tuple[str, ...]
    label_names: tuple[str, ...] = ()
    task: Task | None = None
    batch_size: int = MAX_BATCH_SIZE


@dataclass
class ClipPrediction:
    """One clip as the protocol scores it: the whole file, or one segment of it (MusicNet).

    start, end: seconds in the file. probability: ``(n_classes,)`` S1, the mean window probability.
    score: ``(n_classes,)`` the run's decision score (its aggregation; equals ``probability`` for ``s1``).
    decision: ``(n_classes,)`` bool, the run's rule applied to ``score`` (all false for "no sound").
    windows: model windows in the clip."""

    start: float
    end: float
    probability: np.ndarray
    score: np.ndarray
    decision: np.ndarray
    windows: int


@dataclass
class FilePrediction:
    """Predictions for one file.

    probability, score, decision: ``(n_classes,)`` whole-file S1 probability, decision score under the
    run's aggregation, and bool decision (see :class:`ClipPrediction`; for a segmented task the mean of the
    segments' values, present when present in any segment). windows: ``(start s, end s, probabilities
    (n_classes,))`` per model window, in time order. clips: the clips the protocol scored (one for a whole
    file). segmented: the task's test clips are segments of a file. aggregation: the run's aggregation name.
    level_dbfs: the loudest 400-ms block's RMS level (``-inf`` for digital silence); sound: whether it
    reaches :data:`~irbench.streaming.SILENCE_GATE_DBFS`. seconds: the file's duration. window_seconds: one
    window's length. padded: a window reaches past its clip (the file is shorter than one window).
    """

    path: Path
    probability: np.ndarray
    score: np.ndarray
    decision: np.ndarray
    windows: list[tuple[float, float, np.ndarray]]
    clips: list[ClipPrediction] = field(default_factory=list)
    segmented: bool = False
    aggregation: str = "s1"
    level_dbfs: float = -math.inf
    sound: bool = True
    seconds: float = 0.0
    window_seconds: float = 0.0
    padded: bool = False

    def most_present(self, column: int) -> tuple[float, float]:
        """``(start, end)`` seconds of the window where class ``column`` scores highest."""
        best = max(range(len(self.windows)), key=lambda i: self.windows[i][2][column])
        return self.windows[best][0], self.windows[best][1]

    @property
    def scored_seconds(self) -> float:
        """Seconds of the file that some window scored (the layout may drop a trailing remainder)."""
        return max((end for _, end, _ in self.windows), default=0.0)


def load_run(record_path: Path, baseline: Baseline | None = None, task: Task | None = None) -> LoadedRun:
    """Rebuild a run's model from its record (``seed-<n>.json``) and the checkpoint beside it.

    The baseline: ``baseline`` when given (its ``name`` must be the record's), else the one registered under
    the record's name, else the class the record names (``config.baseline.python_class``), imported by
    :func:`irbench.store.recorded_baseline.recorded_baseline`. Importing a module runs its code: it happens only for
    the one record given here (the record a user points ``irbench predict`` at), never while records are
    merely read (``irbench report``, :func:`irbench.load_results`). ``task``: a ``Task`` instance instead of
    the one registered under the record's task name.

    Raises
    ------
    IrbenchError: the checkpoint is missing or unreadable; the record's front end (name, configuration)
        differs from what this irbench version computes for its baseline; the baseline is not registered and
        its class cannot be had (the message says which module to import or put on ``PYTHONPATH``).
    DatasetLayoutError: the record is not a valid run record (names the file).
    UnknownNameError: the record's task is not registered and no ``task`` was given.
    """
    record = read_record(record_path)
    checkpoint = Path(record_path).with_name(record.checkpoint_file or "no-checkpoint")
    if not record.checkpoint_file or not checkpoint.is_file():
        raise IrbenchError(f"the checkpoint of {record_path} is missing (expected {checkpoint}); re-run "
                           f"`irbench run --task {record.task} --baseline {record.baseline} --overwrite`")
    if baseline is not None and baseline.name != record.baseline:
        raise IrbenchError(f"{record_path} is a run of baseline {record.baseline!r}, not of {baseline.name!r}")
    baseline = baseline if baseline is not None else recorded_baseline(record, Path(record_path))
    recorded = record.config.training
    try:
        config = type(baseline.training).model_validate({**recorded, **({"checkpoint": None} if "checkpoint" in
                                                                         recorded else {})})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "config.training"
        raise IrbenchError(f"{record_path}: config.training does not fit baseline {record.baseline!r}: {where}: "
                           f"{first['msg']} ({error.error_count()} problem(s))") from None
    baseline.run_device = str(record.config.device or "cpu")  # an embedder runs where it ran for the record
    baseline.configure(config)
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
    task = task if task is not None else get_task(record.task)
    labels = task.metadata.labels
    frontend = FRONTENDS.get(frontend_name)(baseline.frontend_config) if frontend_name is not None else None
    spec = _spec(payload, task, baseline, frontend)
    model = baseline.assemble(spec, config).module
    try:
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError) as error:
        raise IrbenchError(f"checkpoint {checkpoint} does not fit {record.baseline}: {error}") from error
    batch_size = min(int(getattr(config, "batch_size", MAX_BATCH_SIZE)), MAX_BATCH_SIZE)
    return LoadedRun(record, baseline, frontend, model.eval(), labels, task.metadata.label_names, task,
                     batch_size)


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
            np.asarray(stored["feature_std"], np.float32), task.metadata.name, tuple(labels))
    n_features = _n_features(frontend) if frontend is not None else 1
    return ModelSpec(len(labels), task.metadata.train_prediction_type, (n_features, baseline.input_frames),
                     np.full(len(labels), 1 / len(labels)), np.zeros(n_features), np.ones(n_features),
                     task.metadata.name, tuple(labels))


def _n_features(frontend) -> int:
    """Feature rows the front end gives for one second of silence."""
    silence = torch.zeros(int(frontend.sample_rate))
    return int(frontend(silence).shape[0])



def _whole_file(path: Path, sample_rate: int) -> np.ndarray:
    """``(samples,)`` mono float32 of a whole file at ``sample_rate``: soundfile, else librosa/audioread for
    formats libsndfile lacks (MP3 on old builds, M4A). Raises ``AudioDecodeError`` naming the problem."""
    try:
        with quiet_native_stderr():
            soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as first:  # a format libsndfile lacks: try audioread
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
        check_finite(path, audio)
        return audio.astype(np.float32)
    with quiet_native_stderr():  # libsndfile reads it: its rate, NaN and decoding errors stand as they are
        return load_audio(path, sample_rate)



@dataclass
class _Source:
    """A file's features as a stream: ``seconds`` long (header), ``frames`` feature frames expected,
    ``blocks(tap)`` the feature blocks (``tap`` sees the decoded audio at ``sample_rate`` Hz), on a grid of
    ``frames_per_second`` Hz with silence ``pad_value``; ``n_features`` ``None`` until a block says."""

    seconds: float
    frames: int
    blocks: Callable[[Callable[[np.ndarray], None]], Iterator[np.ndarray]]
    sample_rate: int
    frames_per_second: float
    pad_value: float
    n_features: int | None = None


def _header(path: Path) -> soundfile._SoundFileInfo | None:
    """The file's header by libsndfile, or ``None`` when it does not read the format."""
    try:
        with quiet_native_stderr():  # libmpg123 prints "Illegal Audio-MPEG-Header" for a non-audio file
            return soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError):
        return None


def _audio_only(path: Path, sample_rate: int, tap) -> Iterator[np.ndarray]:
    """No feature block: the decoded audio goes to ``tap`` only (a model that reads no feature)."""
    for block in resampled_blocks(path, sample_rate):
        tap(block)
    return iter(())


def _source(run: LoadedRun, path: Path) -> _Source:
    """How to stream the file's features, and how many frames the header says they will be.

    Streamed when the front end's frames are local and libsndfile reads the file (the frame count is
    ``1 + samples // hop`` of the resampled length); otherwise decoded whole first (MFCC, MP3 through
    audioread). Raises ``AudioDecodeError`` naming the file when nothing reads it."""
    frontend, header = run.frontend, _header(path)
    if frontend is None:  # the constant predictor: one window of padding per clip, as in evaluation
        if header is None:
            raise AudioDecodeError(path, "not a readable audio file (libsndfile does not recognise its format)")
        return _Source(header.duration, 0, lambda tap: _audio_only(path, header.samplerate, tap),
                       header.samplerate, 1.0, 0.0, 1)
    rate, hop = frontend.sample_rate, frontend.hop_length
    if frontend.frame_local and header is not None:
        samples = header.frames if header.samplerate == rate else round(header.frames * rate / header.samplerate)
        return _Source(header.duration, 1 + samples // hop,
                       lambda tap: stream_features(frontend, path, audio_tap=tap), rate,
                       frontend.frames_per_second, frontend.pad_value)
    audio = _whole_file(path, rate)
    with torch.inference_mode():
        features = frontend(torch.from_numpy(audio))
    features = features.numpy() if isinstance(features, torch.Tensor) else np.asarray(features)

    def blocks(tap):
        tap(audio)
        yield features

    seconds = header.duration if header is not None else len(audio) / rate  # the task reads the header too
    return _Source(seconds, features.shape[1], blocks, rate, frontend.frames_per_second, frontend.pad_value,
                   features.shape[0])


def _test_clips(task: Task, path: Path, seconds: float) -> tuple[list[Clip], bool]:
    """The clips the task's protocol would score if ``path`` were one of its test files
    (:meth:`irbench.task.Task.recording_clips`), and whether they are segments of it."""
    clips = list(task.recording_clips(path, seconds)) or [Clip(path.name, path, ())]
    return clips, any(clip.segment is not None for clip in clips)


def _plan(run: LoadedRun, clips: list[Clip], source: _Source, frames: int):
    """``starts``, ``valid`` and ``clip`` ``(n_windows,)`` int64 of the windows of ``clips`` on a file of
    ``frames`` frames: placed by the task's layout within each clip's frames, as the window index does."""
    entry = CachedFeatures(Path(), 0, frames, source.n_features or 1, AudioDuration(source.seconds, 0, 0), "")
    spans = [clip_frames(clip, entry, source.frames_per_second) for clip in clips]
    placed = [place_windows(run.task.metadata.window_layout, first, end, run.baseline.input_frames)
              for first, end in spans]
    starts = np.concatenate([s for s, _ in placed])
    valid = np.concatenate([v for _, v in placed])
    clip = np.repeat(np.arange(len(clips)), [len(s) for s, _ in placed])
    return starts, valid, clip


def _window_probabilities(run: LoadedRun, source: _Source, starts, valid, meter: LevelMeter,
                          batch_size: int) -> tuple[np.ndarray, int]:
    """``(n_windows, n_classes)`` float32 probabilities of the windows at ``starts``, and the frames the
    stream actually held; the decoded audio passes through ``meter``."""
    cutter = WindowCutter(starts, valid, run.baseline.input_frames, source.pad_value, source.n_features)
    prediction_type = run.task.metadata.train_prediction_type
    scores, batch = [], []

    def flush(final: bool = False) -> None:
        while len(batch) >= batch_size or (final and batch):
            chunk = np.stack(batch[:batch_size])
            del batch[:batch_size]
            scores.append(predict_windows(run.model, chunk, prediction_type, "cpu", batch_size))

    for block in source.blocks(meter):
        batch.extend(cutter.feed(block))
        flush()
    batch.extend(cutter.finish())
    flush(final=True)
    return np.concatenate(scores), cutter.frames


def predict_file(run: LoadedRun, path: Path, batch_size: int | None = None) -> FilePrediction:
    """Window, clip and whole-file predictions for one audio file by the run's protocol (module docstring).

    Parameters
    ----------
    run: from :func:`load_run`. path: the audio file. batch_size: windows scored at once (default
    ``run.batch_size``).

    Raises
    ------
    AudioDecodeError: naming the file: "no such file", "not a file", "not a readable audio file", or it
        holds no samples.
    IrbenchError: the file's length changed while it was read.
    """
    path = Path(path)
    if not path.exists():
        raise AudioDecodeError(path, "no such file")
    if not path.is_file():
        raise AudioDecodeError(path, "not a file")
    source = _source(run, path)
    clips, segmented = _test_clips(run.task, path, source.seconds)
    frames = source.frames
    for _ in range(2):  # a header may misstate the length (compressed formats): place again on the truth
        starts, valid, clip_of = _plan(run, clips, source, frames)
        meter = LevelMeter(source.sample_rate)
        probabilities, streamed = _window_probabilities(run, source, starts, valid, meter,
                                                        batch_size or run.batch_size)
        if streamed == frames:
            break
        frames = streamed
    else:
        raise IrbenchError(f"{path} changed length while it was read; predict it again once it is complete")
    rule = run.record.threshold
    per_clip = [probabilities[clip_of == i] for i in range(len(clips))]
    mean, score = aggregate("s1", per_clip), aggregate(rule.aggregation, per_clip)
    level = meter.level_dbfs
    sound = level >= SILENCE_GATE_DBFS
    decision = rule.decide(score) & sound
    fps, window = source.frames_per_second, run.baseline.input_frames
    seconds = [(c.segment or (0.0, source.seconds)) for c in clips]
    results = [ClipPrediction(*seconds[i], mean[i], score[i], decision[i], len(per_clip[i]))
               for i in range(len(clips))]
    if run.frontend is None:  # no frame grid: a window spans its clip
        spans_s = [seconds[i] for i in clip_of]
    else:
        spans_s = [(s / fps, (s + v) / fps) for s, v in zip(starts, valid)]
    return FilePrediction(
        path, mean.mean(axis=0), score.mean(axis=0), decision.any(axis=0),
        [(a, b, p) for (a, b), p in zip(spans_s, probabilities)], results, segmented, rule.aggregation, level,
        sound, source.seconds, window / fps if run.frontend is not None else seconds[0][1] - seconds[0][0],
        bool(run.frontend is not None and (valid < window).any()))
