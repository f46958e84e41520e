"""Bad audio and dataset files (issue 22.6, 22.9): NaN or infinite samples and implausible sample rates are
refused naming the file, in the decoding layer and by ``irbench predict``; MusicNet times that are not finite
sample counts, conflicting OpenMIC rows and a BOM in an IRMAS label file are handled naming the file and line;
``.WAV`` files are found; a slow plugin import is named on stderr while it runs."""

from __future__ import annotations

import shutil
import sys
import time

import numpy as np
import pytest
import soundfile

from helpers import run_cli
from irbench.data import audio as audio_module
from irbench.data.audio import check_header_rate, decode_audio
from irbench.streaming import resampled_blocks
from irbench.errors import AudioDecodeError, DatasetLayoutError
from irbench.tasks import get_task
from test_bad_records_22 import constant_run  # noqa: F401 - a fixture used below


pytestmark = pytest.mark.slow


def _wav(path, samples, rate=44_100, subtype="FLOAT"):
    soundfile.write(path, samples, rate, subtype=subtype)
    return path


def _noise(frames=44_100 * 3, channels=1, seed=0):
    noise = np.random.default_rng(seed).uniform(-0.1, 0.1, (frames, channels)).astype(np.float32)
    return noise[:, 0] if channels == 1 else noise


@pytest.mark.parametrize("value, channels, frame", [
    (np.nan, 1, 100), (np.inf, 1, 5), (-np.inf, 2, 44_100 * 2 + 7), (np.nan, 2, 200_000)])
def test_nan_or_infinite_samples_are_refused_naming_the_file(tmp_path, value, channels, frame):
    samples = _noise(channels=channels, frames=250_000)
    samples[frame] = value
    path = _wav(tmp_path / "take [1].wav", samples)
    with pytest.raises(AudioDecodeError, match=r"take \[1\]\.wav: it holds NaN or infinite samples") as decoded:
        decode_audio(path, 16_000)
    with pytest.raises(AudioDecodeError, match=rf"the first at frame {frame}\)") as scanned:
        list(resampled_blocks(path, 16_000, block_seconds=1.0))  # block by block: the frame is named anywhere
    assert "\n" not in str(decoded.value) and "\n" not in str(scanned.value)


@pytest.mark.parametrize("rate", [1, 8, 999, 384_001, 2_000_000])
def test_an_implausible_sample_rate_is_refused_from_the_header(tmp_path, rate):
    path = _wav(tmp_path / "odd.wav", _noise(frames=44_100 * 3), rate, "PCM_16")
    assert soundfile.info(str(path)).samplerate == rate
    started = time.perf_counter()
    for check in (lambda: decode_audio(path, 16_000), lambda: check_header_rate(path),
                  lambda: next(resampled_blocks(path, 16_000))):
        with pytest.raises(AudioDecodeError, match=rf"odd\.wav: its header states an implausible sample rate "
                                                   rf"of {rate} Hz \(irbench reads 1000-384000 Hz\)"):
            check()
    assert time.perf_counter() - started < 2  # refused before anything is resampled


@pytest.mark.parametrize("rate", [audio_module.MIN_SAMPLE_RATE, 8_000, 44_100, audio_module.MAX_SAMPLE_RATE])
def test_plausible_rates_and_finite_audio_still_decode(tmp_path, rate):
    samples = _noise(frames=rate // 2)
    path = _wav(tmp_path / "fine.wav", samples, rate)
    check_header_rate(path)
    decoded = decode_audio(path, rate)
    assert decoded.source_rate == rate and np.array_equal(decoded.samples, samples)


@pytest.fixture
def clip(tiny_irmas):
    return sorted(tiny_irmas.glob("IRMAS-TestingData-Part1/*/*.wav"))[0]


def test_predict_refuses_nan_audio_and_a_1_hz_header_in_one_line(monkeypatch, capsys, constant_run, clip,  # noqa: F811
                                                                 tmp_path):
    nan = _noise()
    nan[1000] = np.nan
    for path, said in [(_wav(tmp_path / "nan.wav", nan), "it holds NaN or infinite samples"),
                       (_wav(tmp_path / "one hz.wav", _noise(), 1, "PCM_16"), "implausible sample rate of 1 Hz")]:
        started = time.perf_counter()
        code, out, err = run_cli(monkeypatch, capsys, "predict", str(clip), str(path), "--run", str(constant_run))
        assert code == 2 and str(path) in err and said in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and not out, err
        assert time.perf_counter() - started < 30  # at once, not minutes of resampling
    code, out, _ = run_cli(monkeypatch, capsys, "predict", str(clip), "--run", str(constant_run))
    assert code == 0 and "probability" in out


def _copy(stand_in, task, tmp_path):
    root = tmp_path / task
    shutil.copytree(stand_in(task), root)
    return root


@pytest.mark.parametrize("column, value", [
    ("end_time", "inf"), ("end_time", "1e400"), ("end_time", "nan"), ("start_time", "-inf"), ("start_time", "-5"),
    ("end_time", "soon")])
def test_musicnet_times_that_are_no_sample_count_name_the_row(stand_in, tmp_path, column, value):
    root = _copy(stand_in, "musicnet", tmp_path)
    labels = root / "train_labels/1000.csv"
    lines = labels.read_text().splitlines()
    cells = lines[2].split(",")
    cells[("start_time", "end_time").index(column)] = value
    lines[2] = ",".join(cells)
    labels.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetLayoutError, match=rf"1000\.csv:3: .*{column} '{value}'"):
        get_task("musicnet").load(root)


def test_musicnet_a_1_hz_recording_header_is_refused(stand_in, tmp_path):
    root = _copy(stand_in, "musicnet", tmp_path)
    recording = root / "train_data/1000.wav"
    samples, _ = soundfile.read(recording, dtype="float32")
    _wav(recording, samples, 1, "PCM_16")
    with pytest.raises(AudioDecodeError, match=r"1000\.wav: its header states an implausible sample rate of 1 Hz"):
        get_task("musicnet").load(root)


def test_upper_case_wav_files_are_found(stand_in, tmp_path):
    root = _copy(stand_in, "irmas", tmp_path)
    before = get_task("irmas").load(root)
    training = sorted((root / "IRMAS-TrainingData").glob("*/*.wav"))[0]
    training.rename(training.with_suffix(".WAV"))
    test = sorted(root.glob("IRMAS-TestingData-Part1/*/*.wav"))[0]
    test.rename(test.with_suffix(".WAV"))
    after = get_task("irmas").load(root)
    count = lambda data: {name: len(clips) for name, clips in data.splits.items()}  # noqa: E731
    assert count(after) == count(before)
    paths = {clip.path for clips in after.splits.values() for clip in clips}
    assert training.with_suffix(".WAV") in paths and test.with_suffix(".WAV") in paths

    music = _copy(stand_in, "musicnet", tmp_path)
    before = get_task("musicnet").load(music)
    (music / "train_data/1000.wav").rename(music / "train_data/1000.WAV")
    after = get_task("musicnet").load(music)
    assert count(after) == count(before)
    assert any(clip.path.name == "1000.WAV" for clips in after.splits.values() for clip in clips)


def test_a_bom_in_an_irmas_label_file_is_read(stand_in, tmp_path):
    root = _copy(stand_in, "irmas", tmp_path)
    before = {c.clip_id: c.labels for c in get_task("irmas").load(root).splits["test"]}
    label_file = sorted(root.glob("IRMAS-TestingData-Part1/*/*.txt"))[0]
    label_file.write_bytes(b"\xef\xbb\xbf" + label_file.read_bytes())
    after = {c.clip_id: c.labels for c in get_task("irmas").load(root).splits["test"]}
    assert after == before


def test_openmic_a_conflicting_duplicate_row_is_refused(stand_in, tmp_path):
    root = _copy(stand_in, "openmic", tmp_path)
    labels = root / "openmic-2018-aggregated-labels.csv"
    lines = labels.read_text().splitlines()
    before = get_task("openmic").load(root)
    labels.write_text("\n".join([*lines, lines[3]]) + "\n")  # the same row twice: read once
    same = get_task("openmic").load(root)
    assert [c.labels for c in same.splits["test"]] == [c.labels for c in before.splits["test"]]
    key, instrument, relevance = lines[3].split(",")[:3]
    other = "0.0" if float(relevance) > 0.5 else "1.0"
    conflicting = ",".join([key, instrument, other, *lines[3].split(",")[3:]])
    labels.write_text("\n".join([*lines, conflicting]) + "\n")
    with pytest.raises(DatasetLayoutError, match=rf"aggregated-labels\.csv:{len(lines) + 1}: sample_key "
                                                 rf"'{key}' has instrument '{instrument}' twice"):
        get_task("openmic").load(root)


@pytest.mark.parametrize("seconds, named", [(1.0, True), (0.0, False)])
def test_a_slow_plugin_import_is_named_while_it_runs(tmp_path, monkeypatch, capfd, seconds, named):
    from irbench import registry
    from test_lazy_plugins import _distribution

    site = _distribution(tmp_path / "site", "slow-things", {"irbench.test-slow": {"sloth": "slow_thing:VALUE"}},
                         {"slow_thing": f"import time\ntime.sleep({seconds})\nVALUE = 'done'\n"})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv(registry.DISABLE_PLUGINS, raising=False)
    monkeypatch.delitem(sys.modules, "slow_thing", raising=False)
    monkeypatch.setattr(registry, "SLOW_IMPORT_SECONDS", 0.3)
    things = registry.Registry("thing", entry_point_group="irbench.test-slow")
    assert things.get("sloth") == "done"
    time.sleep(0.5)  # a timer that was not cancelled would speak now
    err = capfd.readouterr().err
    said = "importing thing plugin 'sloth' from package 'slow-things' has taken over 0.3 s"
    assert (said in err) is named, err
    assert ("IRBENCH_DISABLE_PLUGINS=1" in err) is named
    sys.modules.pop("slow_thing", None)
