"""Shared fixtures: the real data folder beside the checkout, a tiny IRMAS stand-in, assembled real roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("IRBENCH_SHARED", REPOSITORY.parent / "shared"))
REAL = SHARED / "data" / "real"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """``../shared/data/real`` (small real files of the four datasets), or skip when it is absent."""
    if not REAL.is_dir():
        pytest.skip(f"real data fixtures not found at {REAL} (they live beside the checkout, in ../shared; "
                    "a user's clone does not have them)")
    return REAL


@pytest.fixture(scope="session")
def real_irmas_root(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real IRMAS clips of ``../shared`` assembled by symbolic links in the official layout.

    Links, not copies: IRMAS may not be redistributed, and nothing is written into the project.
    Training: cla x1, sax x1, vio x2; test: 3 full 20 s clips (Part3) and one truncated to 2 s (Part1).
    """
    root = tmp_path_factory.mktemp("irmas-real")
    mirdata_root = real_data / "irmas/mirdata/tests/resources/mir_datasets/irmas"
    sample = real_data / "irmas/Automatic-Instrument-Identification/IRMAS-Sample"
    links = [(p, root / p.relative_to(mirdata_root)) for p in mirdata_root.rglob("*") if p.is_file()]
    links += [(p, root / "IRMAS-TrainingData" / p.relative_to(sample / "Training")) for p in (sample / "Training").rglob("*.wav")]
    links += [(p, root / "IRMAS-TestingData-Part3/Part3" / p.name) for p in (sample / "Testing").iterdir()]
    for source, target in links:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)
    return root


@pytest.fixture(scope="session")
def tiny_irmas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An IRMAS stand-in at scale ``tiny`` (132 training, 24 test clips), seed 0, rendered once per session."""
    from irbench.synth.irmas import synthesise_irmas

    out = tmp_path_factory.mktemp("irmas-tiny")
    synthesise_irmas(out, scale="tiny", seed=0, workers=2, show_progress=False)
    return out
