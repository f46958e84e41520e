"""``irbench predict`` on a user's own files: names with spaces and brackets, mono and stereo, 8 and 48 kHz;
the run's own protocol (every test clip scores as evaluated), honest labels, and "no sound" for silence."""

import json

import numpy as np
import pytest
import soundfile

from helpers import run_cli
from irbench.errors import IrbenchError
from irbench.predict import load_run, predict_file
from irbench.store.records import read_record, write_record


@pytest.fixture(scope="module")
def run_record(tiny_irmas, tmp_path_factory, feature_cache):
    from irbench.run.runner import RunOptions, run_benchmark

    folder = tmp_path_factory.mktemp("results")
    _, path = run_benchmark(RunOptions("irmas", "vgg", tiny_irmas, folder, feature_cache,
                                       max_epochs=1, workers=2, show_progress=False))
    return path


@pytest.fixture(scope="module")
def files(tiny_irmas, tmp_path_factory):
    """A real stand-in clip re-encoded four ways, and a 7 s file."""
    from irbench.data.audio import load_audio

    folder = tmp_path_factory.mktemp("my audio")
    source = sorted(tiny_irmas.glob("IRMAS-TestingData-Part1/*/*.wav"))[0]
    made = {}
    for rate, channels in ((8_000, 1), (8_000, 2), (48_000, 1), (48_000, 2)):
        audio = load_audio(source, rate)
        data = audio if channels == 1 else np.stack([audio, audio * 0.5], axis=1)
        path = folder / f"take {rate} Hz [{channels} ch] (final).wav"
        soundfile.write(path, data, rate)
        made[(rate, channels)] = path
    return made


def test_every_rate_and_channel_count_gives_probabilities(run_record, files):
    run = load_run(run_record)
    results = {key: predict_file(run, path) for key, path in files.items()}
    for key, result in results.items():
        assert result.probability.shape == (11,) and np.all((result.probability >= 0) & (result.probability <= 1))
        assert result.sound and len(result.windows) >= 2  # a 5-20 s stand-in test clip spans several 2 s windows
    # the same music at 8 kHz mono and stereo differs only by the channel mix
    top = {key: int(np.argmax(r.probability)) for key, r in results.items()}
    assert top[(48_000, 1)] == top[(48_000, 2)]


def test_windows_follow_the_task_s_layout_and_the_decision_uses_the_run_s_threshold(run_record, files):
    from irbench.evaluation.aggregation import aggregate
    from irbench.windowing.layouts import LAYOUTS

    run = load_run(run_record)
    path = files[(48_000, 2)]
    result = predict_file(run, path)
    frames = 1 + round(soundfile.info(str(path)).frames * 16_000 / 48_000) // 512  # VGG: 16 kHz, hop 512
    starts = LAYOUTS.get(run.task.metadata.window_layout)(0, frames, 64)
    assert [round(s * 16_000 / 512) for s, _, _ in result.windows] == list(starts)
    assert result.scored_seconds <= result.seconds  # a remainder shorter than a window is not scored
    window_probabilities = np.stack([p for _, _, p in result.windows])
    rule = run.record.threshold
    assert rule.aggregation == "s2"
    np.testing.assert_allclose(result.probability, window_probabilities.mean(axis=0))  # S1
    np.testing.assert_allclose(result.score, aggregate("s2", [window_probabilities])[0])
    np.testing.assert_array_equal(result.decision, result.score >= rule.value)
    column = int(np.argmax(result.score))
    best = max(result.windows, key=lambda w: w[2][column])
    assert result.most_present(column) == (best[0], best[1])


def test_predict_scores_every_test_clip_as_evaluation_did(run_record, tiny_irmas):
    """The whole-file scores of each IRMAS stand-in test clip equal the evaluated scores in the run's
    predictions file (written to 6 decimals), and so do the decisions."""
    from irbench.store.predictions_file import read_clip_table
    from irbench.tasks import get_task

    run = load_run(run_record)
    table = read_clip_table(run_record.with_name(run.record.predictions_file), run.labels)
    clips = {clip.clip_id: clip for clip in get_task("irmas").load(tiny_irmas).splits["test"]}
    assert len(table.clip_ids) == len(clips) == 24
    worst = 0.0
    for row, clip_id in enumerate(table.clip_ids):
        result = predict_file(run, clips[clip_id].path)
        worst = max(worst, float(np.abs(result.score - table.scores[row]).max()))
        np.testing.assert_array_equal(result.decision, table.predictions[row] > 0, err_msg=clip_id)
    assert worst <= 1e-6, f"predict and evaluation differ by {worst:.2e}"


def test_silence_and_near_silence_have_no_instrument(monkeypatch, capsys, run_record, files, tmp_path):
    """Digital silence and -60 dBFS noise are "no sound": nothing present, in every format; music after
    seconds of silence is still sound (the loudest block counts)."""
    rng = np.random.default_rng(0)
    silence, noise = tmp_path / "silence.wav", tmp_path / "noise -60 dBFS.wav"
    soundfile.write(silence, np.zeros(160_000, np.float32), 16_000)
    soundfile.write(noise, (rng.standard_normal(160_000) * 10 ** (-60 / 20)).astype(np.float32), 16_000)
    run = load_run(run_record)
    for path in (silence, noise):
        result = predict_file(run, path)
        assert not result.sound and not result.decision.any() and result.level_dbfs < -55, path
        code, out, err = run_cli(monkeypatch, capsys, "predict", str(path), "--run", str(run_record))
        assert code == 0, err
        assert "no sound" in out and "yes" not in out and "probability" not in out
        code, out, _ = run_cli(monkeypatch, capsys, "predict", str(path), "--run", str(run_record), "-f", "json")
        parsed = json.loads(out)["files"][0]
        assert parsed["sound"] is False and parsed["present"] == []
        assert not any(i["present"] for i in parsed["instruments"])
        code, out, _ = run_cli(monkeypatch, capsys, "predict", str(path), "--run", str(run_record), "-f", "csv")
        assert {row.split(",")[-1] for row in out.strip().splitlines()[1:]} <= {"false", ""}
    assert np.isinf(predict_file(run, silence).level_dbfs)
    music, rate = soundfile.read(files[(48_000, 1)], dtype="float32")
    late = tmp_path / "late start.wav"
    soundfile.write(late, np.concatenate([np.zeros(5 * rate, np.float32), music]), rate)
    result = predict_file(run, late)
    assert result.sound and result.level_dbfs > -50 and result.decision.any()
def test_a_file_shorter_than_one_window_says_so(monkeypatch, capsys, run_record, tmp_path):
    short = tmp_path / "short.wav"
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(8_000) / 16_000)
    soundfile.write(short, tone.astype(np.float32), 16_000)  # 0.5 s; VGG's window is 2.048 s
    assert predict_file(load_run(run_record), short).padded
    code, out, err = run_cli(monkeypatch, capsys, "predict", str(short), "--run", str(run_record))
    assert code == 0, err
    assert "shorter than the model's 2.05-s window" in " ".join(out.split())


def test_table_json_and_csv_label_every_number(monkeypatch, capsys, run_record, files):
    import csv
    import io

    path = str(files[(8_000, 2)])
    code, out, err = run_cli(monkeypatch, capsys, "predict", path, "--run", str(run_record))
    assert code == 0, err
    flat = " ".join(out.split())
    assert "(final).wav" in flat and "piano" in flat and "most present at" in flat and "threshold" in flat
    assert "s2 score" in flat and "not a probability" in flat and "protocol" in flat and "stand-in" in flat
    assert max(len(line) for line in out.splitlines() if line[:1] in "┏┃┡│└") <= 80  # prose is not wrapped in a file
    code, out, _ = run_cli(monkeypatch, capsys, "predict", path, "--run", str(run_record), "--windows")
    assert code == 0 and "per window" in out
    code, out, _ = run_cli(monkeypatch, capsys, "predict", path, str(files[(48_000, 1)]), "--run", str(run_record),
                           "--format", "json")
    parsed = json.loads(out)
    record = read_record(run_record)
    assert code == 0 and [f["file"] for f in parsed["files"]] == [path, str(files[(48_000, 1)])]
    assert (parsed["task"], parsed["protocol_version"], parsed["stand_in"]) == ("irmas", record.task_version, True)
    assert parsed["decision"]["aggregation"] == "s2" and parsed["decision"]["threshold"] == record.threshold.value
    first = parsed["files"][0]
    assert {i["label"] for i in first["instruments"]} == set(load_run(run_record).labels)
    windows = np.array([[w["probability"][i["label"]] for i in first["instruments"]] for w in first["windows"]])
    probability = np.array([i["probability"] for i in first["instruments"]])
    score = np.array([i["decision_score"] for i in first["instruments"]])
    np.testing.assert_allclose(probability, windows.mean(axis=0))  # "probability" is S1, never the S2 score
    assert score.max() == 1.0 and probability.max() < 1.0
    assert first["present"] == [i["label"] for i in first["instruments"] if i["present"]]
    assert all(i["present"] == (i["decision_score"] >= record.threshold.value) for i in first["instruments"])
    code, out, _ = run_cli(monkeypatch, capsys, "predict", path, "--run", str(run_record), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    whole = [r for r in rows if r["scope"] == "file"]
    assert code == 0 and len(whole) == 11 and {r["task"] for r in rows} == {"irmas"}
    assert {(r["protocol_version"], r["stand_in"], r["aggregation"], r["threshold"]) for r in rows} == {
        (record.task_version, "true", "s2", str(record.threshold.value))}
    assert [r["present"] == "true" for r in whole] == [i["present"] for i in first["instruments"]]
    assert {r["present"] for r in rows if r["scope"] == "window"} == {""}


def test_clear_errors(monkeypatch, capsys, run_record, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "predict", str(tmp_path / "absent.wav"), "--run", str(run_record))
    assert code == 2 and "absent.wav" in err and "no such file" in err and "Traceback" not in err
    broken = tmp_path / "broken [x].wav"
    broken.write_bytes(b"RIFF....WAVEjunk")
    code, _, err = run_cli(monkeypatch, capsys, "predict", str(broken), "--run", str(run_record))
    assert code == 2 and "broken [x].wav" in err and "not a readable audio file" in err
    text = tmp_path / "notes.mp3"
    text.write_text("these are my notes, not music")
    code, _, err = run_cli(monkeypatch, capsys, "predict", str(text), "--run", str(run_record))
    assert code == 2 and "notes.mp3" in err and "not a readable audio file" in err and "does not exist" not in err
    moved = tmp_path / "results/irmas/vgg/seed-0.json"
    moved.parent.mkdir(parents=True)
    moved.write_text(run_record.read_text())
    with pytest.raises(IrbenchError, match="checkpoint .* is missing"):
        load_run(moved)
    record = read_record(run_record)
    baseline = record.config.baseline
    changed = baseline.model_copy(update={"frontend_config": {**baseline.frontend_config, "n_mels": 128}})
    other = record.model_copy(update={"config": record.config.model_copy(update={"baseline": changed})})
    other_path = run_record.with_name("seed-9.json")
    write_record(other, other_path)
    with pytest.raises(IrbenchError, match="computes different features"):
        load_run(other_path)


def test_a_long_file_streams_in_bounded_memory(run_record, tmp_path):
    """Ten minutes of stereo audio at 44.1 kHz (212 MB decoded): features are computed a minute at a time,
    equal to a whole-file pass, and peak memory grows far less than the decoded file."""
    import resource
    import subprocess
    import sys

    long = tmp_path / "long.wav"
    rng = np.random.default_rng(0)
    with soundfile.SoundFile(long, "w", 44_100, 2, subtype="PCM_16") as handle:
        for _ in range(10):
            handle.write((rng.standard_normal((44_100 * 60, 2)) * 0.1).astype(np.float32))
    probe = (
        "import resource, sys\n"
        "from irbench.predict import load_run, predict_file\n"
        "run = load_run(sys.argv[1])\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "result = predict_file(run, sys.argv[2])\n"
        "print(len(result.windows), (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(run_record), str(long)], capture_output=True,
                          text=True, check=True)
    windows, grown_mib = map(int, done.stdout.split())
    assert windows == (1 + 600 * 16_000 // 512) // 64  # non-overlapping: a remainder is not scored
    assert grown_mib < 150, f"peak memory grew {grown_mib} MiB for a 212 MB file"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


def test_streamed_features_equal_a_whole_file_pass(tmp_path):
    import torch

    from irbench.data.audio import load_audio
    from irbench.baselines import get_baseline
    from irbench.features import FRONTENDS
    from irbench.streaming import stream_features

    path = tmp_path / "odd length.wav"
    soundfile.write(path, (np.random.default_rng(1).standard_normal((44_100 * 25 + 777, 2)) * 0.1).astype(np.float32),
                    44_100)
    for name in ("vgg", "multistft-panns"):
        baseline = get_baseline(name)
        frontend = FRONTENDS.get(baseline.frontend_name)(baseline.frontend_config).eval()
        streamed = np.concatenate(list(stream_features(frontend, path, chunk_seconds=7)), axis=1)
        with torch.inference_mode():
            whole = frontend(torch.from_numpy(load_audio(path, frontend.sample_rate))).numpy()
        np.testing.assert_allclose(streamed, whole, rtol=0, atol=1e-5, err_msg=name)
