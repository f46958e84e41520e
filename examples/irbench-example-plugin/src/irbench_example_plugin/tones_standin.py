"""The tiny-tones stand-in: the same layout and format as the release, rendered from a seeded generator.

Named in the task's card (``stand_in="irbench_example_plugin.tones_standin:TinyTonesStandIn"``), so
``irbench data synth tiny-tones --out DIR`` writes it; irbench marks the folder as a stand-in. Each clip is a
square or sawtooth wave at a random period and level with a little noise, 8 kHz mono 16-bit, 1 s.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from irbench.store.atomic import atomic_path, atomic_write_text
from irbench.synth.base import StandInGenerator
from irbench_example_plugin.tones import FRAMES, LABELS, LABELS_FILE, SAMPLE_RATE, SPLITS, audio_name

SCALES = {"tiny": SPLITS, "small": {split: 5 * count for split, count in SPLITS.items()}, "full": SPLITS}


@dataclass(frozen=True)
class TonePlan:
    """One clip: its file, split and label; ``index`` seeds its random generator."""

    name: str
    split: str
    label: str
    index: int


class TinyTonesStandIn(StandInGenerator):
    """Writes a tiny-tones stand-in; see the module docstring."""

    dataset = "tiny-tones"
    real_data_probe = LABELS_FILE

    def plan(self, scale: str) -> list[TonePlan]:
        """Every clip of ``scale``, labels alternating within each split."""
        plans: list[TonePlan] = []
        for split, count in SCALES[scale].items():
            for number in range(count):
                plans.append(TonePlan(audio_name(split, number), split, LABELS[number % len(LABELS)], len(plans)))
        return plans

    def render(self, plan: TonePlan, out: Path) -> None:
        """One clip: the wave shape at a random period and level, plus noise 30 dB lower."""
        path = out / plan.name
        if path.exists():
            return
        rng = np.random.default_rng([self.seed, 1, plan.index])
        period = int(rng.integers(12, 80))
        phase = (np.arange(FRAMES) % period) / period
        wave = np.where(phase < 0.5, 1.0, -1.0) if plan.label == "square" else 2.0 * phase - 1.0
        audio = float(rng.uniform(0.2, 0.8)) * wave + 0.02 * rng.standard_normal(FRAMES)
        with atomic_path(path) as temporary:
            soundfile.write(temporary, np.clip(audio, -1, 1), SAMPLE_RATE, subtype="PCM_16", format="WAV")

    def finish(self, plans: list[TonePlan], out: Path) -> dict[str, int]:
        """``labels.csv`` in the release's format."""
        buffer = io.StringIO()
        buffer.write("file,split,label\n")
        for plan in plans:
            buffer.write(f"{plan.name},{plan.split},{plan.label}\n")
        atomic_write_text(out / LABELS_FILE, buffer.getvalue())
        return {"n_train": sum(p.split == "train" for p in plans), "n_test": sum(p.split == "test" for p in plans)}
