"""OpenMIC-2018 stand-in: 10 s OGG Vorbis excerpts with partial, crowd-style labels in the official layout.

``audio/NNN/<sample_key>.ogg`` (stereo 44.1 kHz), ``openmic-2018-aggregated-labels.csv`` with relevance
values, ``partitions/split01_{train,test}.csv``, ``class-map.json``, and the dataset's precomputed features:
``vggish/NNN/<sample_key>.json`` (``time_points`` 0, 0.96, ... s and 10 x 128 uint8 ``features``) and
``openmic-2018.npz`` (``X`` (n, 10, 128) uint8, ``Y_true`` (n, 20) relevance with 0.5 where unannotated,
``Y_mask`` (n, 20) bool, ``sample_key``), in the real files' shapes and dtypes. The stand-in's "VGGish" is
not VGGish (no model weights here): each 0.96-s patch's 128-band log-mel spectrum at 16 kHz averaged over
time and quantised to uint8 (:func:`stand_in_vggish`), features that carry the instruments' timbre. Each clip sounds 1-3 of the 20
instruments; its label rows cover the sounding ones (relevance 0.6-1.0) and 1-3 silent ones (relevance
0-0.3), but a sounding instrument goes unannotated with probability 0.25, so the label mask matters as in
the real data. ``full`` has the real split sizes (14,915 / 5,085).

Keys are ``<track>_<start>`` as in the real data: every excerpt comes from its own Free Music Archive track
(the loader's group), drawn without replacement from ids 1-155,320, and no track is in both partitions, like
the official split01 (14,915 + 5,085 keys of 20,000 distinct tracks, ids 46-155,311; checked on the full
partition files in ``shared/data/real``). ``<start>`` is a multiple of 3,840 as the real ones are.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from irbench.store.atomic import atomic_path, atomic_write_text
from irbench.synth import music
from irbench.synth.base import StandInGenerator
from irbench.synth.music import KIT, Voice
from irbench.synth.render import mix, render
from irbench.tasks.openmic import CLASS_MAP, LABELS, LABELS_FILE, PARTITIONS, audio_path, read_vggish

SAMPLE_RATE = 44_100
SECONDS = 10.0
VOICES: dict[str, Voice] = {
    "accordion": Voice(21, 48, 79, True), "banjo": Voice(105, 48, 76), "bass": Voice(33, 28, 52),
    "cello": Voice(42, 36, 67), "clarinet": Voice(71, 50, 84), "cymbals": Voice(0, drums=music.CYMBALS),
    "drums": KIT, "flute": Voice(73, 60, 93), "guitar": Voice(25, 40, 76, True),
    "mallet_percussion": Voice(12, 53, 89), "mandolin": Voice(25, 67, 93), "organ": Voice(19, 36, 84, True),
    "piano": Voice(0, 36, 96, True), "saxophone": Voice(65, 44, 76), "synthesizer": Voice(81, 48, 84),
    "trombone": Voice(57, 40, 72), "trumpet": Voice(56, 55, 82), "ukulele": Voice(24, 60, 81, True),
    "violin": Voice(40, 55, 93), "voice": Voice(53, 48, 79),
}
SPLIT_SIZES = {"micro": (12, 6), "tiny": (60, 20), "small": (400, 120), "full": (14915, 5085)}
MAX_TRACK_ID = 155_320  # FMA track ids of the real keys reach 155,311
VGGISH_RATE, VGGISH_HOP_SECONDS, VGGISH_FRAMES, VGGISH_SIZE = 16_000, 0.96, 10, 128
NPZ = "openmic-2018.npz"


def vggish_path(data_home: Path, sample_key: str) -> Path:
    """``vggish/NNN/<sample_key>.json``, the dataset's per-clip VGGish features."""
    return data_home / "vggish" / sample_key[:3] / f"{sample_key}.json"


def stand_in_vggish(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """The stand-in's "VGGish" of mono ``audio`` ``(samples,)`` at ``sample_rate`` Hz: ``(10, 128)`` uint8, each
    row one 0.96-s patch's 128-band log-mel power (librosa, 16 kHz, n_fft 400, hop 160, 125-7500 Hz, VGGish's
    analysis band) averaged over the patch, mapped from [-8, 2] log10 units to 0-255."""
    import librosa
    import soxr

    mono = soxr.resample(np.asarray(audio, dtype=np.float32), sample_rate, VGGISH_RATE)
    patch = int(VGGISH_HOP_SECONDS * VGGISH_RATE)
    mono = np.pad(mono, (0, max(0, patch * VGGISH_FRAMES - len(mono))))[:patch * VGGISH_FRAMES]
    mel = librosa.feature.melspectrogram(y=mono, sr=VGGISH_RATE, n_fft=400, hop_length=160, n_mels=VGGISH_SIZE,
                                         fmin=125.0, fmax=7500.0, center=False)
    frames_per_patch = mel.shape[1] // VGGISH_FRAMES
    pooled = np.log10(mel[:, :frames_per_patch * VGGISH_FRAMES] + 1e-8)
    pooled = pooled.reshape(VGGISH_SIZE, VGGISH_FRAMES, frames_per_patch).mean(axis=2).T
    return np.clip(np.round((pooled + 8.0) * 25.5), 0, 255).astype(np.uint8)


def write_npz(plans: list[ExcerptPlan], out: Path) -> None:
    """``openmic-2018.npz`` from the clips' VGGish files and label rows, keys in ``sample_key`` order as the real
    file (``X`` uint8, ``Y_true`` float32 with 0.5 where unannotated, ``Y_mask`` bool, ``sample_key`` str)."""
    ordered = sorted(plans, key=lambda p: p.sample_key)
    features = np.stack([read_vggish(vggish_path(out, p.sample_key))[1] for p in ordered])
    truth = np.full((len(ordered), len(LABELS)), 0.5, dtype=np.float32)
    mask = np.zeros((len(ordered), len(LABELS)), dtype=bool)
    for row, plan in enumerate(ordered):
        for instrument, relevance in plan.relevance:
            truth[row, LABELS.index(instrument)] = relevance
            mask[row, LABELS.index(instrument)] = True
    with atomic_path(out / NPZ) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, X=features, Y_true=truth, Y_mask=mask,
                     sample_key=np.array([p.sample_key for p in ordered]))


@dataclass(frozen=True)
class ExcerptPlan:
    """One excerpt: key, split, sounding instruments and annotated relevances."""

    sample_key: str
    split: str
    sounding: tuple[str, ...]
    relevance: tuple[tuple[str, float], ...]
    index: int
    track: int  # the FMA track (the key's first part), one excerpt per track


class OpenMicStandIn(StandInGenerator):
    """Writes an OpenMIC-2018 stand-in; see the module docstring."""

    dataset = "openmic"
    real_data_probe = LABELS_FILE
    layout = 3  # 3: with vggish/ and openmic-2018.npz; 2: one excerpt per track, tracks split-disjoint

    def plan(self, scale: str) -> list[ExcerptPlan]:
        """Keys ``TTTTTT_SSSS`` (one excerpt per FMA-like track, tracks distinct over both splits, keys sorted
        within a split), instruments and label rows."""
        rng = np.random.default_rng([self.seed, 0])
        sizes = SPLIT_SIZES[scale]
        tracks = (rng.choice(MAX_TRACK_ID, size=sum(sizes), replace=False) + 1).tolist()
        plans: list[ExcerptPlan] = []
        for split, first, count in zip(("train", "test"), (0, sizes[0]), sizes):
            for track in sorted(tracks[first:first + count]):
                key = f"{track:06d}_{int(rng.integers(0, 32)) * 3840}"
                drawn = rng.choice(LABELS, size=int(rng.integers(1, 4)), replace=False)
                sounding = tuple(sorted(str(x) for x in drawn))
                silent = [x for x in LABELS if x not in sounding]
                annotated = [(i, round(float(rng.uniform(0.6, 1.0)), 4)) for i in sounding if rng.random() >= 0.25]
                annotated += [(str(i), round(float(rng.uniform(0.0, 0.3)), 4))
                              for i in rng.choice(silent, size=int(rng.integers(1, 4)), replace=False)]
                plans.append(ExcerptPlan(key, split, sounding, tuple(sorted(annotated)), len(plans), track))
        return plans

    def render(self, plan: ExcerptPlan, out: Path) -> None:
        """One 10 s stereo OGG Vorbis excerpt."""
        path = audio_path(out, plan.sample_key)
        if path.exists():
            return
        rng = np.random.default_rng([self.seed, 1, plan.index])
        tempo = float(rng.uniform(70, 150))
        beat, root = 60 / tempo, int(rng.integers(0, 12))
        mode = music.MAJOR if rng.random() < 0.6 else music.MINOR
        n_samples = int(SECONDS * SAMPLE_RATE)
        parts = [render(music.song(music.perform(rng, VOICES[i], SECONDS, beat, root, mode), tempo),
                        self.soundfont, SAMPLE_RATE, n_samples) for i in plan.sounding]
        audio = mix(parts, [float(rng.uniform(-6, 0)) for _ in parts], peak=float(rng.uniform(0.3, 0.9)))
        with atomic_path(path) as temporary:
            soundfile.write(temporary, audio, SAMPLE_RATE, format="OGG", subtype="VORBIS")
        features = stand_in_vggish(audio.mean(axis=1) if audio.ndim == 2 else audio, SAMPLE_RATE)
        times = [round(VGGISH_HOP_SECONDS * i, 2) for i in range(len(features))]
        atomic_write_text(vggish_path(out, plan.sample_key),
                          json.dumps({"time_points": times, "features": features.tolist()}))

    def finish(self, plans: list[ExcerptPlan], out: Path) -> dict[str, int]:
        """Aggregated labels, split01 partitions and the class map."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["sample_key", "instrument", "relevance", "num_responses"])
        for plan in plans:
            for instrument, relevance in plan.relevance:
                writer.writerow([plan.sample_key, instrument, relevance, 3])
        atomic_write_text(out / LABELS_FILE, buffer.getvalue())
        for split, partition in PARTITIONS.items():
            atomic_write_text(out / partition, "".join(f"{p.sample_key}\n" for p in plans if p.split == split))
        atomic_write_text(out / CLASS_MAP, json.dumps({label: i for i, label in enumerate(LABELS)}))
        write_npz(plans, out)
        return {"n_train": sum(p.split == "train" for p in plans), "n_test": sum(p.split == "test" for p in plans)}
