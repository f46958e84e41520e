"""What every stand-in generator shares: planning, resumable parallel rendering, and the marker.

A generator plans every file up front from ``(scale, seed)``; each planned file is rendered from its own
random generator (``numpy.random.default_rng([seed, 1, index])``), written atomically and skipped when
present, so an interrupted synthesis resumes and the result does not depend on the number of workers.
Index files (CSVs, partitions) are written by ``finish`` after all audio, and the stand-in marker last.
The marker records the generator's ``layout`` version, so a folder planned by an older layout is refused,
never silently reused; :func:`apportion` splits a clip count over recordings in given proportions.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
from irbench import __version__
from irbench.store.atomic import atomic_write_text
from irbench.errors import IrbenchError
from irbench.run.parallel import parallel_map
from irbench.data.standin import STAND_IN_MARKER, read_stand_in_marker
from irbench.synth.render import default_soundfont, soundfont_sha256

IN_PROGRESS = ".irbench-synth-in-progress"  # present while a synthesis is unfinished (so it may resume)
UNVERSIONED_LAYOUT = 1  # the layout of markers written before layouts were versioned


def apportion(weights: Any, total: int, minimum: int = 1) -> list[int]:
    """Integers of at least ``minimum`` that sum to ``total``, proportional to ``weights``.

    Each share is ``floor(w * total / sum(weights))`` raised to ``minimum``; the shortfall (or excess) goes
    to the largest (smallest) fractional remainders, earliest first on ties. Weights that already sum to
    ``total`` come back unchanged, so a full-scale plan keeps the real sizes exactly.

    Parameters
    ----------
    weights: ``(n,)`` positive numbers (e.g. the real clips per recording).
    total: the sum wanted, at least ``minimum * n``.
    minimum: the smallest share.

    Raises
    ------
    ValueError: no weights, a weight not positive, or ``total < minimum * n``.
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or (w <= 0).any() or total < minimum * w.size:
        raise ValueError(f"cannot apportion {total} over {w.size} weights with minimum {minimum}")
    raw = w * total / w.sum()
    shares = np.maximum(minimum, np.floor(raw + 1e-9)).astype(int)
    while shares.sum() != total:
        remainder = raw - shares
        if shares.sum() < total:
            shares[int(np.argmax(remainder))] += 1
        else:
            remainder[shares <= minimum] = np.inf
            shares[int(np.argmin(remainder))] -= 1
    return [int(x) for x in shares]


class StandInGenerator(ABC):
    """A dataset's stand-in: subclasses set ``dataset``, ``scales`` and ``real_data_probe`` (a path that
    real data has, relative to the root), and implement ``plan``, ``render`` and ``finish``. ``layout`` is
    bumped whenever a plan changes (names, grouping, labels), so a folder of an older plan is refused."""

    dataset: str
    scales: tuple[str, ...] = ("micro", "tiny", "small", "full")
    real_data_probe: str
    layout: int = UNVERSIONED_LAYOUT

    @abstractmethod
    def plan(self, scale: str) -> list[Any]:
        """Picklable plans of every file at ``scale`` (deterministic for the generator's seed)."""

    @abstractmethod
    def render(self, plan: Any, out: Path) -> None:
        """Write one planned file under ``out`` atomically; return at once when it exists."""

    @abstractmethod
    def finish(self, plans: list[Any], out: Path) -> dict[str, int]:
        """Write index files (CSVs, partitions) and return counts for the marker (``n_train``, ``n_test``)."""

    def __init__(self, seed: int = 0, soundfont: Path | None = None):
        self.seed = seed
        self.soundfont = Path(soundfont or default_soundfont()).expanduser().resolve()

    def __call__(self, plan: Any, out: Path | None = None) -> None:
        self.render(plan, self._out if out is None else out)

    def synthesise(self, out: Path, scale: str, workers: int = 1, show_progress: bool = True) -> dict[str, object]:
        """Write the stand-in under ``out`` and return its marker.

        Raises
        ------
        IrbenchError: unknown scale; ``out`` holds real data (no marker) or a stand-in made with other
            settings.
        """
        if scale not in self.scales:
            raise IrbenchError(f"unknown scale {scale!r}; choose one of {', '.join(self.scales)}")
        out = Path(out).expanduser().resolve()
        settings = {
            "dataset": self.dataset, "scale": scale, "seed": self.seed, "generator": f"irbench {__version__}",
            "soundfont": self.soundfont.name, "soundfont_sha256": soundfont_sha256(self.soundfont),
            "layout": self.layout,
        }
        marker = read_stand_in_marker(out)
        if marker is not None:
            found = {k: marker.get(k, UNVERSIONED_LAYOUT if k == "layout" else None) for k in settings}
            if found != settings:
                raise IrbenchError(f"{out} already holds a stand-in made with other settings ({found}); "
                                   "choose another --out")
            return marker
        in_progress = out / IN_PROGRESS
        if (out / self.real_data_probe).exists() and not in_progress.exists():
            raise IrbenchError(f"{out} already holds {self.dataset} data that irbench did not synthesise; "
                               "choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        in_progress.touch()
        plans = self.plan(scale)
        self._out = out
        parallel_map(self, plans, workers, f"Rendering {self.dataset} stand-in ({scale})", show_progress)
        marker = {**settings, **self.finish(plans, out),
                  "note": "offline stand-in rendered from a General MIDI SoundFont; not real dataset audio"}
        atomic_write_text(out / STAND_IN_MARKER, json.dumps(marker, indent=2))
        in_progress.unlink(missing_ok=True)
        return marker
