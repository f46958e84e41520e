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
def run_record(tiny_irmas, tmp_path_factory):
    from irbench.runner import RunOptions, run_benchmark

    folder = tmp_path_factory.mktemp("results")
    _, path = run_benchmark(RunOptions("irmas", "vgg", tiny_irmas, folder, tmp_path_factory.mktemp("cache"),
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


def test_table_json_and_csv_output(monkeypatch, capsys, run_record, files):
    path = str(files[(8_000, 2)])
    code, out, err = run_cli(monkeypatch, capsys, "predict", path, "--run", str(run_record))
    assert code == 0, err
    assert "whole" in out and "(final).wav" in out and "pia" in out
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
    assert code == 2 and "absent.wav" in err and "Traceback" not in err
    broken = tmp_path / "broken [x].wav"
    broken.write_bytes(b"RIFF....WAVEjunk")
    code, _, err = run_cli(monkeypatch, capsys, "predict", str(broken), "--run", str(run_record))
    assert code == 2 and "broken [x].wav" in err
    moved = tmp_path / "results/irmas/vgg/seed-0.json"
    moved.parent.mkdir(parents=True)
    moved.write_text(run_record.read_text())
    with pytest.raises(IrbenchError, match="checkpoint .* is missing"):
        load_run(moved)
    record = read_record(run_record)
    other = record.model_copy(update={"config": {**record.config, "baseline": {
        **record.config["baseline"], "frontend_config": {**record.config["baseline"]["frontend_config"], "n_mels": 128}}}})
    other_path = run_record.with_name("seed-9.json")
    write_record(other, other_path)
    with pytest.raises(IrbenchError, match="computes different features"):
        load_run(other_path)
