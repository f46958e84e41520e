import hashlib

import pytest
import soundfile

from irbench.errors import IrbenchError
from irbench.data.standin import STAND_IN_MARKER
from irbench.synth.irmas import IN_PROGRESS, SCALES, IrmasStandIn, synthesise_irmas
from irbench.synth.render import default_soundfont
from irbench.tasks.irmas import parse_training_name, read_test_labels


def test_formats_and_names_follow_the_official_layout(tiny_irmas):
    training = sorted(tiny_irmas.glob("IRMAS-TrainingData/*/*.wav"))
    assert len(training) == 132
    for path in training[::11]:
        info = soundfile.info(path)
        assert (info.samplerate, info.channels, info.subtype, info.frames) == (44100, 2, "PCM_16", 132300)
        assert parse_training_name(path)["cls"] == path.parent.name
    tests = sorted(tiny_irmas.glob("IRMAS-TestingData-Part*/*/*.wav"))
    assert {p.parent.name for p in tests} == {"Part1", "IRTestingData-Part2", "Part3"}
    for path in tests:
        info = soundfile.info(path)
        assert 5.0 <= info.duration <= 20.0 and info.channels == 2 and info.subtype == "PCM_16"
        assert 1 <= len(read_test_labels(path.with_suffix(".txt"))) <= 3
    assert (tiny_irmas / STAND_IN_MARKER).exists() and not (tiny_irmas / IN_PROGRESS).exists()


def test_drum_tags_match_the_plan_and_both_name_patterns_occur():
    plans = [p for p in IrmasStandIn(0).plan("small") if not p.is_test]
    assert {"dru" in p.relative_path for p in plans if "[nod]" not in p.relative_path} == {True, False}
    assert any(p.drums and "[dru]" in p.relative_path for p in plans)
    assert not any(p.drums and "[nod]" in p.relative_path for p in plans)
    assert sum(p.relative_path.split("/")[-1].startswith("[") for p in plans) > 0


def test_full_scale_has_the_real_sizes():
    plans = IrmasStandIn(0).plan("full")
    assert sum(not p.is_test for p in plans) == 6705 and sum(p.is_test for p in plans) == 2874
    assert set(SCALES) == {"micro", "tiny", "small", "full"}


def test_same_seed_same_bytes_other_seed_other_audio(tmp_path):
    plan = IrmasStandIn(0).plan("tiny")[5]
    digests = []
    for folder, seed in (("a", 0), ("b", 0), ("c", 1)):
        IrmasStandIn(seed, default_soundfont()).render(plan, tmp_path / folder)
        digests.append(hashlib.sha256((tmp_path / folder / plan.relative_path).read_bytes()).hexdigest())
    assert digests[0] == digests[1] != digests[2]


def test_refuses_real_data_and_other_settings(tmp_path, tiny_irmas):
    real = tmp_path / "real"
    (real / "IRMAS-TrainingData").mkdir(parents=True)
    with pytest.raises(IrbenchError, match="did not synthesise"):
        synthesise_irmas(real, "tiny", 0, show_progress=False)
    with pytest.raises(IrbenchError, match="other settings"):
        synthesise_irmas(tiny_irmas, "tiny", seed=1, show_progress=False)
    assert synthesise_irmas(tiny_irmas, "tiny", seed=0, show_progress=False)["n_train"] == 132


def test_an_interrupted_synthesis_resumes(tmp_path, monkeypatch):
    calls = []
    original = IrmasStandIn.render

    def failing(self, plan, out):
        if len(calls) == 20:
            raise KeyboardInterrupt
        calls.append(plan.index)
        original(self, plan, out)

    monkeypatch.setattr(IrmasStandIn, "render", failing)
    with pytest.raises(KeyboardInterrupt):
        synthesise_irmas(tmp_path, "tiny", 0, workers=1, show_progress=False)
    assert not (tmp_path / STAND_IN_MARKER).exists() and (tmp_path / IN_PROGRESS).exists()
    done = sorted(tmp_path.glob("IRMAS-TrainingData/*/*.wav"))
    assert len(done) == 20
    stamps = {p: p.stat().st_mtime_ns for p in done}
    monkeypatch.setattr(IrmasStandIn, "render", original)
    synthesise_irmas(tmp_path, "tiny", 0, workers=1, show_progress=False)
    assert len(list(tmp_path.glob("IRMAS-TrainingData/*/*.wav"))) == 132
    assert all(p.stat().st_mtime_ns == stamp for p, stamp in stamps.items())  # kept, not re-rendered


def test_tasks_name_their_generator_in_their_card():
    from irbench.synth import shared_stand_in, stand_in_generator
    from irbench.synth.medley_solos import MedleySolosStandIn
    from irbench.synth.musicnet import MusicNetStandIn

    assert stand_in_generator("medley-solos-binary") is MedleySolosStandIn
    assert stand_in_generator("musicnet-instruments") is MusicNetStandIn
    # tasks that read one dataset share one rendered stand-in, derived from the cards rather than listed
    assert shared_stand_in("medley-solos-binary") == "medley-solos" and shared_stand_in("irmas") == "irmas"
    assert shared_stand_in("musicnet-instruments") == "musicnet"
