"""``irbench run`` end to end on the tiny stand-in and on the real IRMAS clips."""

import csv
import json
from pathlib import Path

import pytest
import soundfile

from helpers import record_file, run_cli
from irbench.store.records import RunRecord, read_record
from irbench.tasks.irmas import LABELS

EPOCHS = "2"


def read_record_text(text: str) -> RunRecord:
    return RunRecord.model_validate_json(text)


@pytest.fixture(scope="module")
def cache_dir(feature_cache):
    return feature_cache


def _run(monkeypatch, capsys, data_home, results, cache, *extra):
    return run_cli(
        monkeypatch, capsys, "run", "--task", "irmas", "--baseline", "vgg", "--data-home", str(data_home),
        "--results-dir", str(results), "--cache-dir", str(cache), "--max-epochs", EPOCHS, "--quiet",
        "--workers", "2", *extra,
    )


def test_same_seed_same_device_gives_identical_metrics(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir):
    records = []
    for name in ("a", "b"):
        code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path / name, cache_dir)
        assert code == 0, err
        records.append(read_record(record_file(tmp_path / name, "irmas", "vgg")))
    a, b = records
    assert a.metrics == b.metrics and a.per_class == b.per_class and a.threshold == b.threshold
    assert a.training.epochs == int(EPOCHS)
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path / "c", cache_dir, "--seed", "1")
    assert code == 0, err
    assert read_record(record_file(tmp_path / "c", "irmas", "vgg", 1)).metrics != a.metrics


def test_the_record_says_what_produced_it(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir):
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir)
    assert code == 0, err
    folder = record_file(tmp_path, "irmas", "vgg").parent
    assert folder.name.startswith("max_epochs=") and folder.parent == tmp_path / "irmas/vgg"
    raw = json.loads((folder / "seed-0.json").read_text())
    for key in ("task", "task_version", "baseline", "config", "seed", "stand_in", "metrics", "per_class",
                "threshold", "n_test", "provenance"):
        assert key in raw
    assert raw["stand_in"] is True and raw["n_test"] == 24
    assert {"micro_f1", "macro_f1", "lrap", "top1_hit_rate"} <= set(raw["metrics"])
    assert list(raw["per_class"]) == list(LABELS)
    assert raw["threshold"]["chosen_on"] == "validation"
    provenance = raw["provenance"]
    assert provenance["packages"]["torch"] != "absent" and len(provenance["dataset_fingerprint"]) == 64
    assert set(provenance["seconds"]) == {"load", "features.hash", "features.extract", "features.verify", "index",
                                          "statistics", "train", "evaluate", "bootstrap", "train.data_wait",
                                          "train.steps"}
    assert 0 < provenance["seconds"]["train.data_wait"] + provenance["seconds"]["train.steps"] \
        <= provenance["seconds"]["train"]  # the loop's batches, within the whole training stage
    assert provenance["torch_threads"] >= 1 and provenance["shared_stages"] == []
    assert raw["windows"]["window_frames"] == 64 and raw["windows"]["windows"]["test"] >= 24
    interval = raw["confidence_intervals"]["micro_f1"]
    assert all("false_positives" in figures for figures in raw["per_class"].values())
    with open(folder / "seed-0.predictions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    tracks = {r["group"] for r in rows}
    assert 1 < len(tracks) < len(rows)  # the stand-in's excerpts come in tracks, as IRMAS's do
    assert interval["unit"] == "track" and interval["n_units"] == len(tracks) and interval["indicative"]
    assert len(rows) == 24 and all(0 <= float(r["score_pia"]) <= 1 for r in rows)
    assert rows[0]["group"] == Path(rows[0]["clip_id"]).stem.rsplit("-", 1)[0]
    assert (folder / "seed-0.ckpt").stat().st_size > 100_000
    assert not list(folder.glob(".seed-0.work-*"))  # training work folder removed once the record exists


def test_an_existing_record_is_kept_unless_overwrite(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir):
    assert _run(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir)[0] == 0
    path = record_file(tmp_path, "irmas", "vgg")
    before = path.read_text()
    path.write_text(before.replace('"seed": 0', '"seed": 0 '))
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir)
    assert code == 0 and "already exists" in err and "--overwrite" in err
    assert path.read_text() != before  # untouched
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir, "--overwrite")
    assert code == 0, err
    assert '"seed": 0 ' not in path.read_text()  # replaced by a re-run...
    assert read_record(path).metrics == read_record_text(before).metrics  # ...with the same numbers


def test_constant_predictor_runs_without_training(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir):
    code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "constant", "-d", str(tiny_irmas),
                           "--results-dir", str(tmp_path), "--cache-dir", str(cache_dir), "-q")
    assert code == 0, err
    record = read_record(record_file(tmp_path, "irmas", "constant"))
    assert record.training.epochs == 0 and record.training.n_parameters == 0
    # every test clip gets the same scores, so the ranking metric equals that of a fixed class order
    with open(record_file(tmp_path, "irmas", "constant").with_name("seed-0.predictions.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len({tuple(v for k, v in r.items() if k.startswith("score_")) for r in rows}) == 1


def test_real_irmas_clips_run_end_to_end(monkeypatch, capsys, real_irmas_root, tmp_path, cache_dir):
    # mirdata's copy of "02 - And The Body Will Die-8.wav" is cut to 2 s; IRMAS test clips last 5-20 s
    code, _, err = _run(monkeypatch, capsys, real_irmas_root, tmp_path, cache_dir)
    assert code == 2 and "And The Body Will Die-8.wav" in err and "2.000 s" in err and "truncated" in err
    code, out, err = _run(monkeypatch, capsys, real_irmas_root, tmp_path, cache_dir, "--skip-bad")
    assert code == 0, err
    record = read_record(record_file(tmp_path, "irmas", "vgg"))
    assert record.stand_in is False and record.n_test == 3
    assert [Path(s["file"]).name for s in record.skipped_files] == ["02 - And The Body Will Die-8.wav"]
    assert "5-20 s" in record.skipped_files[0]["reason"]
    assert record.n_train + record.n_validation == 4
    assert "offline stand-in" not in err


def test_missing_data_prints_the_command_to_get_it(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "vgg", "-d", str(tmp_path / "none"),
                           "--results-dir", str(tmp_path))
    assert code == 2
    assert "irbench data synth irmas --out" in err and "Traceback" not in err


def test_corrupt_clip_is_named_or_skipped_and_listed(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(tiny_irmas, root, symlinks=True)
    bad = sorted(root.glob("IRMAS-TrainingData/pia/*.wav"))[0]
    bad.write_bytes(b"RIFF1234WAVEnot audio at all")
    code, _, err = _run(monkeypatch, capsys, root, tmp_path / "r", cache_dir)
    assert code == 2 and bad.name in err and "Traceback" not in err
    code, _, err = _run(monkeypatch, capsys, root, tmp_path / "r", cache_dir, "--skip-bad")
    assert code == 0, err
    record = read_record(record_file(tmp_path / "r", "irmas", "vgg"))
    assert [s["file"] for s in record.skipped_files] == [str(bad)]
    assert soundfile.info(sorted(root.glob("IRMAS-TrainingData/pia/*.wav"))[1]).channels == 2


def test_bad_options_are_reported_plainly(monkeypatch, capsys, tiny_irmas, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "vgg", "-d", str(tiny_irmas),
                           "--results-dir", str(tmp_path), "--config", "learning_rat=0.1")
    assert code == 2 and "unknown config key 'learning_rat'. Did you mean 'learning_rate'?" in err
    code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "vgg", "-d", str(tiny_irmas),
                           "--results-dir", str(tmp_path), "--config", "lr=0.1")
    assert code == 2 and "unknown config key 'lr'. Did you mean 'learning_rate'?" in err
    code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmass", "-b", "vgg", "-d", str(tiny_irmas))
    assert code == 2 and "Did you mean 'irmas'" in err


def test_a_truncated_training_clip_is_refused_by_name_or_skipped(monkeypatch, capsys, tiny_irmas, tmp_path,
                                                                 cache_dir):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(tiny_irmas, root, symlinks=True)
    cut = sorted(root.glob("IRMAS-TrainingData/cel/*.wav"))[0]
    cut.write_bytes(cut.read_bytes()[:100])  # a 44-byte header and 14 stereo samples
    code, _, err = _run(monkeypatch, capsys, root, tmp_path / "r", cache_dir)
    assert code == 2 and cut.name in err and "14 samples" in err and "3 s" in err and "Traceback" not in err
    code, _, err = _run(monkeypatch, capsys, root, tmp_path / "r", cache_dir, "--skip-bad")
    assert code == 0, err
    record = read_record(record_file(tmp_path / "r", "irmas", "vgg"))
    assert [s["file"] for s in record.skipped_files] == [str(cut)] and "truncated" in record.skipped_files[0]["reason"]
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", "irmas", "--data-home", str(root))
    assert code == 1 and cut.name in out and "truncated" in out


def test_several_seeds_prepare_the_data_once(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir):
    from irbench.run import prepare

    calls = []
    original = prepare.extract_features
    monkeypatch.setattr(prepare, "extract_features", lambda *a, **k: calls.append(a) or original(*a, **k))
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir, "--seed", "3", "--seed", "4")
    assert code == 0, err
    assert len(calls) == 1
    records = [read_record(record_file(tmp_path, "irmas", "vgg", n)) for n in (3, 4)]
    assert records[0].metrics != records[1].metrics
    assert "features.hash" in records[0].provenance.shared_stages and "train" not in records[0].provenance.shared_stages
    single = tmp_path / "single"
    assert _run(monkeypatch, capsys, tiny_irmas, single, cache_dir, "--seed", "4")[0] == 0
    assert read_record(record_file(single, "irmas", "vgg", 4)).metrics == records[1].metrics


def test_the_worker_count_changes_no_number(monkeypatch, capsys, tiny_irmas, tmp_path):
    import torch

    threads = torch.get_num_threads()
    weights = []
    for workers in ("1", "2"):
        folder = tmp_path / workers
        code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "vgg", "-d", str(tiny_irmas),
                               "--results-dir", str(folder), "--cache-dir", str(folder / "cache"), "--max-epochs",
                               "1", "--quiet", "--workers", workers)
        assert code == 0, err
        assert torch.get_num_threads() == threads
        checkpoint = record_file(folder, "irmas", "vgg").with_name("seed-0.ckpt")
        weights.append(torch.load(checkpoint, weights_only=True)["state_dict"])
    for name, tensor in weights[0].items():
        assert torch.equal(tensor, weights[1][name]), name


def test_a_diverging_run_stops_with_a_message(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir):
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir, "--config", "learning_rate=inf")
    assert code == 2 and "learning_rate" in err and "Traceback" not in err
    assert not (tmp_path / "irmas").exists()  # refused before any stage
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir, "--config", "learning_rate=1e12")
    assert code == 2 and "diverged" in err and "epoch 1 of 2" in err and "Traceback" not in err


def test_a_seed_that_kept_an_early_epoch_is_named_under_its_result_and_the_summary(monkeypatch, capsys,
                                                                                    tiny_irmas, tmp_path, cache_dir):
    from irbench.run import runner
    from irbench.run.training import FitResult

    def kept_epoch_1(model, *args, **kwargs):  # as a seed whose validation loss never improved after epoch 1
        return FitResult(epochs=9, best_epoch=1, best_validation_loss=1.0, resumed=False, seconds=0.0,
                         stopped_early=True, max_epochs=10, patience=8)

    monkeypatch.setattr(runner, "fit", kept_epoch_1)
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path, cache_dir, "--seed", "3", "--seed", "4")
    assert code == 0, err
    text = " ".join(err.split())
    for seed in (3, 4):
        line = (f"seed {seed}: validation loss never improved after epoch 1; stopped early at epoch 9 of 10 "
                "(patience 8); kept epoch 1")
        assert text.count(line) == 2  # under the seed's result and under the mean ± std summary
        training = read_record(record_file(tmp_path, "irmas", "vgg", seed)).training
        assert (training.best_epoch, training.epochs, training.max_epochs, training.patience) == (1, 9, 10, 8)
    assert text.index("seed 3: validation") < text.index("irmas/vgg seed 4") < text.index("mean ± sample std")
    kept = [line for line in err.splitlines() if "never improved after epoch 1" in line]
    assert len(kept) == 4 and all("kept epoch 1" in line for line in kept)  # a log file: one note, one line
