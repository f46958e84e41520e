"""``irbench predict`` on a user's own files: names with spaces and brackets, mono and stereo, 8 and 48 kHz."""

import json

import numpy as np
import pytest
import soundfile

from helpers import run_cli
from irbench.errors import IrbenchError
from irbench.predict import load_run, predict_file
from irbench.records import read_record, write_record


@pytest.fixture(scope="module")
def run_record(tiny_irmas, tmp_path_factory, feature_cache):
    from irbench.runner import RunOptions, run_benchmark

    folder = tmp_path_factory.mktemp("results")
    _, path = run_benchmark(RunOptions("irmas", "vgg", tiny_irmas, folder, feature_cache,
                                       max_epochs=1, workers=2, show_progress=False))
    return path


@pytest.fixture(scope="module")
def files(tiny_irmas, tmp_path_factory):
    """A real stand-in clip re-encoded four ways, and a 7 s file."""
    from irbench.audio import load_audio

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
        assert result.overall.shape == (11,) and np.all((result.overall >= 0) & (result.overall <= 1)), key
        assert len(result.windows) >= 2  # a 5-20 s stand-in test clip spans several 2 s windows
    # the same music at 8 kHz mono and stereo differs only by the channel mix
    top = {key: int(np.argmax(r.overall)) for key, r in results.items()}
    assert top[(48_000, 1)] == top[(48_000, 2)]


def test_windows_cover_the_whole_file_and_the_decision_uses_the_run_s_threshold(run_record, files):
    from irbench.evaluation.aggregation import aggregate

    run = load_run(run_record)
    result = predict_file(run, files[(48_000, 2)])
    duration = soundfile.info(str(files[(48_000, 2)])).duration
    starts = [s for s, _, _ in result.windows]
    ends = [e for _, e, _ in result.windows]
    assert starts[0] == 0 and abs(ends[-1] - duration) < 0.05  # the last window ends at the file's end
    assert all(b <= a + 1e-9 for a, b in zip(ends, starts[1:]))  # no gap between windows
    rule = run.record.threshold
    expected = aggregate(rule.aggregation, [np.stack([p for _, _, p in result.windows])])[0]
    np.testing.assert_allclose(result.overall, expected)
    np.testing.assert_array_equal(result.decision, expected >= rule.value)
    column = int(np.argmax(result.overall))
    best = max(result.windows, key=lambda w: w[2][column])
    assert result.most_present(column) == (best[0], best[1])


def test_a_file_shorter_than_one_window_says_so(monkeypatch, capsys, run_record, tmp_path):
    short = tmp_path / "short.wav"
    soundfile.write(short, np.zeros(8_000, np.float32), 16_000)  # 0.5 s; VGG's window is 2.048 s
    assert predict_file(load_run(run_record), short).padded
    code, out, err = run_cli(monkeypatch, capsys, "predict", str(short), "--run", str(run_record))
    assert code == 0, err
    assert "shorter than the model's 2.05-s window" in out


def test_table_json_and_csv_output(monkeypatch, capsys, run_record, files):
    path = str(files[(8_000, 2)])
    code, out, err = run_cli(monkeypatch, capsys, "predict", path, "--run", str(run_record))
    assert code == 0, err
    assert "(final).wav" in out and "piano" in out and "most present at" in out and "threshold" in out
    assert len(max(out.splitlines(), key=len)) <= 100  # one row per instrument, not one column per window
    code, out, _ = run_cli(monkeypatch, capsys, "predict", path, "--run", str(run_record), "--windows")
    assert code == 0 and "per window" in out
    code, out, _ = run_cli(monkeypatch, capsys, "predict", path, str(files[(48_000, 1)]), "--run", str(run_record),
                           "--format", "json")
    parsed = json.loads(out)
    assert code == 0 and [p["file"] for p in parsed] == [path, str(files[(48_000, 1)])]
    assert set(parsed[0]["probabilities"]) == {"cel", "cla", "flu", "gac", "gel", "org", "pia", "sax", "tru", "vio", "voi"}
    code, out, _ = run_cli(monkeypatch, capsys, "predict", path, "--run", str(run_record), "--format", "csv")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("file,start,end,cel") and len(lines) >= 3


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
    assert windows == int(np.ceil(600 / 2.048))
    assert grown_mib < 150, f"peak memory grew {grown_mib} MiB for a 212 MB file"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


def test_streamed_features_equal_a_whole_file_pass(tmp_path):
    import torch

    from irbench.audio import load_audio
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
