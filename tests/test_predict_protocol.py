"""``irbench predict`` follows the run's own protocol: for every test clip of a stand-in, the scores it
gives a test file equal the evaluated scores in the run's predictions file, segment by segment for
MusicNet (3-s segments, covering layout) and for a model that reads no feature; and the level meter behind
"no sound" measures what it says."""

import math

import numpy as np
import pytest

from helpers import run_cli
from irbench.predict import load_run, predict_file
from irbench.store.predictions_file import read_clip_table
from irbench.streaming import SILENCE_GATE_DBFS, LevelMeter
from irbench.tasks import get_task


def _run(task, baseline, data_home, results, cache):
    from irbench.run.runner import RunOptions, run_benchmark

    _, path = run_benchmark(RunOptions(task, baseline, data_home, results, cache, max_epochs=1, workers=2,
                                       show_progress=False))
    return path


def _evaluated(path):
    """(loaded run, the predictions file's table, test clips by id) of a run record."""
    run = load_run(path)
    table = read_clip_table(path.with_name(run.record.predictions_file), run.labels)
    data_home = run.record.provenance.data_home
    clips = {clip.clip_id: clip for clip in get_task(run.record.task).load(data_home).splits["test"]}
    assert set(table.clip_ids) == set(clips)
    return run, table, clips


@pytest.fixture(scope="module")
def musicnet_run(stand_in, tmp_path_factory, feature_cache):
    return _run("musicnet", "vgg", stand_in("musicnet"), tmp_path_factory.mktemp("results"), feature_cache)


def test_musicnet_segments_score_as_their_test_clips(musicnet_run):
    """Each 3-s segment of a MusicNet test recording scores as its evaluated test clip (covering windows,
    S1), and the whole-file row is the mean over segments, present where any segment has it."""
    run, table, clips = _evaluated(musicnet_run)
    assert run.task.metadata.window_layout == "covering"
    results, worst = {}, 0.0
    for row, clip_id in enumerate(table.clip_ids):
        clip = clips[clip_id]
        result = results.get(clip.path) or results.setdefault(clip.path, predict_file(run, clip.path))
        assert result.segmented
        segment = result.clips[int(clip_id.rsplit(":", 1)[1])]
        assert (segment.start, segment.end) == clip.segment
        worst = max(worst, float(np.abs(segment.score - table.scores[row]).max()))
        np.testing.assert_array_equal(segment.decision, table.predictions[row] > 0, err_msg=clip_id)
    assert worst <= 1e-6, f"predict and evaluation differ by {worst:.2e}"
    assert len(results) == 2 and sum(len(r.clips) for r in results.values()) == len(table.clip_ids)
    for result in results.values():
        np.testing.assert_allclose(result.probability, np.mean([c.probability for c in result.clips], axis=0))
        np.testing.assert_array_equal(result.decision, np.any([c.decision for c in result.clips], axis=0))
        assert sum(c.windows for c in result.clips) == len(result.windows)


def test_musicnet_table_says_what_it_computes(monkeypatch, capsys, musicnet_run):
    run, table, clips = _evaluated(musicnet_run)
    path = str(next(iter(clips.values())).path)
    code, out, err = run_cli(monkeypatch, capsys, "predict", path, "--run", str(musicnet_run), "--windows")
    assert code == 0, err
    flat = " ".join(out.split())  # rich wraps at 80 columns
    assert "segment(s) of 3 s" in flat and "mean over segments" in flat and "present in" in flat
    assert "per segment" in flat and "s1 score" not in flat  # S1 decides: one "probability" column
    assert max(len(line) for line in out.splitlines() if line[:1] in "┏┃┡│└") <= 80  # prose is not wrapped in a file


def test_a_model_reading_no_feature_scores_as_evaluated(tiny_irmas, tmp_path, feature_cache):
    run, table, clips = _evaluated(_run("irmas", "constant", tiny_irmas, tmp_path, feature_cache))
    for row, clip_id in enumerate(table.clip_ids):
        result = predict_file(run, clips[clip_id].path)
        np.testing.assert_allclose(result.score, table.scores[row], rtol=0, atol=1e-6, err_msg=clip_id)
        np.testing.assert_array_equal(result.decision, table.predictions[row] > 0, err_msg=clip_id)
        assert len(result.windows) == 1 and result.sound


@pytest.mark.parametrize("rate", [16_000, 44_100])
def test_the_level_is_the_loudest_400_ms_block_whatever_the_blocks(rate):
    rng = np.random.default_rng(0)
    quiet = rng.standard_normal(rate * 3) * 10 ** (-60 / 20)
    tone = 10 ** (-20 / 20) * math.sqrt(2) * np.sin(2 * np.pi * 440 * np.arange(rate // 2) / rate)  # -20 dBFS RMS
    audio = np.concatenate([quiet, tone, quiet]).astype(np.float32)
    levels = []
    for size in (len(audio), 1_000, 7_919):
        meter = LevelMeter(rate)
        for first in range(0, len(audio), size):
            meter(audio[first:first + size])
        levels.append(meter.level_dbfs)
    assert max(levels) - min(levels) < 1e-9
    assert -23 < levels[0] < -20  # the tone fills most of one 400-ms block
    meter = LevelMeter(rate)
    meter(quiet.astype(np.float32))
    assert abs(meter.level_dbfs + 60) < 1 and meter.level_dbfs < SILENCE_GATE_DBFS
    meter = LevelMeter(rate)
    meter(np.zeros(rate, np.float32))
    assert meter.level_dbfs == -math.inf


def test_a_final_partial_block_counts_as_padded_with_silence():
    meter = LevelMeter(16_000)  # 6,400-sample blocks
    meter(np.concatenate([np.zeros(16_000), [0.1]]).astype(np.float32))  # a click in the last, partial block
    assert abs(meter.level_dbfs - 10 * math.log10(0.1 ** 2 / 6_400)) < 1e-6  # -58 dBFS, not -45
    short = LevelMeter(16_000)
    short(np.full(1_600, 0.1, np.float32))  # 100 ms at -20 dBFS, shorter than one block: measured whole
    assert abs(short.level_dbfs + 20) < 1e-6


def test_the_meter_hears_the_decoded_audio_the_features_come_from(tmp_path):
    """``stream_features``' tap sees every decoded sample once, in order: the mono mix resampled to the front
    end's rate, as the whole-file decoder gives it."""
    import soundfile

    from irbench.data.audio import load_audio
    from irbench.baselines import get_baseline
    from irbench.features import FRONTENDS
    from irbench.streaming import stream_features

    path = tmp_path / "stereo.wav"
    audio = np.random.default_rng(2).standard_normal((44_100 * 12 + 5, 2)).astype(np.float32) * 0.1
    soundfile.write(path, audio, 44_100)
    baseline = get_baseline("vgg")
    frontend = FRONTENDS.get(baseline.frontend_name)(baseline.frontend_config)
    heard = []
    frames = sum(block.shape[1] for block in stream_features(frontend, path, chunk_seconds=4, audio_tap=heard.append))
    whole = load_audio(path, frontend.sample_rate)
    np.testing.assert_allclose(np.concatenate(heard), whole, rtol=0, atol=1e-6)
    assert len(heard) > 1 and frames == 1 + len(whole) // frontend.hop_length
