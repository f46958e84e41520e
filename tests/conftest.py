"""Shared fixtures: the real data folder beside the checkout, a tiny IRMAS stand-in, assembled real roots."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Two pytest-xdist workers each run torch with 2 intra-op threads (irbench's default) on the 2 cores CI has.
# Under OpenMP's default wait policy a worker's idle threads spin and yield between parallel regions, taking
# the other worker's core: two concurrent `irbench check --device cpu --quick --baseline cnn14` took 103 s of
# wall time (43 s of it system time each), 76 s with passive waiting. The policy changes scheduling, never
# a number; torch's OpenMP runtime reads it when it loads, so it is set here, before any test imports torch,
# and subprocesses inherit it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPOSITORY = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("IRBENCH_SHARED", REPOSITORY.parent / "shared"))
REAL = SHARED / "data" / "real"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked ``slow`` first, each module's order kept, so pytest-xdist's ``loadscope`` hands the
    longest modules out at the start and the two workers finish together instead of one waiting on a
    minute-long module handed out last. ``make test`` passes ``--no-loadscope-reorder``: by default xdist
    reorders modules by their number of tests, which would undo this."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
    links += [(p, root / "IRMAS-TrainingData" / p.relative_to(sample / "Training"))
              for p in (sample / "Training").rglob("*.wav")]
    links += [(p, root / "IRMAS-TestingData-Part3/Part3" / p.name) for p in (sample / "Testing").iterdir()]
    for source, target in links:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)
    return root


@pytest.fixture(scope="session")
def tiny_irmas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An IRMAS stand-in at scale ``tiny`` (132 training, 24 test clips), seed 0, rendered once per session."""
    from irbench.synth.irmas import synthesise_irmas

    return rendered_once(tmp_path_factory, "irmas-tiny",
                         lambda out: synthesise_irmas(out, scale="tiny", seed=0, workers=2, show_progress=False))


@pytest.fixture(scope="session")
def feature_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One feature cache for the whole session: each stand-in's features are computed once (entries are keyed
    by audio hash and front end, so sharing never mixes them). Tests of the cache itself use their own."""
    return tmp_path_factory.mktemp("feature-cache")


@pytest.fixture(scope="session")
def micro_irmas(tiny_irmas: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smallest IRMAS layout that still splits: per class two training clips of two recordings (one ends
    in validation), and three test clips, linked from the tiny stand-in; for heavy models on 2 CPU cores."""
    root = tmp_path_factory.mktemp("irmas-micro")
    for folder in sorted((tiny_irmas / "IRMAS-TrainingData").iterdir()):
        by_song: dict[str, Path] = {}
        for clip in sorted(folder.glob("*.wav")):
            by_song.setdefault(clip.name.rsplit("__", 1)[0], clip)
        for clip in list(by_song.values())[:2]:
            link(clip, root / "IRMAS-TrainingData" / folder.name / clip.name)
    for clip in sorted(tiny_irmas.glob("IRMAS-TestingData-Part1/*/*.wav"))[:3]:
        part = clip.relative_to(tiny_irmas).parent
        link(clip, root / part / clip.name)
        link(clip.with_suffix(".txt"), root / part / clip.with_suffix(".txt").name)
    link(tiny_irmas / "irbench-stand-in.json", root / "irbench-stand-in.json")
    return root


def rendered_once(tmp_path_factory: pytest.TempPathFactory, name: str, render: Callable[[Path], object]) -> Path:
    """The folder ``name``, filled by ``render(folder)`` once for the whole run: pytest-xdist's workers share
    the parent of their own base folders, and a file lock lets the first worker render while the others wait
    for it (the pattern in pytest-xdist's documentation), so a stand-in is rendered once, not once per worker.
    A render that failed is redone by the next caller (``<name>.done`` marks a finished one)."""
    import shutil

    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "rendered-once" / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if not folder.with_name(name + ".done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            render(folder)
            folder.with_name(name + ".done").touch()
    return folder


def _stand_ins(tmp_path_factory: pytest.TempPathFactory, scale: str, made: dict[str, Path]):
    """``get(task)`` -> the folder of that task's stand-in at ``scale``, rendered once (``made``: dataset ->
    folder, seeded with any already rendered)."""
    from irbench.synth import shared_stand_in, stand_in_generator

    def get(task: str) -> Path:
        dataset = shared_stand_in(task)
        if dataset not in made:
            made[dataset] = rendered_once(tmp_path_factory, f"{dataset}-{scale}", lambda out: stand_in_generator(
                dataset)(0).synthesise(out, scale, workers=2, show_progress=False))
        return made[dataset]

    return get


@pytest.fixture(scope="session")
def stand_in(tmp_path_factory: pytest.TempPathFactory, tiny_irmas: Path):
    """``stand_in(task)`` -> the folder of that task's tiny stand-in, rendered once per session."""
    return _stand_ins(tmp_path_factory, "tiny", {"irmas": tiny_irmas})


@pytest.fixture(scope="session")
def micro_stand_in(tmp_path_factory: pytest.TempPathFactory):
    """``micro_stand_in(task)`` -> the folder of that task's stand-in at scale ``micro`` (the smallest layout
    that still splits: for heavy models such as Cnn14 on 2 CPU cores), rendered once per session."""
    return _stand_ins(tmp_path_factory, "micro", {})


def link(source: Path, target: Path) -> None:
    """Symbolic link ``target`` -> ``source`` (never a copy of real dataset files)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source)


@pytest.fixture(scope="session")
def real_medley_root(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 7 real Medley-solos-DB clips and the full official metadata (release 1.1, ``track_id``), linked
    in the official layout (the ``.wav.wav`` names of one source repository fixed)."""
    root = tmp_path_factory.mktemp("medley-real")
    group = real_data / "medley_solos_db/Final-Project-Group1/Code"
    link(group / "Medley-solos-DB_metadata.csv", root / "annotation/Medley-solos-DB_metadata.csv")
    for clip in (group / "Medley-solos-DB").glob("*.wav.wav"):
        link(clip, root / "audio" / clip.name[: -len(".wav")])
    mirdata_root = real_data / "medley_solos_db/mirdata/tests/resources/mir_datasets/medley_solos_db"
    for clip in (mirdata_root / "audio").glob("*.wav"):
        link(clip, root / "audio" / clip.name)
    return root


@pytest.fixture(scope="session")
def real_openmic_root(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mirdata's OpenMIC root with the full official split01 lists and the original audio of 000046_3840."""
    root = tmp_path_factory.mktemp("openmic-real")
    mirdata_root = real_data / "openmic2018/mirdata/tests/resources/mir_datasets/openmic2018"
    cosmir = real_data / "openmic2018/openmic-2018"
    for path in mirdata_root.rglob("*"):
        relative = path.relative_to(mirdata_root)
        if path.is_file() and relative.parts[0] not in ("partitions", "audio"):
            link(path, root / relative)
    for split in ("train", "test"):
        link(cosmir / f"examples/split01_{split}.csv", root / f"partitions/split01_{split}.csv")
    link(cosmir / "tests/data/audio/000046_3840.ogg", root / "audio/000/000046_3840.ogg")
    return root


@pytest.fixture
def narrow_panns(monkeypatch: pytest.MonkeyPatch) -> None:
    """PANNs Cnn14 and the multi-STFT branches at 1/8 of their channels: the architecture (blocks, pooling,
    heads, callbacks, loading by name) is what a test checks, not the width, and full width takes minutes
    per step on 2 CPU cores. Pretrained weights do not fit these; tests of loading use full width. The widths
    live with the networks (:mod:`irbench.baselines.networks`), which read them when a model is built."""
    from irbench.baselines.networks import cnn14, multistft_panns

    monkeypatch.setattr(cnn14, "CHANNELS", tuple(c // 8 for c in cnn14.CHANNELS))
    monkeypatch.setattr(multistft_panns, "BRANCH_CHANNELS",
                        (1,) + tuple(c // 8 for c in multistft_panns.BRANCH_CHANNELS[1:]))
